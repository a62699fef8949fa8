/**
 * usbhid-ups: NUT 2.8.0's driver and ours on the same virtual USB device (the APC Back-UPS
 * CS 500 model built from its real debug log, apc subdriver). Both must publish the same
 * variables and values, and the same commands and settings sent through NUT's upsd must
 * reach the device as the same SET_REPORT bytes. Ours also publishes an interrupt report
 * before the next poll, and goes stale on unplug and comes back on replug without a restart.
 * driver.* lines differ by design (versions, parameters of the run) and are left out.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, startNutUpsd, stopChild, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { modelFromLogFile } from '../virtual-usb/model-from-log.js';
import { builtinTableFiles, loadTables } from '../../plugins/usbhid-ups/src/table.js';
import { modelFromTable } from '../../plugins/usbhid-ups/test/helpers/model-from-table.js';

const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;
const CLI = new URL('../../core/dist/cli/driver.js', import.meta.url).pathname;
const USBHID = '/lib/nut/usbhid-ups';
type Who = 'nut' | 'ours';

let dev: VirtualUsb | undefined;
let sb: Sandbox | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
  await dev?.stop();
  sb?.cleanup();
  dev = sb = undefined;
});

function vars(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const r = /^([a-z][\w.]*): (.*)$/.exec(line);
    if (r && !r[1]!.startsWith('driver.')) m.set(r[1]!, r[2]!);
  }
  return m;
}

function run(who: Who) {
  const [cmd, ...args] = who === 'nut' ? [USBHID, '-a', 'ups', '-d', '1', '-u', 'root'] : [process.execPath, CLI, 'usbhid-ups', '-a', 'ups', '-d', '1'];
  return spawnSync(cmd!, args, { env: { ...sb!.env, ...dev!.env }, encoding: 'latin1', timeout: 60_000 });
}

function dump(who: Who): string {
  const r = run(who);
  expect(r.status, `${who}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function startDriver(who: Who): ChildProcess {
  const [cmd, ...args] = who === 'nut' ? [USBHID, '-a', 'ups', '-F', '-u', 'root'] : [process.execPath, CLI, 'usbhid-ups', '-a', 'ups'];
  const c = spawn(cmd!, args, { env: { ...sb!.env, ...dev!.env }, stdio: 'ignore' });
  children.push(c);
  return c;
}

function client(args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'latin1', env: { ...process.env } });
  return r.stdout + r.stderr;
}

/** upsc's answer alone (Debian's upsc adds an SSL notice on stderr). */
function upsc(target: string, name: string): string {
  const r = spawnSync('upsc', [target, name], { encoding: 'latin1' });
  return (r.stdout || r.stderr).trim();
}

/** A command or setting, retried while upsd does not know it yet (before the driver's first full dump). */
async function accepted(args: string[]): Promise<void> {
  let answer = '';
  await until(`${args.join(' ')} accepted`, () => /^OK/m.test((answer = client(args))), 30_000).catch((e: Error) => {
    throw new Error(`${e.message}; last answer: ${answer}`);
  });
}

async function served(port: number): Promise<void> {
  children.push(await startNutUpsd(sb!, port));
  await until('the driver\'s data in upsd', () => /^ups\.status: /m.test(client(['upsc', `ups@127.0.0.1:${port}`])), 30_000);
}

async function setReportsFor(who: Who): Promise<string[]> {
  const { model } = modelFromLogFile(FIXTURE);
  dev = await startVirtualUsb(model);
  sb = makeSandbox('nut-ts-usbhid-');
  const port = await freePort();
  sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tpollinterval = 1\n');
  sb.write('upsd.users', '[admin]\n\tpassword = secret\n\tinstcmds = ALL\n\tactions = SET\n');
  startDriver(who);
  await until('driver socket', () => existsSync(join(sb!.statePath, 'usbhid-ups-ups')), 30_000);
  await served(port);
  const target = `ups@127.0.0.1:${port}`;
  await accepted(['upscmd', '-u', 'admin', '-p', 'secret', target, 'test.panel.start']);
  await until('SET_REPORT 0x35', () => dev!.setReports().some((e) => e.reportId === 0x35), 15_000);
  await accepted(['upsrw', '-s', 'battery.charge.low=15', '-u', 'admin', '-p', 'secret', target]);
  await until('SET_REPORT 0x11', () => dev!.setReports().some((e) => e.reportId === 0x11), 15_000);
  await accepted(['upscmd', '-u', 'admin', '-p', 'secret', target, 'shutdown.reboot']);
  await until('SET_REPORT 0x40', () => dev!.setReports().some((e) => e.reportId === 0x40), 15_000);
  const log = dev.setReports().map((e) => `${e.reportType}:${e.hex}`);
  for (const c of children.splice(0)) await stopChild(c);
  await dev.stop();
  sb.cleanup();
  dev = sb = undefined;
  return log;
}

