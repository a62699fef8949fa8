/**
 * upssched as upsmon's NOTIFYCMD: ONBATT starts a timer that ONLINE cancels, EXECUTE runs at
 * once; a storm of 20 ONBATT/ONLINE flips runs CMDSCRIPT no more often than the rules allow.
 * NUT's upsmon+upssched and ours, on NUT's upsd and ours; the storm calls upssched directly
 * the way upsmon does (UPSNAME, NOTIFYTYPE, message argument).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox } from '../helpers/oracle.js';
import { COMBOS, loggedIn, NUT_UPSSCHED, OUR_CLI, requireMonitorOracle, seq, setSeq, startStack, startUpsmon, waitFor, type Impl, type Stack } from './monitor-harness.js';

const TIMER = 8;

function writeSched(dir: string, rules: string): { log: string; runs: () => Array<{ t: number; args: string; env: string }> } {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const log = join(dir, 'cmd.log');
  const cmd = join(dir, 'cmd.sh');
  writeFileSync(cmd, `#!/bin/sh\nprintf '%s|%s|%s %s\\n' "$(date +%s.%N)" "$*" "$UPSNAME" "$NOTIFYTYPE" >> ${log}\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'upssched.conf'), `CMDSCRIPT ${cmd}\nPIPEFN ${join(dir, 'upssched.pipe')}\nLOCKFN ${join(dir, 'upssched.lock')}\n${rules}`);
  return {
    log,
    runs: () =>
      existsSync(log)
        ? readFileSync(log, 'latin1')
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const [t, args, env] = l.split('|');
              return { t: Number(t), args, env };
            })
        : [],
  };
}

const upssched = (impl: Impl) => (impl === 'nut' ? NUT_UPSSCHED : `${process.execPath} ${join(OUR_CLI, 'upssched.js')}`);

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

const results = new Map<string, string[]>();

describe.each(COMBOS)('upsd %s, upsmon+upssched %s', (upsd, impl) => {
  it('ONBATT starts a timer that ONLINE cancels; EXECUTE runs at once; a later ONBATT lets the timer fire once', async () => {
    stack = await startStack(upsd, { u1: seq('OL') });
    const sched = writeSched(stack.sb.confPath, `AT ONBATT * START-TIMER onbattwarn ${TIMER}\nAT ONLINE * CANCEL-TIMER onbattwarn\nAT ONLINE u1@127.0.0.1:${stack.port} EXECUTE backonline\n`);
    const m = startUpsmon(stack, {
      name: 'primary',
      impl,
      split: true,
      notifyCmd: upssched(impl),
      body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1\nPOLLFREQALERT 1\nHOSTSYNC 5\nFINALDELAY 0`,
    });
    await waitFor(() => loggedIn(m), 'logged in');
    const onbatt = () => m.stderr().split('\n').filter((l) => l.endsWith(' on battery')).length;
    setSeq(stack, 'u1', seq('OB DISCHRG', 60));
    await waitFor(() => onbatt() >= 1, 'first ONBATT');
    setSeq(stack, 'u1', seq('OL CHRG', 60));
    await waitFor(() => sched.runs().some((r) => r.args === 'backonline'), 'EXECUTE backonline');
    setSeq(stack, 'u1', seq('OB DISCHRG', 60));
    await waitFor(() => onbatt() >= 2, 'second ONBATT');
    const secondOnbatt = Date.now() / 1000;
    await waitFor(() => sched.runs().some((r) => r.args === 'onbattwarn'), 'the timer');
    const runs = sched.runs();
    expect(runs.map((r) => r.args)).toEqual(['backonline', 'onbattwarn']);
    // it is the second timer (the first, had it not been cancelled, was due earlier)
    expect(runs[1].t).toBeGreaterThan(secondOnbatt + TIMER - 2);
    expect(runs[0].env).toBe(`u1@127.0.0.1:${stack.port} ONLINE`);
    const syslog = m.stderr().split('\n').filter((l) => / on (battery|line power)$/.test(l)).map((l) => (l.endsWith('battery') ? 'ONBATT' : 'ONLINE'));
    expect(syslog).toEqual(['ONBATT', 'ONLINE', 'ONBATT']);
    results.set(`${upsd}/${impl}`, runs.map((r) => r.args));
  });
});

describe.each(['nut', 'ours'] as const)('%s upssched alone', (impl) => {
  it('a storm of 20 flips runs CMDSCRIPT at most once per surviving timer; EXECUTE runs before upssched returns', async () => {
    requireMonitorOracle();
    const sb = makeSandbox('nut-ts-upssched-');
    try {
      const sched = writeSched(sb.confPath, `AT ONBATT * START-TIMER onbattwarn 3\nAT ONLINE * CANCEL-TIMER onbattwarn\nAT ONLINE * EXECUTE "back online"\n`);
      const call = (type: string) => {
        const r = spawnSync('/bin/sh', ['-c', `${upssched(impl)} "UPS u1@localhost: event"`], { env: { ...sb.env, UPSNAME: 'u1@localhost', NOTIFYTYPE: type }, encoding: 'latin1', timeout: 30_000 });
        expect(r.status, r.stderr).toBe(0);
      };
      for (let i = 0; i < 10; i++) {
        call('ONBATT');
        call('ONLINE');
        // EXECUTE ran inside the call that just returned
        expect(sched.runs().filter((r) => r.args === 'back online').length).toBe(i + 1);
      }
      const last = Date.now() / 1000;
      call('ONBATT');
      await waitFor(() => sched.runs().some((r) => r.args === 'onbattwarn'), 'the surviving timer', 60_000);
      const timers = sched.runs().filter((r) => r.args === 'onbattwarn');
      expect(timers.length).toBe(1);
      expect(timers[0].t).toBeGreaterThan(last + 3 - 1);
      // the daemon inherited the environment of the run that started it
      expect(timers[0].env.startsWith('u1@localhost ')).toBe(true);
      results.set(`storm/${impl}`, sched.runs().map((r) => r.args));
    } finally {
      // our daemon lingers 15 idle seconds; it exits by itself and only touches this dir
      sb.cleanup();
    }
  });

  it('refuses to run outside upsmon', () => {
    const r = spawnSync('/bin/sh', ['-c', upssched(impl)], { env: { PATH: process.env.PATH }, encoding: 'latin1' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('Error: UPSNAME and NOTIFYTYPE must be set.\nThis program should only be run from upsmon.\n');
  });
});

describe('all runs agree with NUT', () => {
  it('same CMDSCRIPT runs in the same order', () => {
    const ref = results.get('nut/nut');
    expect(ref).toBeDefined();
    for (const [key, r] of results) if (!key.startsWith('storm/')) expect(r, key).toEqual(ref);
    expect(results.get('storm/ours')).toEqual(results.get('storm/nut'));
  });
});
