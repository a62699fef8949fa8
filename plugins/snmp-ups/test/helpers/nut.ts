/** NUT 2.8.0's snmp-ups as the oracle: `-d 1` dumps, and a running driver spoken to on its socket. */
import { stopChild } from '../../../../test/helpers/oracle.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
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

export interface NutConnection {
  /** Sends a line; resolves with everything received since, once `until` matches. */
  request(line: string, until: RegExp, timeoutMs?: number): Promise<string[]>;
  close(): void;
}

export interface RunningNut {
  socket: string;
  child: ChildProcess;
  /** Sends one line on a new connection, collects the reply until `until` matches (or the timeout). */
  request(line: string, until: RegExp, timeoutMs?: number): Promise<string[]>;
  /** The driver's stdout and stderr so far. */
  log(): string;
  /** One connection kept open, as upsd keeps it (the driver broadcasts to every connection). */
  connection(): Promise<NutConnection>;
  stop(): Promise<void>;
}

/** Starts NUT's snmp-ups in the foreground with a ups.conf section [t]; resolves when its socket exists. */
export async function startNutSnmp(port: string, options: Record<string, string | true>, debug = 0): Promise<RunningNut> {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-snmp-nut-'));
  mkdirSync(join(dir, 'conf'));
  mkdirSync(join(dir, 'state'));
  const body = Object.entries(options)
    .map(([k, v]) => (v === true ? `  ${k}` : `  ${k} = "${encodeValue(v)}"`))
    .join('\n');
  writeFileSync(join(dir, 'conf', 'ups.conf'), `[t]\n  driver = snmp-ups\n  port = ${port}\n${body}\n`);
  const logFd = openSync(join(dir, 'driver.log'), 'w');
  const child = spawn(NUT_SNMP_UPS, ['-a', 't', '-F', '-u', 'root', ...(debug ? ['-' + 'D'.repeat(debug)] : [])], {
    env: { ...process.env, NUT_CONFPATH: join(dir, 'conf'), NUT_STATEPATH: join(dir, 'state') },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const socket = join(dir, 'state', 'snmp-ups-t');
  const deadline = Date.now() + 100_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`NUT snmp-ups exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('NUT snmp-ups did not create its socket');
    await new Promise((r) => setTimeout(r, 100));
  }
  // The socket file appears at bind(), a moment before listen(). The probe connection stays
  // open until stop(): NUT 2.8.0's driver crashes (FD_SET on a freed connection) when a
  // broadcast hits a connection the peer already closed.
  let probe: Socket | undefined;
  while (
    !(probe = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(socket);
      s.once('connect', () => {
        s.on('data', () => {});
        s.on('error', () => {});
        resolve(s);
      });
      s.once('error', () => resolve(undefined));
    }))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('NUT snmp-ups socket does not accept connections');
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
    log() {
      try {
        return readFileSync(join(dir, 'driver.log'), 'latin1');
      } catch {
        return '';
      }
    },
    connection() {
      return new Promise<NutConnection>((resolve, reject) => {
        const s = connect(socket);
        let buf = '';
        let waiter: { until: RegExp; resolve: (l: string[]) => void } | undefined;
        const check = () => {
          if (waiter && waiter.until.test(buf)) {
            const lines = buf.split('\n').filter((l) => l !== '');
            buf = '';
            const w = waiter;
            waiter = undefined;
            w.resolve(lines);
          }
        };
        s.on('data', (d) => {
          buf += d.toString('latin1');
          check();
        });
        s.once('error', reject);
        s.once('connect', () =>
          resolve({
            request(line, until, timeoutMs = 30_000) {
              return new Promise((res, rej) => {
                const t = setTimeout(() => rej(new Error(`no reply matching ${until} to ${line}: ${buf}`)), timeoutMs);
                s.once('close', () => rej(new Error(`driver closed the connection after ${line}`)));
                waiter = {
                  until,
                  resolve: (l) => {
                    clearTimeout(t);
                    res(l);
                  },
                };
                s.write(line + '\n');
                check();
              });
            },
            close() {
              s.destroy();
            },
          }),
        );
      });
    },
    async stop() {
      probe?.destroy();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * NUT's driver output as its upsd passes it on to clients: a value that Net-SNMP's hex dump
 * broke over several lines is one line again (upsd's parseconf drops the line breaks, as every
 * byte outside 0x20-0x7F). `starts` recognises the first line of an entry.
 */
export function asClientsSee(lines: readonly string[], starts: RegExp): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (out.length > 0 && !starts.test(line)) out[out.length - 1] += line;
    else out.push(line);
  }
  return out.map((l) => l.replace(/[^\x20-\x7f]/g, ''));
}

/** A `-d 1` dump line (`name: value`). */
export const DUMP_LINE = /^[A-Za-z0-9_.%-]+: /;
/** A driver socket line. */
export const SOCKET_LINE = /^(SETINFO|DELINFO|SETFLAGS|SETAUX|ADDENUM|DELENUM|ADDRANGE|DELRANGE|ADDCMD|DELCMD|DATAOK|DATASTALE|DUMPDONE|PONG)\b/;
