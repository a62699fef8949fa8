/**
 * The Voltronic protocol against NUT 2.8.0's testing table (nutdrv_qx_voltronic.c, #ifdef
 * TESTING): a P01 unit, 230 V / 50 Hz rated, standby (QMOD S), outlets 1-3 switchable,
 * two warnings. The expected values follow NUT's value functions on those replies.
 */
import { describe, expect, it } from 'vitest';
import { builtinTableFiles, HandlerStatus, loadTables } from '../src/index.js';
import { makeRuntime, TestingLink } from './helpers/runtime.js';

const ranges = (rt: { tree: { get(n: string): { ranges: unknown[] } | undefined } }, name: string) => rt.tree.get(name)?.ranges;
const table = loadTables(builtinTableFiles()).find((t) => t.protocol === 'voltronic')!;

/** Initialised, then one full update (alarms are published by full updates only). */
async function start(options: Record<string, string | true> = {}, link = new TestingLink(table)) {
  let t = 1_000_000;
  const { rt, logs } = makeRuntime(link, { options: { protocol: 'voltronic', ...options }, now: () => t });
  await rt.init();
  t += 31_000;
  await rt.update();
  const v = (n: string) => rt.tree.getValue(n);
  const send = async (kind: 'cmd' | 'set', name: string, arg?: string) => {
    const before = link.sent.length;
    const status = kind === 'cmd' ? await rt.plugin.instcmd!(rt.ctx, name, arg) : await rt.plugin.setvar!(rt.ctx, name, arg!);
    return [status, link.sent.slice(before).join('|')];
  };
  return { rt, logs, v, send, link };
}

