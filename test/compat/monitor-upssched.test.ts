/**
 * upssched as upsmon's NOTIFYCMD: ONBATT starts a timer that ONLINE cancels, EXECUTE runs at
 * once; a storm of 20 ONBATT/ONLINE flips runs CMDSCRIPT no more often than the rules allow.
 * NUT's upsmon+upssched and ours, on NUT's upsd and ours; the storm calls upssched directly
 * the way upsmon does (UPSNAME, NOTIFYTYPE, message argument).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, readdirSync, readlinkSync } from 'node:fs';
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

describe('our timer daemon', () => {
  it('sleeps while a timer is pending (NUT 2.8.0 spins at 100% CPU here)', async () => {
    requireMonitorOracle();
    const sb = makeSandbox('nut-ts-upssched-idle-');
    try {
      const sched = writeSched(sb.confPath, 'AT ONBATT * START-TIMER later 3600\nAT ONLINE * CANCEL-TIMER later\n');
      const call = (type: string) =>
        spawnSync('/bin/sh', ['-c', `${upssched('ours')} msg`], { env: { ...sb.env, UPSNAME: 'u', NOTIFYTYPE: type }, encoding: 'latin1', timeout: 30_000 });
      expect(call('ONBATT').status).toBe(0);
      const pipe = join(sb.confPath, 'upssched.pipe');
      expect(existsSync(pipe)).toBe(true);
      // the daemon is the process holding the socket: find it through /proc/net/unix inodes
      const pid = findSocketOwner(pipe);
      expect(pid, 'daemon found').toBeDefined();
      const states: string[] = [];
      for (let i = 0; i < 10; i++) {
        states.push(readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1][0]);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(states.filter((st) => st === 'S').length).toBeGreaterThanOrEqual(8);
      const before = cpuTicks(pid!);
      await new Promise((r) => setTimeout(r, 1000));
      // a spinning process burns ~100 ticks per second; a sleeping one next to none
      expect(cpuTicks(pid!) - before).toBeLessThan(50);
      expect(call('ONLINE').status).toBe(0);
      expect(sched.runs()).toEqual([]);
      process.kill(pid!, 'SIGTERM');
    } finally {
      sb.cleanup();
    }
  });
});

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

function findSocketOwner(path: string): number | undefined {
  const inode = readFileSync('/proc/net/unix', 'latin1')
    .split('\n')
    .find((l) => l.endsWith(` ${path}`))
    ?.trim()
    .split(/\s+/)[6];
  if (!inode) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return Number(pid);
      }
    } catch {
      // process gone or not ours to read
    }
  }
  return undefined;
}

describe('all runs agree with NUT', () => {
  it('same CMDSCRIPT runs in the same order', () => {
    const ref = results.get('nut/nut');
    expect(ref).toBeDefined();
    for (const [key, r] of results) if (!key.startsWith('storm/')) expect(r, key).toEqual(ref);
    expect(results.get('storm/ours')).toEqual(results.get('storm/nut'));
  });
});
