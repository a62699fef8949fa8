/**
 * Unplugging the virtual USB bridge under running drivers: NUT 2.8.0's nutdrv_qx and ours (the
 * standalone driver, serving NUT's driver socket) go stale, open the device again once it is
 * back, and publish fresh data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, NUT_DRIVER_DIR, requireOracle, stopChild, type Sandbox } from '../helpers/oracle.js';
import { dumpAll, eventually, upsConf, wordsOf } from './qx-harness.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DUMP = join(ROOT, 'test', 'fixtures', 'ddl', 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
});

async function state(socket: string): Promise<{ stale: boolean; status?: string; load?: string }> {
  let stale = false;
  let status: string | undefined;
  let load: string | undefined;
  for (const line of await dumpAll(socket)) {
    const [op, name, value] = wordsOf(line);
    if (op === 'DATASTALE') stale = true;
    if (op === 'DATAOK') stale = false;
    if (op === 'SETINFO' && name === 'ups.status') status = value;
    if (op === 'SETINFO' && name === 'ups.load') load = value;
  }
  return { stale, status, load };
}

describe('nutdrv_qx USB unplug and replug (NUT and ours)', () => {
  it('both go stale while the bridge is away and recover when it is back', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/umockdev-wrapper');
    const sim = spawn(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'nut.js'), 'simulate', 'qx', '--usb', 'cypress', '--from', DUMP, '--events', '-'], { stdio: ['pipe', 'pipe', 'ignore'] });
    stops.push(() => stopChild(sim));
    const first = await new Promise<string>((res, rej) => {
      createInterface({ input: sim.stdout! }).once('line', res);
      sim.once('exit', (c) => rej(new Error(`nut simulate qx --usb exited (${c})`)));
    });
    const devEnv = Object.fromEntries(first.split(' ').map((kv) => kv.split('=') as [string, string]));
    const conf = upsConf('auto', { vendorid: '0665', productid: '5161', protocol: 'megatec', pollinterval: '1', pollfreq: '5' });
    const start = (who: 'nut' | 'ours'): { sb: Sandbox; child: ChildProcess; socket: string } => {
      const sb = makeSandbox(`nut-ts-qx-unplug-${who}-`);
      stops.push(async () => sb.cleanup());
      sb.write('ups.conf', conf);
      const env = { ...sb.env, ...devEnv };
      const child =
        who === 'nut'
          ? spawn(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'ups', '-F', '-u', 'root'], { env, stdio: 'ignore' })
          : spawn(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'driver.js'), 'nutdrv_qx', '-a', 'ups'], { env, stdio: 'ignore' });
      stops.push(() => stopChild(child));
      return { sb, child, socket: join(sb.statePath, 'nutdrv_qx-ups') };
    };
    const nut = start('nut');
    const ours = start('ours');
    const both = async (pred: (s: Awaited<ReturnType<typeof state>>) => boolean) =>
      existsSync(nut.socket) && existsSync(ours.socket) && pred(await state(nut.socket)) && pred(await state(ours.socket));
    await eventually('both on line', () => both((s) => !s.stale && s.status === 'OL'), 60_000);

    sim.stdin!.write('unplug\n');
    await eventually('both stale', () => both((s) => s.stale), 40_000);
    sim.stdin!.write('set ups.load 42\nreplug\n');
    await eventually('both back with fresh data', () => both((s) => !s.stale && s.load === '42'), 60_000);
    expect(await state(ours.socket)).toEqual(await state(nut.socket));
  }, 180_000);
});
