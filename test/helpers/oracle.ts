/**
 * Runs NUT 2.8.0's own programs (the oracle) in a throw-away directory. Tests that need the
 * oracle call requireOracle(): it throws when NUT is not installed, so CI fails instead of
 * skipping.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { RUN_USER, shareWithRunUser } from './run-user.js';

export const NUT_DRIVER_DIR = '/lib/nut';
export const NUT_UPSD = '/lib/nut/upsd';

export function requireOracle(...programs: string[]): void {
  const needed = programs.length ? programs : [join(NUT_DRIVER_DIR, 'dummy-ups'), NUT_UPSD, '/usr/bin/upsc'];
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length) {
    throw new Error(
      `NUT 2.8.0 (the oracle) is missing: ${missing.join(', ')}. ` +
        'Install it: apt-get install -y nut-server nut-client nut-snmp python3-nut snmpsim socat',
    );
  }
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Sandbox {
  dir: string;
  confPath: string;
  statePath: string;
  env: NodeJS.ProcessEnv;
  write(name: string, text: string, mode?: number): string;
  copy(file: string, as?: string): string;
  cleanup(): void;
}

/** A temp dir with conf/ and state/ and the NUT_* environment pointing at them. */
export function makeSandbox(prefix = 'nut-ts-'): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  spawnSync('mkdir', ['-p', confPath, statePath]);
  chmodSync(statePath, 0o770);
  if (RUN_USER) {
    chmodSync(dir, 0o711);
    shareWithRunUser(confPath, 'conf');
    shareWithRunUser(statePath, 'state');
  }
  const env = { ...process.env, NUT_CONFPATH: confPath, NUT_STATEPATH: statePath, NUT_ALTPIDPATH: statePath };
  return {
    dir,
    confPath,
    statePath,
    env,
    write(name, text, mode = 0o640) {
      const p = join(confPath, name);
      writeFileSync(p, text, { mode });
      return p;
    },
    copy(file, as) {
      const p = join(confPath, as ?? basename(file));
      copyFileSync(file, p);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a NUT driver in dump mode (-d N) and returns its stdout. */
export function nutDriverDump(sb: Sandbox, driver: string, ups: string, updates = 1): string {
  const r = spawnSync(join(NUT_DRIVER_DIR, driver), ['-a', ups, '-d', String(updates), '-u', 'root'], {
    env: sb.env,
    encoding: 'latin1',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`${driver} -d ${updates} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Starts NUT's upsdrvctl-less driver in the background (-F foreground, we own the process). */
export function startNutDriver(sb: Sandbox, driver: string, ups: string): ChildProcess {
  return spawn(join(NUT_DRIVER_DIR, driver), ['-a', ups, '-F', '-u', 'root'], { env: sb.env, stdio: 'ignore' });
}

/** Starts NUT's upsd in the foreground on the given port; resolves once it accepts connections. */
export async function startNutUpsd(sb: Sandbox, port: number): Promise<ChildProcess> {
  if (!existsSync(join(sb.confPath, 'upsd.conf'))) sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
  if (!existsSync(join(sb.confPath, 'upsd.users'))) sb.write('upsd.users', '');
  const child = spawn(NUT_UPSD, ['-F', '-u', 'root'], { env: sb.env, stdio: 'ignore' });
  await waitForPort(port);
  return child;
}

export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 15_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a child and waits for it to exit. */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}
