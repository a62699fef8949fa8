/**
 * The example plugin (examples/nut-ts-driver-example) in the host, three sections sharing one
 * driver worker and each in a worker of its own: every section serves its own options and its
 * own state through upsd (one on battery drains, its worker-mates stay on line at full
 * charge), as the example's source and README say a UPS of it behaves.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolModes, startFleet, type Fleet } from '../helpers/pooled-fleet.js';
import { until } from '../helpers/wait.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'nut-ts-driver-example');
const NAMES = ['e0', 'e1', 'e2'];
const CONF = [
  '[e0]\n driver = example-ups\n port = none\n model = "Alpha 100"\n pollinterval = 1\n',
  '[e1]\n driver = example-ups\n port = none\n model = "Beta 200"\n on_battery\n drain = 10\n pollinterval = 1\n',
  '[e2]\n driver = example-ups\n port = none\n pollinterval = 1\n',
].join('');

describe.each(poolModes(NAMES.length))('example-ups %s in the host', (_label, settings, workers) => {
  let fleet: Fleet;
  let latest = new Map<string, Map<string, string>>();
  let polling = true;
  let probe: Promise<void>;

  beforeAll(async () => {
    fleet = await startFleet(CONF, NAMES, { ...settings, pluginPaths: [EXAMPLE] });
    probe = (async () => {
      while (polling) {
        const next = new Map<string, Map<string, string>>();
        for (const n of NAMES) next.set(n, await fleet.values(n).catch(() => new Map<string, string>()));
        latest = next;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }, 60_000);

  afterAll(async () => {
    polling = false;
    await probe;
    await fleet?.close();
  });

  it(`runs in ${workers} worker(s)`, () => {
    expect(fleet.host.pool.workers()).toHaveLength(workers);
  });

  it('each section serves its own options', async () => {
    await until('all served', () => NAMES.every((n) => latest.get(n)?.has('ups.status')), 20_000);
    expect(NAMES.map((n) => [n, latest.get(n)!.get('ups.mfr'), latest.get(n)!.get('ups.model')])).toEqual([
      ['e0', 'Example Corp', 'Alpha 100'],
      ['e1', 'Example Corp', 'Beta 200'],
      ['e2', 'Example Corp', 'Example 1500'],
    ]);
  });

  it('each section keeps its own state: the one on battery drains, its mates stay full on line', async () => {
    // 100 % less 10 per update: at or below 70 after three updates of e1's own
    await until('e1 drained', () => Number(latest.get('e1')?.get('battery.charge')) <= 70, 20_000);
    const e1 = latest.get('e1')!;
    expect(e1.get('ups.status')).toBe('OB DISCHRG');
    expect(e1.get('input.voltage')).toBe('0.0');
    for (const n of ['e0', 'e2']) {
      const v = latest.get(n)!;
      expect([n, v.get('ups.status'), v.get('battery.charge'), v.get('input.voltage')]).toEqual([n, 'OL', '100', '230.0']);
    }
    for (const n of NAMES) expect(fleet.host.instance(n)!.tree.stale, n).toBe(false);
  });
});
