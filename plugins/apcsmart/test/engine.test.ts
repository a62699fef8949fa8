/**
 * The apcsmart engine against an in-memory Smart-UPS (the simulator's unit model behind a fake
 * SerialHandle): discovery, capability enums, alerts between polls, settings, commands, and
 * a line that fails.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/wait.js';
import { FLAG_RW, FLAG_STRING } from '../../../core/src/dstate/ops.js';
import { DriverRuntime } from '../../../core/src/driver/runtime.js';
import { testInstanceSpec } from '../../../core/src/driver/test-context.js';
import type { InstanceSpec } from '../../../core/src/host/worker-protocol.js';
import type { DriverPlugin } from '../../../core/src/plugin-api/index.js';
import apcsmart from '../src/index.js';
import { FakeSerial, fakeDevices } from './fake-serial.js';

const RT = readFileSync(new URL('../../../test/fixtures/ddl/APC__Smart-UPS_RT_8000_RM__apcsmart__2.0.3__01.dev', import.meta.url), 'latin1');

const spec = (options: Record<string, string> = {}, pollinterval = 60): InstanceSpec =>
  testInstanceSpec({ upsname: 'apc', driver: 'apcsmart', pluginVersion: '3.2', pluginName: 'APC Smart protocol driver', port: '/dev/fake', confPath: '/tmp', pollinterval, options, watchdogMs: 60_000 });

const running: DriverRuntime[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop();
    await r.runLoop().catch(() => undefined);
  }
});

async function start(dump = RT, options: Record<string, string> = {}, clock?: { t: number }, prepare?: (s: FakeSerial) => void) {
  const serial = new FakeSerial(dump);
  prepare?.(serial);
  const logs: string[] = [];
  let updates = 0;
  const rt = new DriverRuntime(spec(options), apcsmart() as unknown as DriverPlugin, {
    devices: fakeDevices(() => serial),
    log: (l, m) => logs.push(`${l}: ${m}`),
    leave: (call) => void (call === 'updateinfo' && updates++),
    now: clock ? () => clock.t : undefined,
  });
  await rt.init();
  running.push(rt);
  return { rt, serial, logs, get: (n: string) => rt.tree.getValue(n), updates: () => updates };
}

describe('discovery', () => {
  it('publishes what the command set and the capability record describe', async () => {
    const { rt, get } = await start();
    expect(get('ups.model')).toBe('Smart-UPS RT 8000 XL    ');
    expect(get('ups.firmware')).toBe('477.15.W');
    expect(get('battery.runtime')).toBe('1500');
    expect(get('ups.test.interval')).toBe('1209600');
    expect(get('input.transfer.reason')).toBe('simulated power failure or UPS test');
    expect(get('ups.status')).toBe('OL');
    expect(get('ups.mfr')).toBe('APC');
    const high = rt.tree.get('input.transfer.high')!;
    expect(high.flags & FLAG_RW).toBe(FLAG_RW);
    expect([...high.enums]).toEqual(['253', '257', '261', '265']);
    expect([...rt.tree.get('battery.runtime.low')!.enums]).toEqual(['120', '300', '420', '600']);
    const id = rt.tree.get('ups.id')!;
    expect(id.flags & (FLAG_RW | FLAG_STRING)).toBe(FLAG_RW | FLAG_STRING);
    expect(id.aux).toBe(8);
    expect(rt.tree.commands()).toEqual(expect.arrayContaining(['load.on', 'shutdown.stayoff', 'test.battery.start', 'calibrate.stop']));
    expect(rt.tree.commands()).not.toContain('bypass.start');
  });

  it('a unit from the firmware list gets that list instead of the command set', async () => {
    const { serial, get, rt } = await start('ups.firmware: 0XI\nups.load: 012.0\ninput.voltage: 230.1\nups.status: OL\n');
    expect(serial.written).not.toContain('a');
    expect(get('ups.model')).toBe('Matrix-UPS');
    expect(get('ups.firmware')).toBe('0XI');
    expect(get('ups.load')).toBe('012.0');
    expect(rt.tree.commands()).toContain('bypass.start');
  });

  it('a unit without command set gets the short list of old units', async () => {
    const { serial, get, rt } = await start('ups.load: 033.0\nbattery.charge: 090.0\nups.serial: X1\nups.status: OB\n', {}, undefined, (s) => {
      s.unit.commandSet = () => 'NA';
    });
    expect(get('ups.load')).toBe('033.0');
    expect(get('battery.charge')).toBe('090.0');
    expect(get('ups.serial')).toBe('X1');
    // no ^A answer and no output current: NUT names it a Smart-UPS
    expect(get('ups.model')).toBe('Smart-UPS');
    expect(get('ups.status')).toBe('OB');
    expect(rt.tree.commands()).toEqual([]);
    expect(serial.written).not.toContain('\x1a');
  });
});

describe('alerts and polls', () => {
  it('an alert character between polls is published at once', async () => {
    const { rt, serial, get, updates } = await start();
    const initial = updates();
    void rt.runLoop();
    const polls = () => serial.written.filter((w) => w === 'Q').length;
    await until("the loop's first update", () => updates() > initial);
    const before = polls();
    serial.unit.onBattery();
    await until('OB from the alert', () => get('ups.status') === 'OB', 5000);
    // the alert asked for an update (one more Q), far ahead of the 60 s poll
    await until('the update the alert asked for', () => polls() > before, 5000);
    expect(polls()).toBe(before + 1);
    serial.deliver('%');
    await until('LB from the alert', () => get('ups.status') === 'OB LB', 1000).catch(() => {});
    // status composed from the alert; the poll that follows reads the register (no LB there)
    expect(['OB LB', 'OB']).toContain(get('ups.status'));
  });

  it('a variable answering NA is removed; garbage on the line gives stale data, not a crash', async () => {
    const { rt, serial, get } = await start();
    serial.unit.answers.set('C', 'NA');
    await rt.update();
    expect(get('ups.temperature')).toBeUndefined();
    expect(rt.state.isStale()).toBe(false);
    serial.garble = (t) => t.replace(/\n/g, 'x');
    await rt.update();
    expect(rt.state.isStale()).toBe(true);
    serial.garble = undefined;
    for (let i = 0; i < 10; i++) await rt.update();
    expect(rt.state.isStale()).toBe(false);
  }, 20_000);

  it('an unplugged port is opened again', async () => {
    let serial = new FakeSerial(RT);
    const rt = new DriverRuntime(spec(), apcsmart() as unknown as DriverPlugin, { devices: fakeDevices(() => serial) });
    await rt.init();
    serial.unplug();
    await rt.update();
    expect(rt.state.isStale()).toBe(true);
    serial = new FakeSerial(RT);
    await rt.update();
    expect(rt.state.isStale()).toBe(false);
    expect(serial.written).toContain('Y');
  });
});

describe('settings and commands', () => {
  it('an enumerated setting is cycled with - until the unit shows it', async () => {
    const { rt, serial, get } = await start();
    const done = new Promise<number>((r) => rt.setvar('input.transfer.high', '261', undefined, r));
    void rt.runLoop();
    expect(await done).toBe(0);
    expect(serial.written.filter((w) => w === '-')).toHaveLength(2);
    expect(serial.unit.answers.get('u')).toBe('261');
    expect(get('input.transfer.high')).toBe('261');
  });

  it('a text setting is written as - and 8 bytes padded with CR', async () => {
    const { rt, serial, get } = await start();
    const done = new Promise<number>((r) => rt.setvar('ups.id', 'RACK7', undefined, r));
    void rt.runLoop();
    expect(await done).toBe(0);
    expect(serial.written.join('')).toContain('-RACK7\r\r\r');
    expect(get('ups.id')).toBe('RACK7');
    const tooLong = new Promise<number>((r) => rt.setvar('ups.id', 'NINECHARS', undefined, r));
    expect(await tooLong).toBe(3);
  });

  it('a dangerous command acts only when asked again 3 to 15 s later', async () => {
    const clock = { t: 1_000_000 };
    const { rt, serial } = await start(RT, {}, clock);
    void rt.runLoop();
    const cmd = () => new Promise<number>((r) => rt.instcmd('shutdown.stayoff', undefined, undefined, r));
    expect(await cmd()).toBe(0);
    expect(serial.written).not.toContain('K');
    clock.t += 5000;
    expect(await cmd()).toBe(0);
    expect(serial.written.filter((w) => w === 'K')).toHaveLength(2);
    clock.t += 60_000;
    expect(await cmd()).toBe(0);
    expect(serial.written.filter((w) => w === 'K')).toHaveLength(2);
  }, 20_000);

  it('commands: unknown, unsupported, wrong argument, and a plain one', async () => {
    const { rt, serial } = await start();
    void rt.runLoop();
    const cmd = (c: string, p?: string) => new Promise<number>((r) => rt.instcmd(c, p, undefined, r));
    expect(await cmd('beeper.toggle')).toBe(2);
    expect(await cmd('bypass.start')).toBe(2);
    expect(await cmd('shutdown.return', 'at:1234')).toBe(2);
    expect(await cmd('test.panel.start', 'x')).toBe(2);
    expect(await cmd('test.panel.start')).toBe(0);
    expect(serial.written).toContain('A');
  });

  it('shutdown.return cs on line: U, the CS delay, then S (acted upon on battery)', async () => {
    const clock = { t: 2_000_000 };
    const { rt, serial } = await start(RT, { cshdelay: '.2' }, clock);
    void rt.runLoop();
    const cmd = () => new Promise<number>((r) => rt.instcmd('shutdown.return', 'cs', undefined, r));
    expect(await cmd()).toBe(0);
    clock.t += 4000;
    expect(await cmd()).toBe(0);
    const sent = serial.written.join('');
    expect(sent).toMatch(/U[^U]*S$/);
    expect(serial.unit.status & 0x10).toBe(0x10);
  });

  it('opens the port at 2400 8N1; cable=940-0095B sets DTR on and RTS off', async () => {
    const seen: unknown[] = [];
    const serial = new FakeSerial(RT);
    const devices = fakeDevices(() => serial);
    const open = devices.openSerial;
    devices.openSerial = (path, o) => {
      seen.push({ path, ...o });
      return open(path, o);
    };
    const rt = new DriverRuntime(spec({ cable: '940-0095b' }), apcsmart() as unknown as DriverPlugin, { devices });
    await rt.init();
    expect(seen).toEqual([expect.objectContaining({ path: '/dev/fake', baudRate: 2400, dataBits: 8, parity: 'none', stopBits: 1, dtr: true, rts: false })]);
  });

  it('bad option values stop the driver with NUT\'s message', async () => {
    await expect(start(RT, { sdtype: '7' })).rejects.toThrow("invalid value (7) for option 'sdtype'");
    await expect(start(RT, { advorder: '15' })).rejects.toThrow("invalid value (15) for option 'advorder'");
  });
});
