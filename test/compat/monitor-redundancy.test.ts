/**
 * Redundant supplies (user manual 6.5): a host fed by two UPSes, each with power value 2, and
 * MINSUPPLIES 2. One UPS going OB LB leaves enough power; both critical means shutdown.
 * Runs with NUT's and our upsmon on NUT's and our upsd.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { COMBOS, criticalRounds, loggedIn, seq, setSeq, startStack, startUpsmon, types, waitFor, type Stack } from './monitor-harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

const results = new Map<string, { afterOne: string[]; end: string[]; fsd: string[] }>();

function status(s: Stack, ups: string): string {
  return spawnSync('upsc', [`${ups}@127.0.0.1:${s.port}`, 'ups.status'], { encoding: 'latin1' }).stdout.trim();
}

describe.each(COMBOS)('upsd %s, upsmon %s', (upsd, impl) => {
  it('MINSUPPLIES 2 with two UPSes of power value 2: one OB LB keeps the host up, two shut it down', async () => {
    stack = await startStack(upsd, { a: seq('OL'), b: seq('OL') });
    const body = `MONITOR a@127.0.0.1:@PORT 2 mon pw primary
MONITOR b@127.0.0.1:@PORT 2 mon pw primary
MINSUPPLIES 2
POLLFREQ 1
POLLFREQALERT 1
HOSTSYNC 5
FINALDELAY 1`;
    const m = startUpsmon(stack, { name: 'big', impl, split: true, body });
    await waitFor(() => m.stderr().split('Logged into UPS').length > 2 && loggedIn(m), 'logged into both UPSes');
    const a = `a@127.0.0.1:${stack.port}`;
    const b = `b@127.0.0.1:${stack.port}`;

    setSeq(stack, 'a', seq('OB LB DISCHRG', 5));
    // two whole rounds with `a` counted critical: the sum (2) still meets MINSUPPLIES (2)
    await waitFor(() => criticalRounds(m, a) >= 2, 'two rounds with a critical');
    expect(m.exitCode()).toBeUndefined();
    expect(existsSync(m.marker)).toBe(false);
    expect(status(stack, 'a')).not.toContain('FSD');
    const afterOne = m.order();
    expect(afterOne).toEqual(['ONBATT', 'LOWBATT']);

    setSeq(stack, 'b', seq('OB LB DISCHRG', 5));
    expect(await m.exit).toBe(0);
    expect(existsSync(m.marker)).toBe(true);
    expect(m.order()).toEqual(['ONBATT', 'LOWBATT', 'ONBATT', 'LOWBATT', 'SHUTDOWN']);
    expect(m.notes().filter((n) => n.type === 'LOWBATT').map((n) => n.ups).sort()).toEqual([a, b]);
    // FSD went to every UPS this host is primary for
    const fsd = ['a', 'b'].filter((u) => status(stack!, u).startsWith('FSD'));
    expect(fsd).toEqual(['a', 'b']);
    expect(types(m).length).toBe(5);
    results.set(`${upsd}/${impl}`, { afterOne, end: m.order(), fsd });
  });
});

describe('all runs agree with NUT on NUT', () => {
  it('same notifications, same FSD targets', () => {
    const ref = results.get('nut/nut');
    expect(ref).toBeDefined();
    for (const [key, r] of results) expect(r, key).toEqual(ref);
    expect(results.size).toBe(COMBOS.length);
  });
});
