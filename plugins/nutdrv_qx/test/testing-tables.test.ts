/**
 * NUT keeps a command → reply table in each nutdrv_qx protocol file (#ifdef TESTING); the
 * driver built with TESTING answers from it. The same tables drive our engine here: each
 * protocol must claim its own table's device, initialise and update, and the commands the
 * table lists must go out as the wire strings NUT's table expects.
 */
import { describe, expect, it } from 'vitest';
import { builtinTableFiles, HandlerStatus, loadTables } from '../src/index.js';
import { makeRuntime, TestingLink } from './helpers/runtime.js';

const tables = loadTables(builtinTableFiles());
const byName = (p: string) => tables.find((t) => t.protocol === p)!;

/** Protocols whose every named function is implemented. */
const COMPLETE = ['megatec', 'megatec/old', 'mustek', 'q1', 'zinto', 'hunnox', 'voltronic-qs', 'voltronic-qs-hex', 'mecer', 'bestups', 'ablerex'];

describe('nutdrv_qx protocol tables against NUT testing tables', () => {
  it('ships every protocol of NUT 2.8.0 in its detection order', () => {
    expect(tables.map((t) => t.protocol)).toEqual([
      'voltronic', 'voltronic-qs', 'voltronic-qs-hex', 'mustek', 'megatec/old', 'bestups', 'mecer',
      'megatec', 'zinto', 'masterguard', 'hunnox', 'ablerex', 'q1',
    ]);
  });

  for (const p of COMPLETE) {
    it(`${p}: claims its testing device, initialises, updates`, async () => {
      const table = byName(p);
      const link = new TestingLink(table);
      const { rt, logs } = makeRuntime(link, { options: { protocol: table.version.split(' ')[0]! } });
      await rt.init();
      expect(logs).toContain(`Using protocol: ${table.version}`);
      expect(rt.tree.getValue('driver.version.data')).toBe(table.version);
      expect(rt.tree.getValue('ups.status')).toMatch(/^O[LB]/);
      expect(rt.state.isStale()).toBe(false);
      // Every instant command NUT's table answers succeeds and sends a command the table knows.
      for (const cmd of rt.tree.commands()) {
        const before = link.sent.length;
        const status = await rt.plugin.instcmd!(rt.ctx, cmd);
        const sent = link.sent.slice(before);
        if (status === 0) expect(sent.every((s) => table.testing!.some((t) => t.command.toLowerCase() === s.toLowerCase()))).toBe(true);
      }
    });
  }

  it('voltronic-qs-hex: the binary QS reply decoded as NUT decodes it', async () => {
    const table = byName('voltronic-qs-hex');
    const { rt } = makeRuntime(new TestingLink(table), { options: { protocol: 'voltronic-qs-hex' } });
    await rt.init();
    const v = (n: string) => rt.tree.getValue(n);
    // QS → #6C01 35 6C01 35 03 519A 1312D0 E6 1E 00001001; M → P (no ratings items). NUT's
    // formulas: volts trunc(0x6C01*0x35/51)/256 = 112.2, Hz 0x1312D0/0x519A = 59.8,
    // battery 0xE6*0x1E/510 = 13.53, load 0x03.
    expect([v('input.voltage'), v('output.voltage'), v('ups.load'), v('output.frequency'), v('battery.voltage')]).toEqual(['112.2', '112.2', '3', '59.8', '13.53']);
    expect([v('ups.firmware.aux'), v('ups.status'), v('ups.type'), v('ups.beeper.status')]).toEqual(['PM-P', 'OL', 'offline / line interactive', 'enabled']);
    expect(v('output.voltage.nominal')).toBeUndefined();
  });

  it('megatec: values cut from Q1/F/I and the wire form of every command', async () => {
    const table = byName('megatec');
    const link = new TestingLink(table);
    const { rt } = makeRuntime(link, { options: { protocol: 'megatec' } });
    await rt.init();
    const v = (n: string) => rt.tree.getValue(n);
    // Q1 → (215.0 195.0 230.0 014 49.0 22.7 30.0 00000000; F → #230.0 000 024.0 50.0
    expect([v('input.voltage'), v('input.voltage.fault'), v('output.voltage'), v('ups.load')]).toEqual(['215.0', '195.0', '230.0', '14']);
    expect([v('input.frequency'), v('battery.voltage'), v('ups.temperature')]).toEqual(['49.0', '22.70', '30.0']);
    expect([v('ups.status'), v('ups.type'), v('ups.beeper.status')]).toEqual(['OL', 'online', 'disabled']);
    expect([v('input.voltage.nominal'), v('input.current.nominal'), v('battery.voltage.nominal'), v('input.frequency.nominal')]).toEqual(['230', '0.0', '24.0', '50']);
    expect([v('device.mfr'), v('device.model'), v('ups.firmware')]).toEqual(['NOT_A_LIVE_UPS', 'TESTING', 'TESTING']);
    expect([v('battery.voltage.low'), v('battery.voltage.high')]).toEqual(['20.80', '26.00']);
    const send = async (cmd: string, arg?: string) => {
      const before = link.sent.length;
      const status = await rt.plugin.instcmd!(rt.ctx, cmd, arg);
      return [status, link.sent.slice(before).join('|')];
    };
    // NUT's table has no S.5R0003: the device echoes it, which is a failure (no ACK).
    expect(await send('shutdown.return')).toEqual([HandlerStatus.Failed, 'S.5R0003\r']);
    expect(await send('shutdown.stayoff')).toEqual([HandlerStatus.Handled, 'S.5R0000\r']);
    expect(await send('test.battery.start', '240')).toEqual([HandlerStatus.Handled, 'T04\r']);
    expect(await send('test.battery.start', '30')).toEqual([HandlerStatus.Failed, '']);
    expect(await send('no.such.command')).toEqual([HandlerStatus.Invalid, '']);
    // ups.delay.* are server-side: range-checked, truncated, never sent.
    expect(await rt.plugin.setvar!(rt.ctx, 'ups.delay.shutdown', '125')).toBe(HandlerStatus.Handled);
    expect(v('ups.delay.shutdown')).toBe('120');
    expect(await rt.plugin.setvar!(rt.ctx, 'ups.delay.shutdown', '700')).toBe(HandlerStatus.Unknown);
    expect(await rt.plugin.setvar!(rt.ctx, 'ups.delay.start', '300')).toBe(HandlerStatus.Handled);
    expect(await send('shutdown.return')).toEqual([HandlerStatus.Handled, 'S02R0005\r']);
  });

  it('detects megatec among all protocols in NUT order with the wire sequence NUT uses', async () => {
    const table = byName('megatec');
    const link = new TestingLink(table);
    const { rt, logs } = makeRuntime(link);
    await rt.plugin.initups!(rt.ctx);
    expect(logs).toContain('Using protocol: Megatec 0.06');
    // NUT 2.8.0 against an echoing Megatec device (reference/nutdrv_qx.md §2).
    const expected = [
      ...Array(3).fill('QGS\r'), ...Array(6).fill('M\r'), ...Array(3).fill('QS\r'), ...Array(3).fill('D\r'),
      ...Array(3).fill(['Q1\r', 'ID\r']).flat(), ...Array(3).fill(['Q1\r', 'QPI\r']).flat(), 'Q1\r', 'I\r',
    ];
    expect(link.sent).toEqual(expected);
  });
});
