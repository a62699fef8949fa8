/**
 * upsmon's command line next to NUT's: -K, the power check at start, -c fsd/stop/reload, the
 * pid file, the privileged parent and its unprivileged child, NOPARENT.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox } from '../helpers/oracle.js';
import { loggedIn, NUT_UPSMON, OUR_CLI, requireMonitorOracle, seq, startStack, startUpsmon, types, waitFor, type Impl, type Stack } from './monitor-harness.js';

const upsmon = (impl: Impl) => (impl === 'nut' ? ['unshare', '-m', 'sh', '-c', `mount -t tmpfs tmpfs /run/nut && exec ${NUT_UPSMON} "$@"`, 'upsmon'] : [process.execPath, join(OUR_CLI, 'upsmon.js')]);

function runUpsmon(impl: Impl, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const [cmd, ...pre] = upsmon(impl);
  return spawnSync(cmd, [...pre, ...args], { encoding: 'latin1', env, timeout: 60_000 });
}

const CHECKOUT = join(OUR_CLI, '..', '..', '..');

/**
 * Our upsmon run from the checkout bind-mounted under a folder of the given mode, in a private
 * mount namespace: the monitoring child (user nut) reads the program whether or not the real
 * checkout lives in a folder only root may enter (a clone in `mktemp -d` does).
 */