describe('nutdrv_qx voltronic (NUT testing table)', () => {
  it('reads QGS, QPI, QRI, QMD, F, QMF, QVFW, QID, QBV, QLDL, QHE, QFRE, QSK, RE0 as NUT does', async () => {
    const { v, rt } = await start();
    // QGS: (234.9 50.0 229.8 50.0 000.0 00A 369.1 ---.- 026.5 ---.- 018.8 100000000001 — the load "00A" is no number.
    expect([v('input.voltage'), v('input.frequency'), v('output.voltage'), v('output.frequency'), v('output.current')]).toEqual(['234.9', '50.0', '229.8', '50.0', '0.0']);
    expect(v('ups.load')).toBeUndefined();
    expect([v('ups.temperature'), v('ups.type'), v('ups.firmware.aux')]).toEqual(['18.8', 'online', 'P01']);
    // QRI (230.0 004 024.0 50.0; QMD (#######OLHVT1K0 ###1000 80 2/2 230 230 02 12.0; F #220.0 000 024.0 50.0
    expect([v('output.voltage.nominal'), v('output.current.nominal'), v('battery.voltage.nominal'), v('output.frequency.nominal')]).toEqual(['230.0', '4', '24.0', '50.0']);
    expect([v('device.model'), v('ups.power.nominal'), v('output.powerfactor'), v('input.phases'), v('output.phases'), v('input.voltage.nominal')]).toEqual(['OLHVT1K0', '1000', '0.8', '2', '2', '230.0']);
    expect([v('input.current.nominal'), v('input.frequency.nominal')]).toEqual(['0.0', '50.0']);
    expect([v('device.mfr'), v('ups.firmware'), v('device.serial')]).toEqual(['VOLTRONIC', '00322.02', '685653211455']);
    // QBV (026.5 02 01 068 255: runtime in minutes.
    expect([v('battery.voltage'), v('battery.packs'), v('battery.charge'), v('battery.runtime')]).toEqual(['26.50', '1', '68', '15300']);
    expect([v('output.power.minimum.percent'), v('output.power.maximum.percent')]).toEqual(['5', '80']);
    // QFLAG (EpashcjDbroegfl: r, g disabled; s, c, j enabled.
    expect([v('ups.start.auto'), v('battery.protection'), v('battery.energysave'), v('ups.start.battery'), v('outlet.0.switchable')]).toEqual(['no', 'yes', 'no', 'yes', 'yes']);
    expect(v('ups.beeper.status')).toBe('enabled');
    // QSK1..3 answer (QSK4 NAK), QSKT1/2 in minutes.
    expect([v('outlet.1.status'), v('outlet.2.status'), v('outlet.3.status'), v('outlet.4.status')]).toEqual(['on', 'off', 'on', undefined]);
    expect([v('outlet.1.delay.shutdown'), v('outlet.2.delay.shutdown'), v('outlet.3.delay.shutdown')]).toEqual(['480', '720', undefined]);
    // QHE (242 218 with limits from the nominal 230 V (P01); QFRE (50.0 00.0 with P01's 50 Hz limits.
    expect([v('input.transfer.high'), v('input.transfer.low')]).toEqual(['242', '218']);
    expect([v('input.transfer.high.min'), v('input.transfer.high.max'), v('input.transfer.low.min'), v('input.transfer.low.max')]).toEqual(['237', '254', '206', '223']);
    expect(ranges(rt, 'input.transfer.high')).toEqual([{ min: 237, max: 254 }]);
    expect([v('input.frequency.high'), v('input.frequency.low')]).toEqual(['50.0', '0.0']);
    expect(ranges(rt, 'input.frequency.high')).toEqual([{ min: 53, max: 60 }]);
    expect(ranges(rt, 'input.frequency.low')).toEqual([{ min: 40, max: 47 }]);
    // RE0 #20; 230 V × 4 A < 1000 VA keeps 24 and drops 28.
    expect(v('battery.voltage.low')).toBe('20.0');
    expect(ranges(rt, 'battery.voltage.low')).toEqual([{ min: 20, max: 24 }]);
    // QMOD (S: standby; QWS bits 58 and 64.
    expect(v('ups.status')).toMatch(/OL OFF$/);
    expect(v('ups.alarm')).toBe('UPS warnings: Warning!! Cover of maintain switch is open. Unknown warnings [bit: #64]');
    expect(rt.tree.commands()).toEqual(expect.arrayContaining(['beeper.enable', 'beeper.disable', 'bypass.start', 'bypass.stop', 'outlet.1.load.on', 'outlet.3.load.off']));
    expect(rt.tree.commands()).not.toContain('outlet.4.load.on');
  });

  it('logs the settings that have no NUT variable', async () => {
    const { logs } = await start();
    for (const l of [
      'battery_number: 2', 'battery_number, settable range: 1..9', 'bypass_alarm: enabled', 'battery_alarm: disabled', 'alarm_control: enabled',
      'eco_mode: disabled', 'max_bypass_volt: 264', 'max_bypass_volt, settable range: 230..264', 'min_bypass_volt, settable range: 170..220',
      'max_bypass_freq, settable range: 51.0..60.0', 'min_bypass_freq: 47.0', 'input_phase_angle: 000', 'output_phase_angle: 240',
      'voltronic_parallel: This UPS is *slave* in a system of UPSes in parallel',
    ]) expect(logs).toContain(l);
  });

  it('sends the wire forms of the commands and settings', async () => {
    const { send, v } = await start();
    expect(await send('cmd', 'shutdown.return')).toEqual([HandlerStatus.Failed, 'S.5R0003\r']);
    expect(await send('set', 'ups.delay.start', '150')).toEqual([HandlerStatus.Handled, '']);
    expect(v('ups.delay.start')).toBe('120');
    expect(await send('set', 'ups.delay.shutdown', '20')).toEqual([HandlerStatus.Handled, '']);
    expect(v('ups.delay.shutdown')).toBe('18');
    expect(await send('cmd', 'shutdown.return')).toEqual([HandlerStatus.Handled, 'S.3R0002\r']);
    expect(await send('cmd', 'shutdown.stayoff')).toEqual([HandlerStatus.Failed, 'S.3R0000\r']);
    expect(await send('cmd', 'test.battery.start', '18')).toEqual([HandlerStatus.Handled, 'T.3\r']);
    expect(await send('cmd', 'test.battery.start', '120')).toEqual([HandlerStatus.Failed, 'T02\r']);
    expect(await send('cmd', 'test.battery.start', '6')).toEqual([HandlerStatus.Failed, '']);
    expect(await send('cmd', 'test.battery.start', '1x')).toEqual([HandlerStatus.Failed, '']);
    expect(await send('cmd', 'beeper.toggle')).toEqual([HandlerStatus.Handled, 'BZOFF\r']);
    expect(await send('cmd', 'load.on')).toEqual([HandlerStatus.Handled, 'SON\r']);
    expect(await send('cmd', 'load.off')).toEqual([HandlerStatus.Failed, 'SOFF\r']);
    expect(await send('cmd', 'outlet.2.load.off')).toEqual([HandlerStatus.Handled, 'SKOFF2\r']);
    expect(await send('set', 'input.transfer.high', '250')).toEqual([HandlerStatus.Handled, 'HEH250\r']);
    expect(await send('set', 'input.transfer.high', '260')).toEqual([HandlerStatus.Unknown, '']);
    expect(await send('set', 'input.frequency.high', '54')).toEqual([HandlerStatus.Handled, 'FREH54.0\r']);
    expect(await send('set', 'battery.energysave', 'yes')).toEqual([HandlerStatus.Handled, 'PEG\r']);
    expect(await send('set', 'battery.packs', '4')).toEqual([HandlerStatus.Handled, 'BATGN04\r']);
    expect(await send('set', 'battery.voltage.low', '24')).toEqual([HandlerStatus.Handled, 'W0E24\r']);
    expect(await send('set', 'battery.voltage.low', '28')).toEqual([HandlerStatus.Unknown, '']);
    expect(await send('set', 'outlet.1.delay.shutdown', '480')).toEqual([HandlerStatus.Handled, '']);
    expect(await send('set', 'outlet.1.delay.shutdown', '500')).toEqual([HandlerStatus.Handled, 'PSK1008\r']);
  });

  it('changes the settings ups.conf asks for, once, within the unit limits', async () => {
    const { link } = await start({ min_bypass_volt: '190', max_bypass_freq: '51', battery_number: '2', eco_mode: 'enabled', bypass_alarm: 'enabled', output_phase_angle: '120' });
    // eco_mode is disabled (PEE sent), bypass_alarm already enabled, battery_number already 2,
    // 190 within 170..220, 51.0 within 51.0..60.0; NUT sends the angle's index (120° is 001).
    expect(link.sent).toEqual(expect.arrayContaining(['PEE\r', 'PLV190\r', 'PGF51.0\r', 'PPD001\r']));
    expect(link.sent).not.toContain('PEP\r');
    expect(link.sent.some((c) => c.startsWith('BATN'))).toBe(false);
  });

  it('turns QWS warnings into alarms and status bits', async () => {
    class Warned extends TestingLink {
      override async command(cmd: string) {
        // Bits #8 (low battery), #9 (overload), #56 (replace battery) and #63 (unknown).
        const bits = [...'0'.repeat(64)].map((b, i) => ([7, 8, 55, 62].includes(i) ? '1' : b)).join('');
        if (cmd === 'QWS\r') return { data: `(${bits}\r`, length: 66 };
        return super.command(cmd);
      }
    }
    const { rt } = await start({}, new Warned(table));
    // RB also brings the driver's own "Replace battery!" alarm.
    expect(rt.tree.getValue('ups.alarm')).toBe('UPS warnings: Low battery. Overload alarm. Warning for Battery replace. Unknown warnings [bit: #63] Replace battery!');
    expect(rt.tree.getValue('ups.status')?.split(' ')).toEqual(expect.arrayContaining(['LB', 'OVER', 'RB']));
  });
});
