/**
 * apcsmart on the Smart-UPS simulator: alert characters reach ups.status between polls, and
 * a silent, garbled or unplugged line gives stale data and then recovers by itself, while a
 * second instance on a healthy line carries on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { DDL, ourSpec, startOurDriver, startSimulator, type OurDriver, type Simulator } from './apcsmart-harness.js';

const DUMP = join(DDL, 'APC__Smart-UPS_RT_8000_RM__apcsmart__2.0.3__01.dev');
const dir = mkdtempSync(join(tmpdir(), 'nut-ts-apcsmart-events-'));
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
  rmSync(dir, { recursive: true, force: true });
});

const status = (d: OurDriver) => d.runtime.tree.getValue('ups.status');

describe('alerts between polls', () => {
  let sim: Simulator;
  let drv: OurDriver;
  beforeAll(async () => {
    sim = await startSimulator(DUMP, dir, 'alerts');
    stops.push(() => sim.stop());
    // A poll interval far longer than the waits below: whatever arrives came with the alert.
    drv = await startOurDriver(ourSpec('alerts', sim.port, {}, 120));
    stops.push(() => drv.stop());
  });

  it.each([
    ['onbattery', 'OB'],
    ['lowbattery', 'OB LB'],
    ['online', 'OL'],
    ['overload', 'OL OVER'],
    ['overloadend', 'OL'],
    ['replacebattery', 'OL RB'],
  ])('%s reaches ups.status as %s before the next poll', async (event, expected) => {
    expect(status(drv)).not.toBe(expected);
    sim.event(event);
    await until(`ups.status ${expected}`, () => status(drv) === expected, 10_000);
  });
});

describe('faults on the line', () => {
  let sim: Simulator;
  let healthySim: Simulator;
  let drv: OurDriver;
  let healthy: OurDriver;
  beforeAll(async () => {
    sim = await startSimulator(DUMP, dir, 'faulty');
    healthySim = await startSimulator(DUMP, dir, 'healthy');
    stops.push(() => sim.stop(), () => healthySim.stop());
    drv = await startOurDriver(ourSpec('faulty', sim.port, {}, 1));
    healthy = await startOurDriver(ourSpec('healthy', healthySim.port, {}, 1));
    stops.push(() => drv.stop(), () => healthy.stop());
  });

  const stale = (d: OurDriver) => d.runtime.state.isStale();
  /** The healthy instance polled again since `before` (its simulator received another Q). */
  const healthyPolls = () => healthySim.received().split('Q').length;

  async function staleThenRecovered(on: string, off: string): Promise<void> {
    expect(stale(drv)).toBe(false);
    const polls = healthyPolls();
    sim.event(on);
    await until('stale data', () => stale(drv), 20_000);
    expect(stale(healthy)).toBe(false);
    sim.event(off);
    sim.event('set input.voltage 230.0');
    await until('fresh data', () => !stale(drv) && drv.runtime.tree.getValue('input.voltage') === '230.0', 30_000);
    sim.event('set input.voltage 244.8');
    expect(stale(healthy)).toBe(false);
    expect(healthyPolls()).toBeGreaterThan(polls);
  }

  it('silence: stale, then recovery', () => staleThenRecovered('silence on', 'silence off'));
  it('garbled answers: stale, then recovery', () => staleThenRecovered('garble on', 'garble off'));
  it('unplugged cable: stale, then the port is opened again', () => staleThenRecovered('unplug', 'replug'));

  it('slow answers (inside the 3 s read timeout): data stays fresh', async () => {
    sim.event('slow 100');
    const polls = sim.received().split('Q').length;
    await until('two slow polls', () => sim.received().split('Q').length >= polls + 2, 30_000);
    expect(stale(drv)).toBe(false);
    sim.event('slow 0');
  });

  it('line noise between polls: no harm, data stays fresh', async () => {
    const polls = sim.received().split('Q').length;
    for (let i = 0; i < 5; i++) sim.event('noise 64');
    await until('two more polls', () => sim.received().split('Q').length >= polls + 2, 20_000);
    expect(drv.runtime.tree.getValue('ups.model')).toBe('Smart-UPS RT 8000 XL    ');
    expect(stale(drv)).toBe(false);
  });
});