describe('usbhid-ups: NUT 2.8.0 and nut-ts on the same virtual USB device', () => {
  it('publish the same variables and values (-d 1)', async () => {
    requireOracle(USBHID);
    const { model } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    sb = makeSandbox('nut-ts-usbhid-');
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tvendorid = 051D\n');
    const nut = vars(dump('nut'));
    const ours = vars(dump('ours'));
    expect(nut.size).toBeGreaterThan(20);
    expect(ours).toEqual(nut);
  });

  it('a recording made from the device with -x record replays to the same dump without USB', async () => {
    requireOracle(USBHID);
    const { model } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    sb = makeSandbox('nut-ts-usbhid-');
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n');
    const nut = vars(dump('nut'));
    const file = join(sb.confPath, 'recording.json');
    const rec = spawnSync(process.execPath, [CLI, 'usbhid-ups', '-a', 'ups', '-d', '1', '-x', `record=${file}`], { env: { ...sb.env, ...dev.env }, encoding: 'latin1', timeout: 60_000 });
    expect(rec.status, rec.stderr).toBe(0);
    await dev.stop();
    dev = undefined;
    sb.write('ups.conf', `[ups]\n\tdriver = usbhid-ups\n\tport = "replay:${file}"\n`);
    const replay = spawnSync(process.execPath, [CLI, 'usbhid-ups', '-a', 'ups', '-d', '1'], { env: sb.env, encoding: 'latin1', timeout: 60_000 });
    expect(replay.status, replay.stderr).toBe(0);
    expect(vars(replay.stdout)).toEqual(nut);
  });

  it('send the same SET_REPORT bytes for the same commands and settings through upsd', async () => {
    requireOracle(USBHID, '/lib/nut/upsd', '/usr/bin/upscmd', '/usr/bin/upsrw');
    const nut = await setReportsFor('nut');
    const ours = await setReportsFor('ours');
    expect(nut).toEqual(['3:35 01', '3:11 0f 00 00', '3:40 0a']);
    expect(ours).toEqual(nut);
  });

  it('-k: the same shutdown sequence reaches the device (no shutdown.return parts here, so shutdown.reboot)', async () => {
    requireOracle(USBHID);
    const logs: Record<Who, string[]> = { nut: [], ours: [] };
    for (const who of ['nut', 'ours'] as const) {
      const { model } = modelFromLogFile(FIXTURE);
      dev = await startVirtualUsb(model);
      sb = makeSandbox('nut-ts-usbhid-');
      sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n');
      const [cmd, ...args] = who === 'nut' ? [USBHID, '-a', 'ups', '-k', '-u', 'root'] : [process.execPath, CLI, 'usbhid-ups', '-a', 'ups', '-k'];
      const r = spawnSync(cmd!, args, { env: { ...sb.env, ...dev.env }, encoding: 'latin1', timeout: 60_000 });
      expect(r.status, `${who}: ${r.stderr}`).toBe(0);
      logs[who] = dev.setReports().map((e) => `${e.reportType}:${e.hex}`);
      await dev.stop();
      sb.cleanup();
      dev = sb = undefined;
    }
    expect(logs.nut).toEqual(['3:40 0a']);
    expect(logs.ours).toEqual(logs.nut);
  });

  it('ours: a permission failure names the device node and the udev rule that fixes it', async () => {
    const { model } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    await dev.setNodeMode(0o600);
    sb = makeSandbox('nut-ts-usbhid-');
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n');
    for (const d of [sb.confPath, sb.statePath, join(sb.confPath, '..')]) chmodSync(d, 0o777);
    chmodSync(join(sb.confPath, 'ups.conf'), 0o644);
    const r = spawnSync(process.execPath, [CLI, 'usbhid-ups', '-a', 'ups', '-d', '1'], { uid: 65534, gid: 65534, env: { ...sb.env, ...dev.env }, encoding: 'latin1', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/dev/bus/usb/001/002');
    expect(r.stderr).toContain('ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", GROUP="nut"');
  });

  it('ours: an interrupt report reaches clients before the next poll; unplug goes stale, replug comes back', async () => {
    requireOracle('/lib/nut/upsd', '/usr/bin/upsc');
    const { model } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    sb = makeSandbox('nut-ts-usbhid-');
    const port = await freePort();
    // Polls 30 s apart: anything sooner came from the interrupt endpoint.
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tpollinterval = 30\n');
    startDriver('ours');
    await until('driver socket', () => existsSync(join(sb!.statePath, 'usbhid-ups-ups')), 30_000);
    await served(port);
    const target = `ups@127.0.0.1:${port}`;
    expect(upsc(target, 'ups.status')).toBe('OL');
    await dev.queueInterrupt('13 00');
    await until('OB from the interrupt', () => upsc(target, 'ups.status') === 'OB', 10_000);
    await dev.unplug();
    await until('stale after unplug', () => /Data stale/.test(upsc(target, 'ups.status')), 60_000);
    await dev.replug();
    await until('data again after replug', () => /^O[LB]$/.test(upsc(target, 'ups.status')), 60_000);
  });
});

// One device per subdriver, built from its table (no recordings exist for most of them).
const TABLES = loadTables(builtinTableFiles());
const SUBDRIVERS = TABLES.subdrivers.filter((s) => s.subdriver !== 'explore');
/** NUT 2.8.0's libusb1.c passes hid_rep_index (the interface) as the configuration index, so it cannot open these. */
const NUT_CANNOT_OPEN = new Set(['arduino', 'powervar']);

describe('usbhid-ups: one device per subdriver (built from its table), NUT 2.8.0 and ours', () => {
  it.each(SUBDRIVERS.map((s) => [s.subdriver, s.version] as const))('%s (%s)', async (name) => {
    requireOracle(USBHID);
    const sub = SUBDRIVERS.find((s) => s.subdriver === name)!;
    dev = await startVirtualUsb(modelFromTable(TABLES, sub));
    sb = makeSandbox('nut-ts-usbhid-');
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n');
    if (NUT_CANNOT_OPEN.has(name)) {
      const r = run('nut');
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('No matching HID UPS found');
      const ours = vars(dump('ours'));
      expect(ours.get('ups.vendorid')).toBe(sub.claim.ids![0]!.vendorId);
      expect(ours.get('ups.status')).toBeDefined();
      return;
    }
    const nut = vars(dump('nut'));
    expect(nut.size).toBeGreaterThan(10);
    expect(vars(dump('ours'))).toEqual(nut);
  });
});

describe('usbhid-ups: products with claim quirks, NUT 2.8.0 and ours', () => {
  // PowerCOM 0001 is interrupt-only (8-byte reports); CyberPower 0501 may scale the battery voltage;
  // TrippLite 3016 scales battery and I/O readings (smart1500lcdt_scale).
  it.each([['powercom', '0001'], ['cps', '0501'], ['tripplite', '3016']])('%s %s', async (name, pid) => {
    requireOracle(USBHID);
    const sub = SUBDRIVERS.find((s) => s.subdriver === name)!;
    dev = await startVirtualUsb(modelFromTable(TABLES, sub, 'first', pid));
    sb = makeSandbox('nut-ts-usbhid-');
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n');
    const nut = vars(dump('nut'));
    expect(nut.get('ups.productid')).toBe(pid);
    expect(vars(dump('ours'))).toEqual(nut);
  });
});

describe('usbhid-ups -k with ondelay/offdelay on table-built devices: the same SET_REPORTs from NUT 2.8.0 and ours', () => {
  it.each(['mge', 'tripplite', 'cps'])('%s', async (name) => {
    requireOracle(USBHID);
    const sub = SUBDRIVERS.find((s) => s.subdriver === name)!;
    const logs: Record<Who, string[]> = { nut: [], ours: [] };
    for (const who of ['nut', 'ours'] as const) {
      dev = await startVirtualUsb(modelFromTable(TABLES, sub));
      sb = makeSandbox('nut-ts-usbhid-');
      sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tondelay = 120\n\toffdelay = 60\n');
      const [cmd, ...args] = who === 'nut' ? [USBHID, '-a', 'ups', '-k', '-u', 'root'] : [process.execPath, CLI, 'usbhid-ups', '-a', 'ups', '-k'];
      const r = spawnSync(cmd!, args, { env: { ...sb.env, ...dev.env }, encoding: 'latin1', timeout: 60_000 });
      expect(r.status, `${who}: ${r.stderr}`).toBe(0);
      logs[who] = dev.setReports().map((e) => `${e.reportType}:${e.hex}`);
      await dev.stop();
      sb.cleanup();
      dev = sb = undefined;
    }
    expect(logs.nut.length).toBeGreaterThan(0);
    expect(logs.ours).toEqual(logs.nut);
  });
});
