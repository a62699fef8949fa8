/** snmpsim (Debian's snmpsimd) serving .snmprec recordings on 127.0.0.1, for tests. */
import { stopChild } from '../../../../test/helpers/oracle.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createSocket } from 'node:dgram';
import snmp from 'net-snmp';

export interface Snmpsim {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export function snmpsimBinary(): string {
  for (const b of ['/usr/bin/snmpsimd', '/usr/bin/snmpsim-command-responder', '/usr/bin/snmpsimd.py']) if (existsSync(b)) return b;
  throw new Error('snmpsim is missing: apt-get install -y snmpsim');
}

/** A free UDP port on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function probe(port: number, community: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = snmp.createSession('127.0.0.1', community, { port, retries: 0, timeout: 500, version: snmp.Version1 });
    s.on('error', () => {});
    s.get(['1.3.6.1.2.1.1.2.0'], (err) => {
      s.close();
      resolve(!err);
    });
  });
}

/** Starts snmpsimd on the given recordings (community = file stem) and waits until it answers. */
export async function startSnmpsim(files: readonly string[], extraArgs: readonly string[] = [], dataSubdir?: (dir: string) => void): Promise<Snmpsim> {
  const bin = snmpsimBinary();
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-snmpsim-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  mkdirSync(data);
  mkdirSync(cache);
  for (const f of files) copyFileSync(f, join(data, basename(f)));
  dataSubdir?.(data);
  spawnSync('chmod', ['-R', 'a+rwX', dir]);
  chmodSync(dir, 0o777);
  const port = await freeUdpPort();
  const child: ChildProcess = spawn(
    bin,
    [
      `--data-dir=${data}`,
      `--cache-dir=${cache}`,
      `--agent-udpv4-endpoint=127.0.0.1:${port}`,
      '--process-user=nobody',
      '--process-group=nogroup',
      '--logging-method=null',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const community = basename(files[0], '.snmprec');
  const deadline = Date.now() + 60_000;
  while (!(await probe(port, community))) {
    if (child.exitCode !== null) throw new Error(`snmpsimd exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('snmpsimd did not answer within 60 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    port,
    dir,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
