/**
 * nutdrv_qx in the host, three sections on three Q1 simulators (pseudo-terminals), sharing
 * one driver worker and each in a worker of its own: every section serves, through upsd, what
 * NUT 2.8.0's nutdrv_qx publishes for the same simulator; pooled, one unit unplugged makes only
 * its section stale while its worker-mates keep answering (an event on a mate still gets through),
 * and it comes back by itself.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOp } from '../../core/src/driver-socket/codec.js';
import { requireOracle } from '../helpers/oracle.js';
import { poolModes, startFleet, type Fleet } from '../helpers/pooled-fleet.js';
import { dumpAll, eventually, normalizeDump, startNut, startSim, wordsOf, type Sim } from './qx-harness.js';

const DUMP = join(resolve(import.meta.dirname, '..', 'fixtures', 'ddl'), 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');
const NAMES = ['q0', 'q1', 'q2'];
const OPTIONS = { protocol: 'megatec', pollinterval: '1' };

let sims: Sim[] = [];
/** NUT's nutdrv_qx on the first simulator: its DUMPALL once the first update is in. */
let nutDump: string[] = [];

beforeAll(async () => {
  requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
  sims = await Promise.all(NAMES.map(() => startSim(DUMP)));
  const nut = await startNut(sims[0]!.pty.path, OPTIONS);
  try {
    await eventually('NUT publishes ups.status', async () => (nutDump = await dumpAll(nut.socket)).some((l) => l.startsWith('SETINFO ups.status ')), 30_000);
  } finally {
    await nut.stop();
  }
  expect(nutValues().size).toBeGreaterThan(20);
}, 60_000);

afterAll(async () => {
  for (const s of sims) await s.close();
});

function nutValues(): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of nutDump) {
    const [op, name, value] = wordsOf(l);
    if (op === 'SETINFO' && name && !name.startsWith('driver.')) m.set(name, value ?? '');
  }
  return m;
}

describe.each(poolModes(NAMES.length))('nutdrv_qx %s in the host', (label, settings, workers) => {
  let fleet: Fleet;

  beforeAll(async () => {
    const conf = NAMES.map((n, i) => `[${n}]\n driver = nutdrv_qx\n port = ${sims[i]!.pty.path}\n protocol = megatec\n pollinterval = 1\n`).join('');
    fleet = await startFleet(conf, NAMES, settings);
  }, 60_000);

  afterAll(async () => {
    await fleet?.close();
  });

  it(`runs in ${workers} worker(s)`, () => {
    expect(fleet.host.pool.workers()).toHaveLength(workers);
  });

  it('every section serves what NUT\'s nutdrv_qx publishes', async () => {
    for (const n of NAMES) await eventually(`${n} OL`, async () => (await fleet.status(n)) === 'OL', 20_000);
    for (const n of NAMES) {
      expect(await fleet.values(n), n).toEqual(nutValues());
      const tree = fleet.host.instance(n)!.tree.dump().map(encodeOp);
      expect(normalizeDump(tree), n).toEqual(normalizeDump(nutDump));
    }
  });

  // Pooled only: the unit goes stale after NUT's retries (about 7 s); one section alone in its
  // worker doing the same is qx-events.test.ts's unplugged cable.
  if (label !== 'pooled') return;
  it('one unit unplugged: only its section goes stale, the others keep answering, and it comes back', async () => {
    await sims[0]!.event('unplug');
    await eventually('q0 stale', async () => (await fleet.status('q0')) === 'ERR DATA-STALE', 30_000);
    expect(await fleet.status('q1')).toBe('OL');
    expect(await fleet.status('q2')).toBe('OL');
    // a mate's device still gets through while q0 is gone
    await sims[1]!.event('onbattery');
    await eventually('q1 OB', async () => (await fleet.status('q1')) === 'OB', 20_000);
    expect(await fleet.status('q0')).toBe('ERR DATA-STALE');
    await sims[1]!.event('online');
    await eventually('q1 OL', async () => (await fleet.status('q1')) === 'OL', 20_000);
    await sims[0]!.event('replug');
    await eventually('q0 back', async () => (await fleet.status('q0')) === 'OL', 30_000);
    expect(await fleet.values('q0')).toEqual(nutValues());
    expect(await fleet.status('q2')).toBe('OL');
  }, 90_000);
});
