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

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd?: string): Promise<ScanRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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

export function ourScan(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000, cwd?: string): Promise<ScanRun> {
  return run(process.execPath, [OUR_SCANNER, ...args], env, timeoutMs, cwd);
}

/** snmpsim serving recordings (community = file stem) on several loopback addresses, one UDP port. */
export interface SnmpAgents {
  port: number;
  /** A directory whose snmp.conf points net-snmp (NUT's scanner) and ours at the port. */
  snmpConfPath: string;
  stop(): Promise<void>;
}

export async function startSnmpAgents(files: readonly string[], addresses: readonly string[], extraArgs: readonly string[] = [], prepare?: (dataDir: string) => void): Promise<SnmpAgents> {
  const { snmpsimBinary, freeUdpPort } = await import('../../plugins/snmp-ups/test/helpers/snmpsim.js');
  const { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { basename } = await import('node:path');
  const { spawnSync } = await import('node:child_process');
  const bin = snmpsimBinary();
  const dir = mkdtempSync(join(tmpdir(), 'scanner-snmpsim-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  mkdirSync(join(dir, 'cache'));
  mkdirSync(join(dir, 'conf'));
  for (const f of files) copyFileSync(f, join(data, basename(f)));
  prepare?.(data);
  spawnSync('chmod', ['-R', 'a+rwX', dir]);
  chmodSync(dir, 0o777);
  const port = await freeUdpPort();
  writeFileSync(join(dir, 'conf', 'snmp.conf'), `defaultPort ${port}\nmibs :\n`);
  const child = spawn(
    bin,
    [
      `--data-dir=${data}`,
      `--cache-dir=${join(dir, 'cache')}`,
      ...addresses.map((a) => `--agent-udpv4-endpoint=${a}:${port}`),
      '--process-user=nobody',
      '--process-group=nogroup',
      '--logging-method=null',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const community = basename(files[0], '.snmprec');
  const snmpConfPath = join(dir, 'conf');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await ourScan(['-S', '-q', '-P', '-t', '1', '-s', addresses[0], '-c', community], { ...process.env, SNMPCONFPATH: snmpConfPath });
    if (r.stdout.includes('SNMP:')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error('snmpsimd did not answer');
    }
  }
  return { port, snmpConfPath, stop };
}
