/**
 * usbhid-ups: NUT 2.8.0's driver and ours on the same virtual USB device (the APC Back-UPS
 * CS 500 model built from its real debug log, apc subdriver). Both must publish the same
 * variables and values, and the same commands and settings sent through NUT's upsd must
 * reach the device as the same SET_REPORT bytes. Ours also publishes an interrupt report
 * before the next poll, and goes stale on unplug and comes back on replug without a restart.
 * driver.* lines differ by design (versions, parameters of the run) and are left out.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, requireOracle, startNutUpsd } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import { dumpVars as vars, untilAccepted as accepted } from '../virtual-usb/nut.js';
import { backUpsCs500, virtualUsbSession, type VirtualUsbSession } from '../virtual-usb/session.js';
import { builtinTableFiles, loadTables } from '../../plugins/usbhid-ups/src/table.js';
import { modelFromTable } from '../../plugins/usbhid-ups/test/helpers/model-from-table.js';

const CLI = new URL('../../core/dist/cli/driver.js', import.meta.url).pathname;
const USBHID = '/lib/nut/usbhid-ups';
type Who = 'nut' | 'ours';

const session = virtualUsbSession('nut-ts-usbhid-');
const UPS_CONF = '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n';

function command(who: Who, ...flags: string[]): [string, string[]] {
  return who === 'nut' ? [USBHID, ['-a', 'ups', ...flags, '-u', 'root']] : [process.execPath, [CLI, 'usbhid-ups', '-a', 'ups', ...flags]];
}

function run(who: Who, ...flags: string[]) {
  const [cmd, args] = command(who, ...flags);
  return spawnSync(cmd, args, { env: session.env(), encoding: 'latin1', timeout: 60_000 });
}

function dump(who: Who): string {
  const r = run(who, '-d', '1');
  expect(r.status, `${who}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function startDriver(who: Who): void {
  const [cmd, args] = command(who, ...(who === 'nut' ? ['-F'] : []));
  session.spawn(cmd, args, { stdio: 'ignore' });
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

async function served(port: number): Promise<void> {
  await session.driverSocket('usbhid-ups-ups');
  session.adopt(await startNutUpsd(session.sb, port));
  await until('the driver\'s data in upsd', () => /^ups\.status: /m.test(client(['upsc', `ups@127.0.0.1:${port}`])), 30_000);
}

async function setReportsFor(who: Who): Promise<string[]> {
  const dev = await session.start(backUpsCs500().model, UPS_CONF + '\tpollinterval = 1\n');
  const port = await freePort();
  session.sb.write('upsd.users', '[admin]\n\tpassword = secret\n\tinstcmds = ALL\n\tactions = SET\n');
  startDriver(who);
  await served(port);
  const target = `ups@127.0.0.1:${port}`;
  await accepted(['upscmd', '-u', 'admin', '-p', 'secret', target, 'test.panel.start']);
  await until('SET_REPORT 0x35', () => dev.setReports().some((e) => e.reportId === 0x35), 15_000);
  await accepted(['upsrw', '-s', 'battery.charge.low=15', '-u', 'admin', '-p', 'secret', target]);
  await until('SET_REPORT 0x11', () => dev.setReports().some((e) => e.reportId === 0x11), 15_000);
  await accepted(['upscmd', '-u', 'admin', '-p', 'secret', target, 'shutdown.reboot']);
  await until('SET_REPORT 0x40', () => dev.setReports().some((e) => e.reportId === 0x40), 15_000);
  const log = dev.setReports().map((e) => `${e.reportType}:${e.hex}`);
  await session.reset();
  return log;
}

/** `-k` from NUT's driver and from ours, each on a fresh device: the SET_REPORTs each sent. */
async function shutdownReports(model: () => Parameters<VirtualUsbSession['start']>[0], upsConf: string): Promise<Record<Who, string[]>> {
  const logs: Record<Who, string[]> = { nut: [], ours: [] };
  for (const who of ['nut', 'ours'] as const) {
    const dev = await session.start(model(), upsConf);
    const r = run(who, '-k');
    expect(r.status, `${who}: ${r.stderr}`).toBe(0);
    logs[who] = dev.setReports().map((e) => `${e.reportType}:${e.hex}`);
    await session.reset();
  }
  return logs;
}

