/** upssched: rule matching, the timer queue, the daemon protocol on a real Unix socket. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUpsschedConf } from '../../src/config/upssched-conf.js';
import { runRules, runTimerDaemon, sendToDaemon, TimerQueue, UpsschedError, type ClientDeps } from '../../src/monitor/upssched.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TimerQueue', () => {
  it('fires due timers in order; CANCEL removes only the first of a name', () => {
    const q = new TimerQueue();
    q.start('a', 5, 0);
    q.start('a', 10, 0);
    q.start('b', 1, 0);
    expect(q.cancel('a')).toBe(true);
    expect(q.takeDue(1000)).toEqual(['b']);
    expect(q.takeDue(9000)).toEqual([]);
    expect(q.takeDue(10000)).toEqual(['a']);
    expect(q.cancel('a')).toBe(false);
  });
});

describe('timer daemon', () => {
  it('answers START/CANCEL with OK, anything else with ERR UNKNOWN, fires timers, exits when idle and removes PIPEFN', async () => {
    dir = mkdtempSync(join(tmpdir(), 'upssched-'));
    const pipeFn = join(dir, 'pipe');
    const ran: string[] = [];
    const d = runTimerDaemon({ pipeFn, run: (a) => ran.push(a), idleSeconds: 1 });
    await d.listening;
    expect(await sendToDaemon(pipeFn, 'START "t1" "0"')).toBe('OK');
    expect(await sendToDaemon(pipeFn, 'START t2 60')).toBe('OK');
    expect(await sendToDaemon(pipeFn, 'CANCEL t2')).toBe('OK');
    expect(await sendToDaemon(pipeFn, 'CANCEL none fallback')).toBe('OK');
    expect(await sendToDaemon(pipeFn, 'START incomplete')).toBe('ERR UNKNOWN');
    expect(await sendToDaemon(pipeFn, 'BOGUS')).toBe('ERR UNKNOWN');
    await d.done;
    expect(ran).toEqual(['t1', 'fallback']);
    expect(existsSync(pipeFn)).toBe(false);
  });

  it('takes over a socket file left by a dead daemon', async () => {
    dir = mkdtempSync(join(tmpdir(), 'upssched-'));
    const pipeFn = join(dir, 'pipe');
    // a bound, never-listening Unix socket: what a killed daemon leaves behind
    expect(spawnSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(pipeFn)})`]).status).toBe(0);
    const d = runTimerDaemon({ pipeFn, run: () => undefined, idleSeconds: 0 });
    await d.listening;
    expect(await sendToDaemon(pipeFn, 'CANCEL x')).toBe('OK');
    await d.done;
  });
});

describe('rules', () => {
  const deps = (log: string[]): ClientDeps => ({
    spawnDaemon: () => log.push('spawn'),
    runScript: async (arg) => void log.push(`script ${arg}`),
    sleep: async () => undefined,
    log: () => undefined,
  });

  it('matches NOTIFYTYPE in any case and UPSNAME exactly or *; EXECUTE runs in place', async () => {
    dir = mkdtempSync(join(tmpdir(), 'upssched-'));
    const { config } = parseUpsschedConf(`CMDSCRIPT /x\nPIPEFN ${dir}/p\nLOCKFN ${dir}/l\nAT onbatt * EXECUTE any\nAT ONBATT u@h EXECUTE mine\nAT ONBATT U@H EXECUTE other\nAT ONLINE * EXECUTE online\n`);
    const log: string[] = [];
    await runRules(config, { UPSNAME: 'u@h', NOTIFYTYPE: 'ONBATT' }, deps(log));
    expect(log).toEqual(['script any', 'script mine']);
  });

  it('CANCEL with no daemon: nothing, or the fallback command at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'upssched-'));
    const { config } = parseUpsschedConf(`CMDSCRIPT /x\nPIPEFN ${dir}/p\nLOCKFN ${dir}/l\nAT ONLINE * CANCEL-TIMER a\nAT ONLINE * CANCEL-TIMER b fb\n`);
    const log: string[] = [];
    await runRules(config, { UPSNAME: 'u', NOTIFYTYPE: 'ONLINE' }, deps(log));
    expect(log).toEqual(['script fb']);
  });

  it('needs CMDSCRIPT before any AT, and PIPEFN/LOCKFN before timers', async () => {
    const log: string[] = [];
    await expect(runRules(parseUpsschedConf('AT X * EXECUTE a\nCMDSCRIPT /x\n').config, { UPSNAME: 'u', NOTIFYTYPE: 'Y' }, deps(log))).rejects.toThrow(
      new UpsschedError('CMDSCRIPT must be set before any ATs in the config file!'),
    );
    await expect(runRules(parseUpsschedConf('CMDSCRIPT /x\nAT X * START-TIMER a 1\n').config, { UPSNAME: 'u', NOTIFYTYPE: 'X' }, deps(log))).rejects.toThrow(
      'PIPEFN must be set before any ATs in the config file!',
    );
  });
});
