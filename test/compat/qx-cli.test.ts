/**
 * The product path: `nut simulate qx --from <dump>` prints its terminal on the first line and
 * ends on SIGTERM; NUT 2.8.0's nutdrv_qx and ours, with no protocol= (NUT's full detection
 * order), both settle on the same protocol; and `-k` sends the same shutdown sequence.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, NUT_DRIVER_DIR, requireOracle, stopChild } from '../helpers/oracle.js';
import { startOurs, startSim, upsConf, eventually } from './qx-harness.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DDL = join(ROOT, 'test', 'fixtures', 'ddl');
const JAWAN = join(DDL, 'JAWAN__JW-UPSLC02__blazer_usb__2.7.2__01.dev');
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
});

describe('nut simulate qx and protocol detection', () => {
  it('serves a dump through the nut CLI; NUT and ours detect the same protocol without protocol=', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    const child = spawn(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'nut.js'), 'simulate', 'qx', '--from', JAWAN], { stdio: ['ignore', 'pipe', 'pipe'] });
    stops.push(() => stopChild(child));
    const first = await new Promise<string>((res, rej) => {
      createInterface({ input: child.stdout! }).once('line', res);
      child.once('exit', (c) => rej(new Error(`nut simulate qx exited (${c})`)));
    });
    expect(first).toMatch(/^\//);

    const sb = makeSandbox('nut-ts-qx-detect-');
    stops.push(async () => sb.cleanup());
    sb.write('ups.conf', upsConf(first, {}));
    const r = spawnSync(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'ups', '-d', '1', '-u', 'root'], { env: sb.env, encoding: 'latin1', timeout: 60_000 });
    expect(r.stderr).toContain('Using protocol: Megatec 0.06');
    expect(r.stdout).toContain('ups.firmware: B1.12_APFB');

    const ours = await startOurs(first, {});
    stops.push(() => ours.stop());
    expect(ours.logs).toContain('Using protocol: Megatec 0.06');
    expect(ours.rt.tree.getValue('ups.firmware')).toBe('B1.12_APFB');
    await ours.stop();

    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);

  it('-k: the same shutdown sequence on the wire as NUT', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    const sims = [await startSim(JAWAN), await startSim(JAWAN)];
    for (const s of sims) stops.push(() => s.close());
    const sb = makeSandbox('nut-ts-qx-k-');
    stops.push(async () => sb.cleanup());
    sb.write('ups.conf', upsConf(sims[0]!.pty.path, { protocol: 'megatec', offdelay: '120', ondelay: '300' }));
    // Async: the simulator answers from this process.
    const r = await new Promise<{ stderr: string }>((res) => {
      const c = spawn(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'ups', '-k', '-u', 'root'], { env: sb.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      c.once('exit', () => res({ stderr: err }));
    });
    expect(r.stderr).toContain('Shutting down in 120 seconds');

    const { DriverRuntime } = await import('../../core/src/driver/runtime.js');
    const { createNutdrvQx } = await import('../../plugins/nutdrv_qx/src/index.js');
    const { localDevices } = await import('./qx-harness.js');
    const logs: string[] = [];
    const rt = new DriverRuntime(
      {
        upsname: 'ups', driver: 'nutdrv_qx', entryPath: '', pluginVersion: '0.32', pluginName: 'Generic Q* USB/Serial driver',
        port: sims[1]!.pty.path, confPath: '/tmp', pollinterval: 2, synchronous: 'auto', debugLevel: 0,
        options: { protocol: 'megatec', offdelay: '120', ondelay: '300' }, sensitive: [], overrides: [], defaults: [], watchdogMs: 30000, mode: 'shutdown',
      },
      createNutdrvQx(),
      { devices: localDevices, log: (_l, m) => logs.push(m) },
    );
    await rt.forceShutdown();
    expect(logs).toContain('Shutting down in 120 seconds');
    await eventually('both sequences', () => sims.every((s) => s.device.received.includes('S02R0005')));
    expect(sims[1]!.device.received).toEqual(sims[0]!.device.received);
    expect(sims[0]!.device.received).toEqual(['Q1', 'I', 'C', 'S02R0005']);
  }, 60_000);

  it('--usb cypress: the unit behind a bridge on the virtual USB device, events included, read by NUT and ours', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/umockdev-wrapper');
    const child = spawn(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'nut.js'), 'simulate', 'qx', '--usb', 'cypress', '--from', join(DDL, 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev'), '--events', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    stops.push(() => stopChild(child));
    const first = await new Promise<string>((res, rej) => {
      createInterface({ input: child.stdout! }).once('line', res);
      child.once('exit', (c) => rej(new Error(`nut simulate qx --usb exited (${c})`)));
    });
    const env: NodeJS.ProcessEnv = Object.fromEntries(first.split(' ').map((kv) => kv.split('=') as [string, string]));
    expect(env.UMOCKDEV_DIR).toBeTruthy();
    const sb = makeSandbox('nut-ts-qx-simusb-');
    stops.push(async () => sb.cleanup());
    sb.write('ups.conf', upsConf('auto', { vendorid: '0665', productid: '5161', protocol: 'megatec' }));
    const run = (cmd: string, args: string[]) =>
      new Promise<string>((res) => {
        const c = spawn(cmd, args, { env: { ...sb.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
        c.once('exit', () => res(out));
      });
    const nutDump = () => run(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'ups', '-d', '1', '-u', 'root']);
    const oursDump = () => run(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'driver.js'), 'nutdrv_qx', '-a', 'ups', '-d', '1']);
    expect(await nutDump()).toContain('ups.status: OL');
    expect(await oursDump()).toContain('ups.status: OL');
    child.stdin!.write('onbattery\nlowbattery\n');
    await eventually('NUT reads the events', async () => (await nutDump()).includes('ups.status: OB LB'), 20_000);
    expect(await oursDump()).toContain('ups.status: OB LB');
  }, 90_000);
});
