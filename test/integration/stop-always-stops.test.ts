/**
 * A stop always stops. A dummy-ups section whose port is a FIFO nobody writes to is refused at
 * once (no thread waits in open(2)); a third-party plugin that does block its thread in a
 * system call is cut at maxstartdelay, its worker is given up, upsd answers for the other UPS
 * all along, and SIGTERM still ends the host within seconds. Run as a user would: upsdrvctl
 * and nut start, as processes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NutClient } from '../../core/src/client/client.js';
import { findHost } from '../../core/src/host/control-client.js';
import { freePort, makeSandbox, type Sandbox } from '../helpers/oracle.js';
import { until, untilAsync } from '../helpers/wait.js';
import { CLI_DIR, runCli, stopHostIfAny } from './cli.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');
const paths = (sb: Sandbox) => ({ confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' });

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});


function sandbox(): Sandbox {
  const sb = makeSandbox('nut-ts-stop-');
  cleanups.push(() => sb.cleanup());
  cleanups.push(() => stopHostIfAny(sb));
  execFileSync('mkfifo', [join(sb.confPath, 'pipe.dev')]);
  sb.write('ok.dev', 'ups.mfr: Fine\nups.status: OL\n');
  return sb;
}

describe('a FIFO as dummy-ups port', () => {
  it('upsdrvctl start refuses it at once with a clear message; the other UPS runs; stop ends the host', async () => {
    const sb = sandbox();
    sb.write('ups.conf', 'maxstartdelay = 3\n[fifo]\n driver = dummy-ups\n port = pipe.dev\n[ok]\n driver = dummy-ups\n port = ok.dev\n');
    const t0 = Date.now();
    const r = await runCli('upsdrvctl', ['start'], { env: sb.env, cwd: sb.dir, timeoutMs: 30_000 });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Can't open ${join(sb.confPath, 'pipe.dev')}: not a regular file (a FIFO); dummy-ups reads .dev and .seq files only`);
    expect(r.stderr).toContain('Driver failed to start (exit status=1)');
    const st = await runCli('upsdrvctl', ['status'], { env: sb.env, cwd: sb.dir });
    expect(st.stdout).toMatch(/^fifo\s+dummy-ups\s+failed\s+.*not a regular file/m);
    expect(st.stdout).toMatch(/^ok\s+dummy-ups\s+running\s+ok/m);
    const stop = await runCli('upsdrvctl', ['stop'], { env: sb.env, cwd: sb.dir, timeoutMs: 20_000 });
    expect(stop.stderr).toContain("Can't open");
    await untilAsync('host gone', async () => !(await findHost(paths(sb))), 15_000);
  }, 60_000);
});

describe('an idle host does not linger', () => {
  it('after a start where every driver failed, and after upsdrvctl shutdown', async () => {
    const sb = sandbox();
    sb.write('ups.conf', '[fifo]\n driver = dummy-ups\n port = pipe.dev\n');
    const r = await runCli('upsdrvctl', ['start'], { env: sb.env, cwd: sb.dir, timeoutMs: 30_000 });
    expect(r.status).toBe(1);
    await untilAsync('host gone after the failed start', async () => !(await findHost(paths(sb))), 15_000);
    sb.write('ups.conf', '[ok]\n driver = dummy-ups\n port = ok.dev\n');
    const s = await runCli('upsdrvctl', ['shutdown'], { env: sb.env, cwd: sb.dir, timeoutMs: 30_000 });
    // dummy-ups has no shutdown (NUT: "shutdown not supported"); either way nothing runs after it
    expect(s.stderr).toContain('shutdown not supported');
    await untilAsync('host gone after the shutdown', async () => !(await findHost(paths(sb))), 15_000);
  }, 60_000);
});

function nutStart(sb: Sandbox, port: number): { child: ChildProcess; log: () => string; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(process.execPath, [join(CLI_DIR, 'nut.js'), 'start', '--port', String(port)], { env: sb.env, cwd: sb.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, log: () => text, exited };
}

async function answers(port: number, ups: string): Promise<string | undefined> {
  const c = new NutClient({ host: '127.0.0.1', port });
  try {
    await c.connect();
    return await c.getVar(ups, 'ups.status');
  } catch {
    return undefined;
  } finally {
    c.close();
  }
}

describe('a third-party plugin that blocks its thread in a system call', () => {
  it.each([
    ['in a worker thread: given up after maxstartdelay, SIGTERM still ends the host', [] as string[]],
    ['in a child process (host setting outOfProcess): killed, the host exits normally', ['test-blocks']],
  ])('%s', async (_label, outOfProcess) => {
    const sb = sandbox();
    const port = await freePort();
    sb.write('ups.conf', `maxstartdelay = 2\n[blocker]\n driver = test-blocks\n port = ${join(sb.confPath, 'pipe.dev')}\n[ok]\n driver = dummy-ups\n port = ok.dev\n`);
    sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
    sb.write('upsd.users', '');
    // host settings where the host starts: the test plugins, and where they run
    writeFileSync(join(sb.dir, 'nut-ts.config.json'), JSON.stringify({ pluginPaths: [testPlugins], outOfProcess }));
    const run = nutStart(sb, port);
    await untilAsync('upsd answers for ok', async () => (await answers(port, 'ok')) === 'OL', 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}; log:\n${run.log()}`);
    });
    await until('the blocker is given up', () => /blocker.*(initups did not return within 2000 ms|stopped heart-beating)/.test(run.log()), 20_000).catch((e) => {
      throw new Error(`${(e as Error).message}; log:\n${run.log()}`);
    });
    expect(await answers(port, 'ok')).toBe('OL');
    const t0 = Date.now();
    run.child.kill('SIGTERM');
    const end = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
    expect(end, run.log()).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(20_000);
    if (outOfProcess.length === 0) {
      // the thread cannot be ended; the host says why it ends itself with SIGKILL
      expect(run.log()).toMatch(/blocked by \[blocker\]/);
      expect(end).toEqual({ code: null, signal: 'SIGKILL' });
    } else {
      expect(end).toEqual({ code: 0, signal: null });
    }
  }, 90_000);
});
