/**
 * The host daemon switches from root to the configured user. These tests start the daemon as
 * root, so outside CI they run only when the test runner is root (switching users needs it); as
 * any other user they are reported as skipped, not passed. Under CI=true they always run. They use `nobody`, which every system has.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureHost, type ControlClient } from '../../src/host/control-client.js';
import { hostLogPath } from '../../src/host/paths.js';
import { lookupUser, resolveRunAsUser } from '../../src/host/privileges.js';
import { retry, until } from '../../../test/helpers/wait.js';
import { freePort } from '../../../test/helpers/oracle.js';

const root = process.getuid?.() === 0;
/** CI runs as root: there these tests always run, and fail (never skip) if it does not. */
const mustRun = root || process.env.CI === 'true';
const repo = join(import.meta.dirname, '..', '..', '..');

/** One request line to upsd on 127.0.0.1:port, its first answer line. */
function ask(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    const t = setTimeout(() => done(new Error('no answer within 3 s')), 3000);
    const done = (e?: Error, v?: string) => {
      clearTimeout(t);
      s.destroy();
      if (e) reject(e);
      else resolve(v!);
    };
    s.on('connect', () => s.write(`${line}\n`));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(undefined, buf.slice(0, nl));
    });
    s.on('error', (e) => done(e));
    s.on('close', () => done(new Error('closed without an answer')));
  });
}

/** Asks again (a listener not up yet, a value not published yet) until the answer is `expected`; the last answer after 10 s. */
async function askUntil(port: number, line: string, expected: string): Promise<string> {
  let last = '';
  try {
    return await retry(async () => {
      last = await ask(port, line).catch((e: Error) => e.message);
      if (last !== expected) throw new Error(last);
      return last;
    }, 10_000);
  } catch {
    return last;
  }
}

describe('resolveRunAsUser', () => {
  it('stays as is when not root, and refuses a named user that does not exist', () => {
    expect(resolveRunAsUser({ setting: 'nobody' }, false)).toEqual({ explicit: false });
    expect(() => resolveRunAsUser({ upsConfUser: 'no-such-user-here' }, true)).toThrow('user no-such-user-here not found');
    expect(resolveRunAsUser({ setting: 'nobody', upsConfUser: 'root' }, true).user?.name).toBe('nobody');
    expect(resolveRunAsUser({ env: 'nobody', setting: 'root', upsConfUser: 'root' }, true)).toMatchObject({ explicit: true, user: { name: 'nobody' } });
  });
});

