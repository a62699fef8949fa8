/** NUT 2.8.0's snmp-ups as the oracle: `-d 1` dumps, and a running driver spoken to on its socket. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeValue } from '../../../../core/src/config/parseconf.js';

export const NUT_SNMP_UPS = '/lib/nut/snmp-ups';

/** `-x` arguments for options (flags as bare names). */
function xArgs(options: Record<string, string | true>): string[] {
  return Object.entries(options).flatMap(([k, v]) => ['-x', v === true ? k : `${k}=${v}`]);
}

export function nutSnmpDump(port: string, options: Record<string, string | true>): { status: number | null; lines: string[]; output: string } {
  const state = mkdtempSync(join(tmpdir(), 'nut-ts-snmp-state-'));
  try {
    const r = spawnSync(NUT_SNMP_UPS, ['-s', 't', '-x', `port=${port}`, ...xArgs(options), '-d', '1', '-u', 'root'], {
      env: { ...process.env, NUT_STATEPATH: state },
      encoding: 'latin1',
      timeout: 110_000,
    });
    const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('Network UPS Tools - '));
    return { status: r.status, lines, output: r.stdout + r.stderr };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

export interface RunningNut {
  socket: string;
  child: ChildProcess;
  /** Sends one line, collects the reply until `until` matches (or the timeout). */
  request(line: string, until: RegExp, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts NUT's snmp-ups in the foreground with a ups.conf section [t]; resolves when its socket exists. */
export async function startNutSnmp(port: string, options: Record<string, string | true>): Promise<RunningNut> {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-snmp-nut-'));
  mkdirSync(join(dir, 'conf'));
  mkdirSync(join(dir, 'state'));
  const body = Object.entries(options)
    .map(([k, v]) => (v === true ? `  ${k}` : `  ${k} = "${encodeValue(v)}"`))
    .join('\n');
  writeFileSync(join(dir, 'conf', 'ups.conf'), `[t]\n  driver = snmp-ups\n  port = ${port}\n${body}\n`);
  const child = spawn(NUT_SNMP_UPS, ['-a', 't', '-F', '-u', 'root'], {
    env: { ...process.env, NUT_CONFPATH: join(dir, 'conf'), NUT_STATEPATH: join(dir, 'state') },
    stdio: 'ignore',
  });
  const socket = join(dir, 'state', 'snmp-ups-t');
  const deadline = Date.now() + 100_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`NUT snmp-ups exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('NUT snmp-ups did not create its socket');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    socket,
    child,
    request(line, until, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const s = connect(socket);
        let buf = '';
        const t = setTimeout(() => {
          s.destroy();
          reject(new Error(`no reply matching ${until} to ${line}: ${buf}`));
        }, timeoutMs);
        s.on('data', (d) => {
          buf += d.toString('latin1');
          if (until.test(buf)) {
            clearTimeout(t);
            s.destroy();
            resolve(buf.split('\n').filter((l) => l !== ''));
          }
        });
        s.on('error', (e) => {
          clearTimeout(t);
          reject(e);
        });
        s.write(line + '\n');
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
