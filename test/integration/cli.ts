/** Runs our built CLIs (core/dist/cli) the way a user would. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findHost } from '../../core/src/host/control-client.js';
import type { Sandbox } from '../helpers/oracle.js';

export const CLI_DIR = join(import.meta.dirname, '..', '..', 'core', 'dist', 'cli');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(tool: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(CLI_DIR, `${tool}.js`), ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${tool} ${args.join(' ')} did not finish; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Stops a host left running by a test (normally `upsdrvctl stop` ends it). */
export async function stopHostIfAny(sb: Sandbox): Promise<void> {
  const paths = { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' };
  const client = await findHost(paths);
  if (!client) return;
  try {
    await client.request({ cmd: 'host-stop' });
  } catch {
    /* it went away */
  }
  client.close();
  for (let i = 0; i < 100 && existsSync(join(sb.statePath, 'nut-ts.ctl')); i++) await new Promise((r) => setTimeout(r, 100));
}

export async function waitGone(path: string, timeoutMs = 20_000): Promise<boolean> {
  const t0 = Date.now();
  while (existsSync(path)) {
    if (Date.now() - t0 > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