describe.skipIf(!mustRun)('privilege drop (needs root: it switches users)', () => {
  it('runs as root', () => {
    expect(root, 'the privilege-drop tests need root (CI runs as root)').toBe(true);
  });

  let dir: string;
  let conf: string;
  let state: string;
  let client: ControlClient | undefined;
  const nobody = lookupUser('nobody')!;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-priv-'));
    chmodSync(dir, 0o755);
    conf = join(dir, 'conf');
    state = join(dir, 'state');
    mkdirSync(conf, { mode: 0o755 });
    mkdirSync(state, { mode: 0o750 });
    chownSync(state, nobody.uid, nobody.gid);
    writeFileSync(join(conf, 'ups.conf'), 'user = nobody\n[dummy]\n driver = dummy-ups\n port = dummy.dev\n');
    writeFileSync(join(conf, 'dummy.dev'), 'ups.status: OL\nbattery.charge: 90\n');
    writeFileSync(join(conf, 'upsd.conf'), `LISTEN 127.0.0.1 ${await freePort()}\n`);
    writeFileSync(join(conf, 'upsd.users'), '', { mode: 0o640 });
    chownSync(join(conf, 'upsd.users'), 0, nobody.gid);
  });

  afterEach(async () => {
    if (client) {
      await client.request({ cmd: 'host-stop' }).catch(() => undefined);
      client.close();
      client = undefined;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const paths = () => ({ confPath: conf, statePath: state, altPidPath: state, driverPath: '/lib/nut' });

  it("runs the host, its plugin workers and upsd as ups.conf's user", async () => {
    client = await ensureHost({ paths: paths(), cwd: repo });
    const pong = await client.request({ cmd: 'ping' });
    const pid = pong.pid!;
    expect(await client.request({ cmd: 'start', ups: 'dummy', maxstartdelayMs: 20_000 })).toMatchObject({ ok: true });
    expect(await client.request({ cmd: 'upsd-start' })).toMatchObject({ ok: true });
    // every thread of the host (plugin workers are threads) under the configured user
    const threads = spawnSync('ps', ['-L', '-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(threads.length).toBeGreaterThan(1);
    expect(new Set(threads.map((t) => t.trim()))).toEqual(new Set(['nobody']));
    expect(spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim()).toBe('nobody');
    const log = hostLogPath(state);
    await until('the switch is logged', () => readFileSync(log, 'utf8').includes(`running as user nobody (uid ${nobody.uid}`), 10_000);
    expect(statSync(log).uid).toBe(nobody.uid);
    expect(statSync(log).mode & 0o777).toBe(0o640);
  });

  it('runs out-of-process plugin instances (host setting outOfProcess) as that user too', async () => {
    writeFileSync(join(conf, 'nut-ts.config.json'), JSON.stringify({ outOfProcess: ['dummy-ups'] }));
    client = await ensureHost({ paths: paths(), cwd: repo });
    const pid = (await client.request({ cmd: 'ping' })).pid!;
    expect(await client.request({ cmd: 'start', ups: 'dummy', maxstartdelayMs: 20_000 })).toMatchObject({ ok: true });
    const children = () => spawnSync('ps', ['--ppid', String(pid), '-o', 'user=,args='], { encoding: 'utf8' }).stdout.trim();
    await until('a plugin child process', () => children().length > 0, 10_000);
    const users = children()
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0]);
    expect(new Set(users)).toEqual(new Set(['nobody']));
  });

  it('runs a confined instance (host setting confined) as that user, under the permission model, and it serves', async () => {
    writeFileSync(join(conf, 'nut-ts.config.json'), JSON.stringify({ confined: ['dummy'] }));
    client = await ensureHost({ paths: paths(), cwd: repo });
    const pid = (await client.request({ cmd: 'ping' })).pid!;
    expect(await client.request({ cmd: 'start', ups: 'dummy', maxstartdelayMs: 20_000 })).toMatchObject({ ok: true });
    const children = spawnSync('ps', ['--ppid', String(pid), '-o', 'user=,args='], { encoding: 'utf8' }).stdout.trim().split('\n');
    const confined = children.filter((l) => l.includes('--experimental-permission') || l.includes('--permission '));
    expect(confined).toHaveLength(1);
    expect(confined[0].trim().split(/\s+/)[0]).toBe('nobody');
    expect(await client.request({ cmd: 'upsd-start' })).toMatchObject({ ok: true });
    const port = Number(readFileSync(join(conf, 'upsd.conf'), 'utf8').trim().split(/\s+/).pop());
    expect(await askUntil(port, 'GET VAR dummy battery.charge', 'VAR dummy battery.charge "90"')).toBe('VAR dummy battery.charge "90"');
  });

  it('listens on a port below 1024 from upsd.conf although upsd starts after the switch (bound while root)', async () => {
    // 493 needs root to bind: the host binds it before it becomes nobody, upsd takes it later
    writeFileSync(join(conf, 'upsd.conf'), 'LISTEN 127.0.0.1 493\n');
    client = await ensureHost({ paths: paths(), cwd: repo });
    const pid = (await client.request({ cmd: 'ping' })).pid!;
    expect(spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim()).toBe('nobody');
    expect(await client.request({ cmd: 'start', ups: 'dummy', maxstartdelayMs: 20_000 })).toMatchObject({ ok: true });
    for (const round of ['first start', 'start after a stop']) {
      const started = await client.request({ cmd: 'upsd-start' });
      expect(started, round).toMatchObject({ ok: true });
      expect(started.messages, round).toContain('listening on 127.0.0.1 port 493');
      // the value of dummy.dev, through the privileged port
      expect(await askUntil(493, 'GET VAR dummy battery.charge', 'VAR dummy battery.charge "90"'), round).toBe('VAR dummy battery.charge "90"');
      expect(await client.request({ cmd: 'upsd-stop' })).toMatchObject({ ok: true });
      await expect(ask(493, 'VER'), `${round}: nothing served while upsd is stopped`).rejects.toThrow();
    }
  });

  it('does not start when the named user does not exist', async () => {
    writeFileSync(join(conf, 'ups.conf'), 'user = no-such-user-here\n');
    await expect(ensureHost({ paths: paths(), cwd: repo, timeoutMs: 10_000 })).rejects.toThrow(/user no-such-user-here not found/);
  });

  it('does not start when the named user cannot write the state path', async () => {
    chownSync(state, 0, 0);
    await expect(ensureHost({ paths: paths(), cwd: repo, timeoutMs: 10_000 })).rejects.toThrow(/user nobody cannot write .*state: not starting/);
  });

  const env = () => ({ ...process.env, NUT_CONFPATH: conf, NUT_STATEPATH: state, NUT_ALTPIDPATH: state, NUT_RUN_AS_USER: '' });
  const userOf = (pid: number) => spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();

  it("runs a driver started alone (NUT's /lib/nut/<driver> way) as ups.conf's user, its socket that user's", async () => {
    const driver = spawn(process.execPath, [join(repo, 'core/dist/cli/driver.js'), 'dummy-ups', '-a', 'dummy'], { env: env(), stdio: 'ignore' });
    try {
      const socket = join(state, 'dummy-ups-dummy');
      await until('the driver socket', () => existsSync(socket), 15_000);
      expect(userOf(driver.pid!)).toBe('nobody');
      expect(statSync(socket).uid).toBe(nobody.uid);
    } finally {
      driver.kill('SIGTERM');
    }
  });

  it('runs the standalone upsd as the user -u names, on listeners it opened before', async () => {
    const port = Number(readFileSync(join(conf, 'upsd.conf'), 'utf8').trim().split(/\s+/).pop());
    const upsd = spawn(process.execPath, [join(repo, 'core/dist/cli/upsd.js'), '-F', '-u', 'nobody'], { env: { ...env(), NUT_TS_UPSD_STANDALONE: '1' }, stdio: 'ignore' });
    try {
      expect(await retry(() => ask(port, 'VER'), 15_000)).toMatch(/Network UPS Tools upsd/);
      expect(userOf(upsd.pid!)).toBe('nobody');
    } finally {
      upsd.kill('SIGTERM');
    }
  });

  it('does not start a driver alone as a named user who cannot read its configuration', () => {
    chmodSync(conf, 0o700);
    const r = spawnSync(process.execPath, [join(repo, 'core/dist/cli/driver.js'), 'dummy-ups', '-a', 'dummy', '-d', '1'], { env: env(), encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/user nobody cannot read .*conf: not starting/);
  });
});

describe('a section that names a file outside the configuration directory', () => {
  it('is refused with a clear message when the host starts it (NUT 2.8.0 serves /etc/passwd)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-passwd-'));
    const conf = join(dir, 'conf');
    const state = join(dir, 'state');
    mkdirSync(conf);
    mkdirSync(state);
    writeFileSync(join(conf, 'ups.conf'), '[x]\n driver = dummy-ups\n port = ../../../etc/passwd\n');
    const client = await ensureHost({ paths: { confPath: conf, statePath: state, altPidPath: state, driverPath: '/lib/nut' }, cwd: repo });
    try {
      const r = await client.request({ cmd: 'start', ups: 'x', maxstartdelayMs: 20_000 });
      expect(r.ok).toBe(false);
      expect(r.messages).toContain(
        `port = ../../../etc/passwd names a file outside the configuration directory ${conf}; dummy-ups reads only files there (give an absolute path to use another file)`,
      );
    } finally {
      await client.request({ cmd: 'host-stop' }).catch(() => undefined);
      client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
