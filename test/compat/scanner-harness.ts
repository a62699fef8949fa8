/** Runs NUT 2.8.0's nut-scanner and ours with the same arguments and environment. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { requireOracle } from '../helpers/oracle.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const NUT_SCANNER = '/usr/bin/nut-scanner';
export const OUR_SCANNER = join(ROOT, 'core/dist/cli/nut-scanner.js');

export interface ScanRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ScanRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export function nutScan(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<ScanRun> {
  requireOracle(NUT_SCANNER);
  return run(NUT_SCANNER, args, env, timeoutMs);
}

export function ourScan(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<ScanRun> {
  return run(process.execPath, [OUR_SCANNER, ...args], env, timeoutMs);
}
