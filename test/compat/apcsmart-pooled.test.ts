/**
 * apcsmart in the host, three sections on three Smart-UPS simulators (pseudo-terminals),
 * sharing one driver worker and each in a worker of its own: every section serves, through
 * upsd, what NUT 2.8.0's apcsmart publishes for the same simulator; one unit unplugged makes
 * only its section stale while its worker-mates keep answering (an alert from a mate reaches
 * that mate alone, long before its next poll), and it comes back by itself; one section
 * stopped and started again gets its port back while the others carry on.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeOp } from '../../core/src/driver-socket/codec.js';
import { makeSandbox, requireOracle, startNutDriver, stopChild } from '../helpers/oracle.js';
import { DDL, startSimulator, type Simulator } from './apcsmart-harness.js';
import { describePoolModes, restartSection } from '../helpers/pooled-fleet.js';
import { dumpAll, eventually, normalizeDump, setinfoValues } from './qx-harness.js';

const DUMP = join(DDL, 'APC__Smart-UPS_DP_8000_XL__apcsmart__2.0.0__01.dev');
const NAMES = ['a0', 'a1', 'a2'];

const sb = makeSandbox('nut-ts-apcsmart-pooled-');
let sims: Simulator[] = [];
/** NUT's apcsmart on the first simulator: its DUMPALL once it holds still. */
let nutDump: string[] = [];

beforeAll(async () => {
  requireOracle('/lib/nut/apcsmart', '/usr/bin/socat');
  sims = await Promise.all(NAMES.map((n) => startSimulator(DUMP, sb.dir, n)));
  sb.write('ups.conf', `[nut]\n\tdriver = apcsmart\n\tport = ${sims[0]!.port}\n`);
  const nut = startNutDriver(sb, 'apcsmart', 'nut');
  try {
    const socket = join(sb.statePath, 'apcsmart-nut');
    let last = '';
    await eventually(
      'NUT\'s apcsmart settles',
      async () => {
        if (!existsSync(socket)) return false;
        const lines = await dumpAll(socket);
        const same = lines.some((l) => l.startsWith('SETINFO ups.status ')) && lines.join('\n') === last;
        last = lines.join('\n');
        nutDump = lines;
        return same;
      },
      30_000,
    );
  } finally {
    await stopChild(nut);
  }
  expect(nutValues().size).toBeGreaterThan(20);
}, 60_000);

afterAll(async () => {
  for (const s of sims) await s.stop();
  sb.cleanup();
});

const nutValues = () => setinfoValues(nutDump);

// a0 (the one unplugged) polls every second; its mates every 120 s, so a status change on
// them within the test came from the unit's alert, and one crossing over would stay
describePoolModes('apcsmart', NAMES, () =>
  NAMES.map((n, i) => `[${n}]\n driver = apcsmart\n port = ${sims[i]!.port}\n pollinterval = ${i === 0 ? 1 : 120}\n`).join(''),
  (fleet, workers) => {
    it('every section serves what NUT\'s apcsmart publishes', async () => {
      for (const n of NAMES) await fleet().untilStatus(n, 'OL', 20_000);
      for (const n of NAMES) {
        expect(await fleet().values(n), n).toEqual(nutValues());
        const tree = fleet().host.instance(n)!.tree.dump().map(encodeOp);
        expect(normalizeDump(tree), n).toEqual(normalizeDump(nutDump));
      }
    });

    it('one unit unplugged: only its section goes stale, the others keep answering, and it comes back', async () => {
      sims[0]!.event('unplug');
      await fleet().untilStatus('a0', 'ERR DATA-STALE', 30_000);
      expect(await fleet().status('a1')).toBe('OL');
      expect(await fleet().status('a2')).toBe('OL');
      sims[1]!.event('onbattery');
      await fleet().untilStatus('a1', 'OB', 10_000);
      expect(await fleet().status('a0')).toBe('ERR DATA-STALE');
      expect(await fleet().status('a2')).toBe('OL');
      sims[1]!.event('online');
      await fleet().untilStatus('a1', 'OL', 10_000);
      sims[0]!.event('replug');
      await fleet().untilStatus('a0', 'OL', 30_000);
      expect(await fleet().values('a0')).toEqual(nutValues());
      expect(await fleet().status('a2')).toBe('OL');
    }, 90_000);

    it('one section stopped and started again: its port is free for it, its worker-mates carry on', async () => {
      await restartSection(fleet(), 'a2', 'a1', nutValues());
      expect(fleet().host.pool.workers()).toHaveLength(workers);
    }, 60_000);
  },
);