function ourUpsmonUnder(mode: number, args: string[]): { cmd: string; args: string[]; cleanup(): void } {
  const view = mkdtempSync(join(tmpdir(), 'nut-ts-view-'));
  chmodSync(view, mode);
  mkdirSync(join(view, 'checkout'));
  const cli = join(view, 'checkout', 'core', 'dist', 'cli', 'upsmon.js');
  return {
    cmd: 'unshare',
    args: ['-m', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', CHECKOUT, join(view, 'checkout'), process.execPath, cli, ...args],
    cleanup: () => rmSync(view, { recursive: true, force: true }),
  };
}

/** The lines both print about the config and the flag (NUT adds pid-file chatter). */
const relevant = (stderr: string) => stderr.split('\n').filter((l) => /^(UPS:|Using power|Power down|POWERDOWNFLAG)/.test(l));

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

describe('upsmon -K and start-up checks', () => {
  it('-K: exit 0 only when POWERDOWNFLAG holds the magic, with the same messages as NUT', () => {
    requireMonitorOracle();
    const sb = makeSandbox('nut-ts-upsmon-k-');
    try {
      const flag = join(sb.dir, 'killpower');
      const conf = sb.write('upsmon.conf', `MONITOR u@localhost 1 a b primary\nMONITOR v@localhost 0 a b secondary\nPOWERDOWNFLAG ${flag}\n`);
      const cases: Array<[string, string | undefined]> = [
        ['absent', undefined],
        ['magic', 'upsmon-shutdown-file'],
        ['magic and more', 'upsmon-shutdown-file\nextra'],
        ['foreign', 'something else'],
      ];
      for (const [what, content] of cases) {
        if (content === undefined) spawnSync('rm', ['-f', flag]);
        else writeFileSync(flag, content);
        const nut = runUpsmon('nut', ['-K', '-f', conf], sb.env);
        const ours = runUpsmon('ours', ['-K', '-f', conf], sb.env);
        expect(ours.status, what).toBe(nut.status);
        expect(ours.stdout, what).toBe(nut.stdout);
        expect(relevant(ours.stderr), what).toEqual(relevant(nut.stderr));
      }
      expect(runUpsmon('ours', ['-K', '-f', conf], sb.env).status).toBe(1);
    } finally {
      sb.cleanup();
    }
  });

  it('refuses a configuration whose power values cannot reach MINSUPPLIES, as NUT does', () => {
    requireMonitorOracle();
    const sb = makeSandbox('nut-ts-upsmon-min-');
    try {
      const conf = sb.write('upsmon.conf', 'MONITOR u@localhost 1 a b primary\nMONITOR w@localhost 1 a b primary\nMINSUPPLIES 3\n');
      const nut = runUpsmon('nut', ['-p', '-f', conf], sb.env);
      const ours = runUpsmon('ours', ['-p', '-f', conf], sb.env);
      expect(nut.status).toBe(1);
      expect(ours.status).toBe(1);
      expect(ours.stdout).toBe(nut.stdout);
    } finally {
      sb.cleanup();
    }
  });
});

describe.each(['nut', 'ours'] as const)('%s upsmon, running', (impl) => {
  it('-c fsd -P <pid> forces the shutdown sequence: FSD on the UPS, SHUTDOWN, SHUTDOWNCMD', async () => {
    stack = await startStack('nut', { u1: seq('OL') });
    const m = startUpsmon(stack, { name: 'primary', impl, body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1\nHOSTSYNC 3\nFINALDELAY 0` });
    await waitFor(() => loggedIn(m), 'logged in');
    // -p: one process, so the pid we started is the one that monitors
    const r = runUpsmon(impl, ['-c', 'fsd', '-P', String(m.child.pid)], stack.sb.env);
    expect(r.status).toBe(0);
    expect(await m.exit).toBe(0);
    expect(existsSync(m.marker)).toBe(true);
    expect(types(m)).toEqual(['SHUTDOWN']);
    expect(m.stderr()).toContain('User requested FSD');
    const st = spawnSync('upsc', [`u1@127.0.0.1:${stack.port}`, 'ups.status'], { encoding: 'latin1' }).stdout.trim();
    expect(st).toBe('FSD OL');
  });

  it('killing the privileged parent makes the child notify NOPARENT', async () => {
    stack = await startStack('nut', { u1: seq('OL') });
    const m = startUpsmon(stack, { name: 'primary', impl, split: true, body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1` });
    await waitFor(() => loggedIn(m), 'logged in');
    process.kill(m.child.pid!, 'SIGKILL');
    await waitFor(() => types(m).includes('NOPARENT'), 'NOPARENT');
    const n = m.notes().find((x) => x.type === 'NOPARENT')!;
    expect(n).toMatchObject({ ups: '', message: 'upsmon parent process died - shutdown impossible' });
  });
});

describe('our upsmon process handling', () => {
  it('writes its pid file in NUT_ALTPIDPATH, refuses a second instance, answers -c reload and -c stop', async () => {
    stack = await startStack('nut', { u1: seq('OL') });
    const m = startUpsmon(stack, { name: 'primary', impl: 'ours', body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1` });
    await waitFor(() => loggedIn(m), 'logged in');
    const env = { ...stack.sb.env, NUT_ALTPIDPATH: m.dir };
    const pidfile = join(m.dir, 'upsmon.pid');
    expect(Number(readFileSync(pidfile, 'latin1'))).toBe(m.child.pid);
    const again = runUpsmon('ours', ['-p', '-f', m.conf], env);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('Fatal error: A previous upsmon instance is already running!');
    expect(runUpsmon('ours', ['-c', 'rel'], env).status).toBe(0);
    await waitFor(() => m.stderr().includes('Reloading configuration'), 'reload');
    expect(runUpsmon('ours', ['-c', 'stop'], env).status).toBe(0);
    expect(await m.exit).toBe(0);
    expect(m.stderr()).toContain('Signal 15: exiting');
    expect(existsSync(pidfile)).toBe(false);
    expect(runUpsmon('ours', ['-c', 'stop'], env).status).toBe(1);
  });

  it('started as root, the monitoring child runs as the unprivileged user while the parent keeps root', async () => {
    stack = await startStack('nut', { u1: seq('OL') });
    const user = spawnSync('id', ['-u', 'nut'], { encoding: 'latin1' });
    expect(user.status, 'the nut user exists (Debian nut-client creates it)').toBe(0);
    // no -u: RUN_AS_USER names the user of the monitoring child
    const conf = join(stack.sb.dir, 'upsmon-nut.conf');
    writeFileSync(conf, `MONITOR u1@127.0.0.1:${stack.port} 1 mon pw primary\nPOLLFREQ 1\nRUN_AS_USER nut\n`, { mode: 0o644 });
    const { spawn } = await import('node:child_process');
    const run = ourUpsmonUnder(0o755, ['-D', '-f', conf]);
    const child = spawn(run.cmd, run.args, { env: { ...stack.sb.env, NUT_ALTPIDPATH: stack.sb.statePath }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString('latin1')));
    try {
      await waitFor(() => err.includes('Logged into UPS'), `child logged in (${err})`, 60_000);
      const childPid = Number(readFileSync(join(stack.sb.statePath, 'upsmon.pid'), 'latin1'));
      expect(childPid).not.toBe(child.pid);
      const uid = (pid: number) => readFileSync(`/proc/${pid}/status`, 'latin1').match(/^Uid:\s+(\d+)/m)![1];
      expect(uid(childPid)).toBe(user.stdout.trim());
      expect(uid(child.pid!)).toBe('0');
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      run.cleanup();
    }
  });

  it('when RUN_AS_USER cannot read the program, upsmon says so and exits 1', async () => {
    stack = await startStack('nut', { u1: seq('OL') });
    const conf = join(stack.sb.dir, 'upsmon-nut.conf');
    writeFileSync(conf, `MONITOR u1@127.0.0.1:${stack.port} 1 mon pw primary\nPOLLFREQ 1\nRUN_AS_USER nut\n`, { mode: 0o644 });
    const run = ourUpsmonUnder(0o700, ['-D', '-f', conf]);
    try {
      const r = spawnSync(run.cmd, run.args, { env: { ...stack.sb.env, NUT_ALTPIDPATH: stack.sb.statePath }, encoding: 'latin1', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/upsmon: the monitoring process runs as user nut \(RUN_AS_USER or -u\), who cannot read \S+upsmon\.js \(EACCES\)/);
      expect(existsSync(join(stack.sb.statePath, 'upsmon.pid'))).toBe(false);
    } finally {
      run.cleanup();
    }
  });
});
