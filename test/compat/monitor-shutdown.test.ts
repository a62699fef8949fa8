/**
 * The shutdown that must never fail: one primary and two secondaries (separate upsmon
 * processes) on one upsd while NUT's dummy-ups goes OL → OB → OB LB; a secondary that never
 * logs out; power coming back before LB. Each scenario runs with NUT's upsmon and ours, on
 * NUT's upsd and ours, and the runs must agree with NUT-on-NUT.
 *
 * Phases are driven by events, not by the clock: the .seq file is rewritten (dummy-ups re-reads
 * it at every loop) once every upsmon has logged in, and again once each has notified.
 */
import { readFileSync, existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPowerDownFlag, COMBOS, loggedIn, seq, setSeq, startStack, startUpsmon, stuckSecondary, types, waitFor, type MonitorRun, type Stack } from './monitor-harness.js';

const TIMING = `POLLFREQ 2
POLLFREQALERT 1
HOSTSYNC 15
DEADTIME 15
FINALDELAY 1`;

const combos = COMBOS;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

interface Outcome {
  primary: string[];
  secondaries: string[][];
  exitCodes: Array<number | null>;
  flagContent: string;
  secondaryFlags: boolean[];
  killpowerCheck: number | null;
}
const outcomes = new Map<string, Outcome>();



describe.each(combos)('upsd %s, upsmon %s', (upsd, impl) => {
  it('OL → OB → OB LB: secondaries see FSD and shut down first, the primary waits for them, writes POWERDOWNFLAG and shuts down', async () => {
    stack = await startStack(upsd, { u1: seq('OL') });
    const primary = startUpsmon(stack, { name: 'primary', impl, split: true, body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\n${TIMING}` });
    const secs = ['sec1', 'sec2'].map((name) => startUpsmon(stack!, { name, impl, body: `MONITOR u1@127.0.0.1:@PORT 1 sec pw secondary\n${TIMING}` }));
    const all = [primary, ...secs];
    await waitFor(() => all.every(loggedIn), 'all upsmon logged in');

    setSeq(stack, 'u1', seq('OB DISCHRG', 60));
    await waitFor(() => all.every((m) => types(m).includes('ONBATT')), 'ONBATT everywhere');
    setSeq(stack, 'u1', seq('OB LB DISCHRG', 10));
    const codes = await Promise.all(all.map((m) => m.exit));

    expect(codes).toEqual([0, 0, 0]);
    for (const m of all) expect(existsSync(m.marker), `${m.name} ran SHUTDOWNCMD`).toBe(true);
    // causality, not timing: the primary ran SHUTDOWNCMD only after both secondaries had
    // run theirs and dropped their connections
    const when = (m: MonitorRun) => Number(readFileSync(m.marker, 'latin1').trim().split('\n')[0]);
    for (const s of secs) expect(when(primary)).toBeGreaterThan(when(s));

    expect(types(primary)).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
    expect(primary.order()).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
    for (const s of secs) {
      // LOWBATT and FSD arrive in the same poll ("FSD OB LB") or LB one poll before FSD
      expect([
        ['ONBATT', 'FSD', 'LOWBATT', 'SHUTDOWN'],
        ['ONBATT', 'LOWBATT', 'FSD', 'SHUTDOWN'],
      ]).toContainEqual(s.order());
      expect(s.notes().find((n) => n.type === 'FSD')).toMatchObject({ ups: 'u1@127.0.0.1:' + stack.port, message: `UPS u1@127.0.0.1:${stack.port}: forced shutdown in progress` });
    }
    const sd = primary.notes().find((n) => n.type === 'SHUTDOWN')!;
    expect(sd).toMatchObject({ ups: '', message: 'Auto logout and shutdown proceeding' });

    const flagContent = readFileSync(primary.flag, 'latin1');
    expect(flagContent).toBe('upsmon-shutdown-file');
    expect(checkPowerDownFlag('nut', primary)).toBe(0);
    expect(checkPowerDownFlag('ours', primary)).toBe(0);
    outcomes.set(`${upsd}/${impl}`, {
      primary: primary.order(),
      secondaries: secs.map((s) => [...s.order()].sort()),
      exitCodes: codes,
      flagContent,
      secondaryFlags: secs.map((s) => existsSync(s.flag)),
      killpowerCheck: checkPowerDownFlag(impl, primary),
    });
  });

  it('a secondary that never logs out is waited for HOSTSYNC seconds, then the primary shuts down anyway', async () => {
    stack = await startStack(upsd, { u1: seq('OL') });
    const hostsync = 4;
    const primary = startUpsmon(stack, {
      name: 'primary',
      impl,
      split: true,
      body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\n${TIMING.replace('HOSTSYNC 15', `HOSTSYNC ${hostsync}`)}`,
    });
    const stuck = await stuckSecondary(stack, 'u1');
    await waitFor(() => loggedIn(primary), 'primary logged in');
    setSeq(stack, 'u1', seq('OB LB DISCHRG', 10));
    expect(await primary.exit).toBe(0);
    // ONBATT and LOWBATT come from one poll ("OB LB"): NUT's forked notifiers may log them in
    // either order, its syslog lines (order()) keep the real one
    expect(primary.order()).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
    const at = (type: string) => primary.notes().find((n) => n.type === type)!.t;
    // FSD is set in the poll that saw LB; SHUTDOWN comes after more than HOSTSYNC seconds
    expect(at('SHUTDOWN') - at('LOWBATT')).toBeGreaterThan(hostsync);
    expect(primary.stderr()).toContain('Host sync timer expired, forcing shutdown');
    expect(existsSync(primary.marker)).toBe(true);
    stuck.close();
  });

  it('power returns before LB: ONBATT then ONLINE, and no shutdown', async () => {
    stack = await startStack(upsd, { u1: seq('OL') });
    const primary = startUpsmon(stack, { name: 'primary', impl, split: true, body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\n${TIMING}` });
    const sec = startUpsmon(stack, { name: 'sec', impl, body: `MONITOR u1@127.0.0.1:@PORT 1 sec pw secondary\n${TIMING}` });
    await waitFor(() => loggedIn(primary) && loggedIn(sec), 'logged in');
    setSeq(stack, 'u1', seq('OB DISCHRG', 60));
    await waitFor(() => [primary, sec].every((m) => types(m).includes('ONBATT')), 'ONBATT');
    setSeq(stack, 'u1', seq('OL CHRG', 60));
    await waitFor(() => [primary, sec].every((m) => types(m).includes('ONLINE')), 'ONLINE');
    for (const m of [primary, sec]) {
      expect(m.order()).toEqual(['ONBATT', 'ONLINE']);
      expect(m.notes()[1].message).toBe(`UPS u1@127.0.0.1:${stack.port} on line power`);
      expect(m.exitCode()).toBeUndefined();
      expect(existsSync(m.marker)).toBe(false);
      expect(checkPowerDownFlag(impl, m)).toBe(1);
    }
  });
});

describe('all runs agree with NUT on NUT', () => {
  it('same notifications in the same order, same exit codes, same flag file', () => {
    const ref = outcomes.get('nut/nut');
    expect(ref, 'the NUT-on-NUT run completed').toBeDefined();
    for (const [key, o] of outcomes) {
      expect(o, key).toEqual(ref);
    }
    expect(outcomes.size).toBe(combos.length);
  });
});
