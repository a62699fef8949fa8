/**
 * Events, commands and faults on the Q1 simulator, NUT 2.8.0's nutdrv_qx and ours side by
 * side (one simulator each, same events): both publish the same tree after each event,
 * send the same wire commands, go stale on silence or an unplugged cable after NUT's
 * five failed polls, and recover.
 */
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { dumpAll, eventually, normalizeDump, oursDump, oursInstcmd, oursSetvar, startPair, type Pair } from './qx-harness.js';

const DUMP = join(resolve(import.meta.dirname, '..', 'fixtures', 'ddl'), 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');
const pairs: Pair[] = [];
afterAll(async () => {
  for (const p of pairs) await p.stop().catch(() => {});
});

async function bothShow(p: Pair, name: string, value: string): Promise<void> {
  await eventually(
    `${name} = ${value}`,
    async () => (await p.nutState()).vars.get(name) === value && p.oursState().vars.get(name) === value,
    20_000,
    async () => `NUT ${(await p.nutState()).vars.get(name)}, ours ${p.oursState().vars.get(name)}; ours logged ${p.ours.logs.slice(-5).join(' | ')}`,
  );
}

async function sameTrees(p: Pair): Promise<void> {
  expect(normalizeDump(oursDump(p.ours.rt))).toEqual(normalizeDump(await dumpAll(p.nut.socket)));
}

describe('nutdrv_qx events, commands and faults (NUT and ours)', () => {
  it('power events and instant commands', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    const p = await startPair(DUMP, { protocol: 'megatec' });
    pairs.push(p);
    await bothShow(p, 'ups.status', 'OL');
    await sameTrees(p);

    await p.event('onbattery');
    await bothShow(p, 'ups.status', 'OB');
    await bothShow(p, 'input.voltage', '0.0');
    await sameTrees(p);
    await p.event('lowbattery');
    await bothShow(p, 'ups.status', 'OB LB');
    await sameTrees(p);
    await p.event('online');
    await bothShow(p, 'ups.status', 'OL');
    await bothShow(p, 'input.voltage', '253.0');
    await p.event('fail');
    await bothShow(p, 'ups.alarm', 'UPS selftest failed!');
    await p.event('ok');

    // Commands: the same wire strings reach each simulator; their effects come back as status.
    const [nutSim, ourSim] = p.sims;
    for (const [cmd, wire, status] of [
      ['test.battery.start.quick', 'T', 'OL CAL'],
      ['test.battery.stop', 'CT', 'OL'],
      ['shutdown.return', 'S.5R0003', 'ALARM OL FSD'],
      ['shutdown.stop', 'C', 'OL'],
      ['beeper.toggle', 'Q', 'OL'],
    ] as const) {
      await p.nutCommand(`INSTCMD ${cmd}`);
      expect(await oursInstcmd(p.ours.rt, cmd)).toBe(0);
      await eventually(`${wire} sent`, () => nutSim.device.received.includes(wire) && ourSim.device.received.includes(wire));
      await bothShow(p, 'ups.status', status);
    }
    await bothShow(p, 'ups.beeper.status', 'enabled');
    // A settable delay changes the wire form of the next shutdown the same way.
    await p.nutCommand('SET ups.delay.shutdown 125');
    expect(await oursSetvar(p.ours.rt, 'ups.delay.shutdown', '125')).toBe(0);
    await bothShow(p, 'ups.delay.shutdown', '120');
    await p.nutCommand('INSTCMD shutdown.stayoff');
    expect(await oursInstcmd(p.ours.rt, 'shutdown.stayoff')).toBe(0);
    await eventually('S02R0000 sent', () => nutSim.device.received.includes('S02R0000') && ourSim.device.received.includes('S02R0000'));
    await bothShow(p, 'ups.status', 'ALARM OL FSD');
    await bothShow(p, 'ups.alarm', 'Shutdown imminent!');
    await sameTrees(p);
  }, 90_000);

  it('noise, slow answers, silence and an unplugged cable: stale after NUT\'s retries, then recovery', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    // Quick polls between full ones (NUT's default pollfreq): a dead line fails a poll in 1 s.
    const p = await startPair(DUMP, { protocol: 'megatec', pollfreq: '30' });
    pairs.push(p);
    await bothShow(p, 'ups.status', 'OL');

    // Junk after each reply (NUL, quote, newline, 0xff) and slow replies: the framing holds.
    await p.event('noise on');
    await p.event('slow 300');
    await p.event('onbattery');
    await bothShow(p, 'ups.status', 'OB');
    await p.event('online');
    await bothShow(p, 'ups.status', 'OL');
    expect((await p.nutState()).stale).toBe(false);
    expect(p.oursState().stale).toBe(false);
    await sameTrees(p);
    await p.event('noise off');
    await p.event('slow 0');

    for (const [fault, back] of [
      ['garble on', 'garble off'],
      ['silence on', 'silence off'],
      ['unplug', 'replug'],
    ] as const) {
      await p.event(fault);
      await eventually(`stale after ${fault}`, async () => (await p.nutState()).stale && p.oursState().stale, 30_000);
      await p.event(back);
      await eventually(`recovery after ${back}`, async () => !(await p.nutState()).stale && !p.oursState().stale);
      expect(p.ours.logs).toContain('Communications with the UPS re-established');
    }
    await sameTrees(p);
  }, 120_000);
});