describe('usbhid-ups: NUT 2.8.0 and nut-ts on the same virtual USB device', () => {
  it('publish the same variables and values (-d 1)', async () => {
    requireOracle(USBHID);
    await session.start(backUpsCs500().model, UPS_CONF + '\tvendorid = 051D\n');
    const nut = vars(dump('nut'));
    const ours = vars(dump('ours'));
    expect(nut.size).toBeGreaterThan(20);
    expect(ours).toEqual(nut);
  });

  it('a recording made from the device with -x record replays to the same dump without USB', async () => {
    requireOracle(USBHID);
    const dev = await session.start(backUpsCs500().model, UPS_CONF);
    const sb = session.sb;
    const nut = vars(dump('nut'));
    // where the driver's user may write (as root, our driver runs as nut: the config directory is read-only to it)
    const file = join(sb.statePath, 'recording.json');
    const rec = run('ours', '-d', '1', '-x', `record=${file}`);
    expect(rec.status, rec.stderr).toBe(0);
    await dev.stop();
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
    const logs = await shutdownReports(() => backUpsCs500().model, UPS_CONF);
    expect(logs.nut).toEqual(['3:40 0a']);
    expect(logs.ours).toEqual(logs.nut);
  });

  it('ours: a permission failure names the device node and the udev rule that fixes it', async () => {
    const dev = await session.start(backUpsCs500().model, UPS_CONF);
    await dev.setNodeMode(0o600);
    const sb = session.sb;
    for (const d of [sb.confPath, sb.statePath, join(sb.confPath, '..')]) chmodSync(d, 0o777);
    chmodSync(join(sb.confPath, 'ups.conf'), 0o644);
    const r = spawnSync(process.execPath, [CLI, 'usbhid-ups', '-a', 'ups', '-d', '1'], { uid: 65534, gid: 65534, env: session.env(), encoding: 'latin1', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/dev/bus/usb/001/002');
    expect(r.stderr).toContain('ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", GROUP="nut"');
  });

  it('ours: an interrupt report reaches clients before the next poll; unplug goes stale, replug comes back', async () => {
    requireOracle('/lib/nut/upsd', '/usr/bin/upsc');
    // Polls 30 s apart: anything sooner came from the interrupt endpoint.
    const dev = await session.start(backUpsCs500().model, UPS_CONF + '\tpollinterval = 30\n');
    const port = await freePort();
    startDriver('ours');
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
    await session.start(modelFromTable(TABLES, sub), UPS_CONF);
    if (NUT_CANNOT_OPEN.has(name)) {
      const r = run('nut', '-d', '1');
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
    await session.start(modelFromTable(TABLES, sub, 'first', pid), UPS_CONF);
    const nut = vars(dump('nut'));
    expect(nut.get('ups.productid')).toBe(pid);
    expect(vars(dump('ours'))).toEqual(nut);
  });
});

describe('usbhid-ups -k with ondelay/offdelay on table-built devices: the same SET_REPORTs from NUT 2.8.0 and ours', () => {
  it.each(['mge', 'tripplite', 'cps'])('%s', async (name) => {
    requireOracle(USBHID);
    const sub = SUBDRIVERS.find((s) => s.subdriver === name)!;
    const logs = await shutdownReports(() => modelFromTable(TABLES, sub), UPS_CONF + '\tondelay = 120\n\toffdelay = 60\n');
    expect(logs.nut.length).toBeGreaterThan(0);
    expect(logs.ours).toEqual(logs.nut);
  });
});
