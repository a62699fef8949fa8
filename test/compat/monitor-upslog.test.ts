/**
 * upslog next to NUT's on the same upsd: format escapes, the default format, logging to a file
 * with SIGHUP (reopen) and SIGUSR1 (a line at once); `-m` tuples (a 2.8.1 addition) for ours.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUR_CLI, seq, startStack, waitFor, type Impl, type Stack } from './monitor-harness.js';
import { processUsers, RUN_AS_FLAG, RUN_USER } from '../helpers/run-user.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('nut', { u1: seq('OB DISCHRG', 42), u2: seq('OL', 100) });
  const status = (u: string) => spawnSync('upsc', [`${u}@127.0.0.1:${stack.port}`, 'ups.status'], { encoding: 'latin1' }).stdout.trim();
  await waitFor(() => status('u1') === 'OB DISCHRG' && status('u2') === 'OL', 'the .seq states');
});
afterAll(async () => {
  await stack?.cleanup();
});

const children: ChildProcess[] = [];
function upslog(impl: Impl, argv: string[]): { child: ChildProcess; out: () => string } {
  // both switch to the run user once their log files are open (root without one)
  const args = [...RUN_AS_FLAG, ...argv];
  const cmd =
    impl === 'nut'
      ? ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs tmpfs /run/nut && exec upslog "$@"', 'upslog', ...args]
      : [process.execPath, join(OUR_CLI, 'upslog.js'), ...args];
  const child = spawn(cmd[0], cmd.slice(1), { env: { ...stack.sb.env, NUT_ALTPIDPATH: stack.sb.statePath }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('latin1')));
  children.push(child);
  return { child, out: () => out };
}
const stop = (c: ChildProcess) => {
  try {
    process.kill(-c.pid!, 'SIGKILL');
  } catch {
    // gone
  }
};
const lines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('Network UPS Tools') && !l.startsWith('logging status'));

describe.each(['nut', 'ours'] as const)('%s upslog', (impl) => {
  it('format escapes, to stdout', async () => {
    const fmt = '%HOST% %UPSHOST% [%VAR ups.status%] %VAR battery.charge% %VAR nope.var% %VAR nodot% %FOO% %% end %open';
    const r = upslog(impl, ['-s', `u1@127.0.0.1:${stack.port}`, '-l', '-', '-i', '1', '-f', fmt]);
    await waitFor(() => lines(r.out()).length >= 1, 'a line');
    stop(r.child);
    expect(lines(r.out())[0]).toBe(`${hostname()} u1@127.0.0.1:${stack.port} [OB DISCHRG] 42 NA INVALID INVALID % end INVALIDopen`);
    expect(r.out()).toContain(`logging status of u1@127.0.0.1:${stack.port} to - (1s intervals)`);
  });

  it('the default format', async () => {
    const r = upslog(impl, ['-s', `u2@127.0.0.1:${stack.port}`, '-l', '-', '-i', '1']);
    await waitFor(() => lines(r.out()).length >= 1, 'a line');
    stop(r.child);
    expect(lines(r.out())[0]).toMatch(/^\d{8} \d{6} 100 NA NA \[OL\] NA NA$/);
  });

  it('a log file: SIGUSR1 writes a line at once, SIGHUP reopens the file', async () => {
    // in a folder the run user owns, as it must reopen the file there after SIGHUP
    const file = join(stack.sb.statePath, `${impl}.log`);
    const r = upslog(impl, ['-s', `u1@127.0.0.1:${stack.port}`, '-l', file, '-i', '3600', '-F', '-f', '%VAR ups.status%']);
    const count = (f: string) => (existsSync(f) ? lines(readFileSync(f, 'latin1')).length : 0);
    await waitFor(() => count(file) === 1, 'the first line');
    expect(processUsers([r.child])).toEqual([RUN_USER?.name ?? 'root']);
    process.kill(r.child.pid!, 'SIGUSR1');
    await waitFor(() => count(file) === 2, 'a line after SIGUSR1');
    renameSync(file, file + '.old');
    process.kill(r.child.pid!, 'SIGHUP');
    // give the reopen a moment, then ask for a line: it must land in the new file
    await new Promise((res) => setTimeout(res, 500));
    process.kill(r.child.pid!, 'SIGUSR1');
    await waitFor(() => count(file) >= 1, 'a line in the reopened file');
    stop(r.child);
    expect(readFileSync(file + '.old', 'latin1')).toBe('OB DISCHRG\nOB DISCHRG\n');
    expect(readFileSync(file, 'latin1').startsWith('OB DISCHRG\n')).toBe(true);
  });
});

describe('our upslog -m (NUT 2.8.1+)', () => {
  it('logs several UPSes, each to its own target; * expands to every UPS of the server', async () => {
    const a = join(stack.sb.dir, 'm-a.log');
    const r = upslog('ours', ['-m', `u1@127.0.0.1:${stack.port},${a}`, '-m', `*@127.0.0.1:${stack.port},-`, '-i', '1', '-F', '-f', '%UPSHOST% %VAR ups.status%']);
    await waitFor(() => lines(r.out()).length >= 2 && existsSync(a), 'lines');
    stop(r.child);
    expect(lines(readFileSync(a, 'latin1'))[0]).toBe(`u1@127.0.0.1:${stack.port} OB DISCHRG`);
    expect(lines(r.out()).slice(0, 2)).toEqual([`u1@127.0.0.1:${stack.port} OB DISCHRG`, `u2@127.0.0.1:${stack.port} OL`]);
  });
});
