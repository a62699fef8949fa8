/**
 * battery.charge / battery.runtime guesstimation (runtimecal, chargetime, idleload) over a
 * scripted discharge, NUT 2.8.0's nutdrv_qx and ours side by side on the UltraMax 1000SC
 * dump with its reporter's ups.conf (2 packs, 21.0-27.2 V, runtimecal 300,100,900,50). Each
 * point is sampled once both drivers have read the new battery voltage: with the voltage
 * falling faster than the time-based estimate, NUT's age correction makes the estimate
 * follow the voltage, so both drivers must publish the same numbers.
 */
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { eventually, startPair, type Pair } from './qx-harness.js';

const DUMP = join(resolve(import.meta.dirname, '..', 'fixtures', 'ddl'), 'UltraMax__1000SC__nutdrv_qx__2.8.0.1__04.dev');
const pairs: Pair[] = [];
afterAll(async () => {
  for (const p of pairs) await p.stop().catch(() => {});
});

describe('nutdrv_qx battery guesstimation (NUT and ours)', () => {
  it('charge and runtime over a scripted discharge and recharge', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    const p = await startPair(DUMP, {
      protocol: 'mustek',
      'override.battery.voltage.high': '27.2',
      'override.battery.voltage.nominal': '24.0',
      'override.battery.voltage.low': '21.0',
      'override.battery.packs': '2',
      runtimecal: '300,100,900,50',
      chargetime: '21600',
      idleload: '10',
    });
    pairs.push(p);
    const both = async (name: string) => [(await p.nutState()).vars.get(name), p.oursState().vars.get(name)];
    const samples: Array<[string, string | undefined, string | undefined]> = [];
    await p.event('onbattery');
    for (const [volts, load] of [
      ['13.1', '50'],
      ['12.4', '50'],
      ['11.8', '80'],
      ['11.2', '20'],
      ['10.6', '5'],
    ] as const) {
      await p.event(`set ups.load ${load}`);
      await p.event(`set battery.voltage ${volts}`);
      const want = Number(volts).toFixed(2);
      await eventually(`battery.voltage ${want} and load ${load}`, async () => {
        const [a, b] = await both('battery.voltage');
        const [la, lb] = await both('ups.load');
        return a === want && b === want && la === load && lb === load;
      });
      for (const name of ['battery.charge', 'battery.runtime']) {
        const [nut, ours] = await both(name);
        samples.push([`${volts} V ${load} %: ${name}`, nut, ours]);
      }
    }
    await p.event('online');
    await eventually('on line', async () => (await both('ups.status')).every((s) => s === 'OL'));
    for (const name of ['battery.charge', 'battery.runtime']) {
      const [nut, ours] = await both(name);
      samples.push([`on line: ${name}`, nut, ours]);
    }
    if (process.env.QX_SHOW) console.log(samples);
    for (const [what, nut, ours] of samples) expect.soft(ours, what).toBe(nut);
    // The estimate moved: the scripted points are not all the same value.
    expect(new Set(samples.filter(([w]) => w.endsWith('runtime')).map(([, n]) => n)).size).toBeGreaterThan(3);
  }, 90_000);
});
