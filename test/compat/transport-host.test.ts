/**
 * Devices owned by the host, end to end: a plugin in a worker reads a serial line (a socat
 * pty) through the host's transport process while upsd serves it. The transport process is
 * killed (SIGKILL, SIGSEGV) and the device unplugged and plugged back in: upsd keeps
 * answering on the same connection, the instance goes stale and comes back by itself. Two
 * sections naming one port get an error naming both.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../core/src/host/host.js';
import { freePort, requireOracle } from '../helpers/oracle.js';
import { ptyPair, SimEnd, type PtyPair } from '../helpers/pty.js';
import { until } from '../helpers/wait.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');

/** A device answering "Q\r" with "(<n>\r", n counting up. */
function answerQueries(sim: SimEnd): void {
  let n = 0;
  let pending = '';
  sim.onData((d) => {
    pending += d.toString('latin1');
    let i: number;
    while ((i = pending.indexOf('\r')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      if (line === 'Q') sim.send(`(${++n}\r`);
    }
  });
}

/** One upsd connection kept open through every crash: a line protocol client. */
class Session {
  private buf = '';
  private waiters: Array<(line: string) => void> = [];
  constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.waiters.shift()?.(line);
      }
    });
  }
  static open(port: number): Promise<Session> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Session(s)));
      s.once('error', reject);
    });
  }
  ask(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`upsd did not answer ${line} within 5 s`)), 5000);
      this.waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
      this.socket.write(`${line}\n`);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('serial devices behind the host transport process', () => {
  let dir: string;
  let device: string;
  let pair: PtyPair;
  let sim: SimEnd;
  let host: Host;
  let session: Session;
  let upsdPort: number;
  const logs: string[] = [];
  const staleness: string[] = [];
  /** What upsd answered for the line instance at the moment it went stale. */
  let staleAnswer: Promise<string> | undefined;

  const upsc = (v: string) =>
    promisify(execFile)('upsc', [`line@127.0.0.1:${upsdPort}`, v], { encoding: 'utf8' }).then(
      (r) => r.stdout.trim(),
      (e: { stderr?: string }) => `ERR ${String(e.stderr ?? '').trim().split('\n').pop()}`,
    );
  const plug = async () => {
    pair = await ptyPair(device, join(dir, 'sim'));
    sim = new SimEnd(pair.sim);
    answerQueries(sim);
  };
  const unplug = async () => {
    sim.close();
    await pair.kill();
  };
  /** The line value now, then waits for a newer one: data flows again. */
  const flowing = async (what: string) => {
    const seen = await until(`${what}: a test.line`, () => host.instance('line')?.tree.getValue('test.line'), 20_000);
    await until(`${what}: test.line after ${seen}`, () => {
      const v = host.instance('line')?.tree.getValue('test.line');
      return v !== undefined && v !== seen && host.instance('line')?.tree.stale === false;
    }, 20_000);
  };
  /** upsd still answers on the connection opened at the start. */
  const upsdAnswers = async () => {
    expect(await session.ask('GET VAR good ups.mfr')).toBe('VAR good ups.mfr "nut-ts tests"');
  };

  beforeAll(async () => {
    requireOracle('/usr/bin/upsc');
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-transport-'));
    device = join(dir, 'ttyUPS');
    await plug();
    const confPath = join(dir, 'conf');
    const statePath = join(dir, 'state');
    mkdirSync(confPath);
    mkdirSync(statePath);
    writeFileSync(
      join(confPath, 'ups.conf'),
      [
        'pollinterval = 1',
        `[line]\n driver = test-serial-line\n port = ${device}`,
        `[twin]\n driver = test-serial-line\n port = ${device}`,
        '[good]\n driver = test-good\n port = none',
        '',
      ].join('\n'),
    );
    host = new Host({
      paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' },
      settings: { pluginPaths: [testPlugins], restart: { initialDelayMs: 200, maxDelayMs: 1000 } },
      pluginSearch: { builtin: false, nodeModules: false },
      driverSockets: false,
      log: (level, m) => logs.push(`${level} ${m}`),
    });
    expect(host.loadConfig().messages).toEqual([]);
    upsdPort = await freePort();
    expect((await host.upsd.start({ listen: [{ host: '127.0.0.1', port: upsdPort }], noConfigFiles: true })).ok).toBe(true);
    expect(await host.startInstance('good')).toEqual({ ok: true, messages: [] });
    expect(host.transports.running).toBe(false);
    expect(await host.startInstance('line')).toEqual({ ok: true, messages: [] });
    host.instance('line')!.tree.onChange((op) => {
      if (op.op === 'DATASTALE' || op.op === 'DATAOK') staleness.push(op.op);
      if (op.op === 'DATASTALE') staleAnswer ??= session.ask('GET VAR line test.line');
    });
    session = await Session.open(upsdPort);
  }, 60_000);

  afterAll(async () => {
    session?.close();
    await host?.close();
    sim?.close();
    await pair?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the transport process for the first instance that opens a device, and serves its data', async () => {
    expect(host.transports.running).toBe(true);
    await flowing('start');
    expect(await upsc('test.line')).toMatch(/^\(\d+$/);
    await upsdAnswers();
  });

  it('refuses a second section on the same port, naming both sections', async () => {
    const r = await host.startInstance('twin');
    expect(r.ok).toBe(false);
    expect(r.messages.join('\n')).toContain(`${device} is already in use by UPS [line]: sections [line] and [twin] name the same port`);
    await host.stopInstance('twin');
  });

  it('passes unsolicited bytes to the plugin (onData), which publishes them', async () => {
    sim.send('!');
    await until('test.alerts = 1', () => host.instance('line')?.tree.getValue('test.alerts') === '1', 10_000);
  });

  for (const signal of ['SIGKILL', 'SIGSEGV'] as const) {
    it(`survives ${signal} of the transport process: upsd answers, the instance goes stale and recovers`, async () => {
      const pid = host.transports.pid!;
      expect(pid).toBeGreaterThan(0);
      staleness.length = 0;
      staleAnswer = undefined;
      process.kill(pid, signal);
      await until('the instance stale', () => staleness.includes('DATASTALE'), 20_000);
      expect(await staleAnswer).toBe('ERR DATA-STALE');
      await upsdAnswers();
      await until('the instance fresh again', () => staleness.lastIndexOf('DATAOK') > staleness.indexOf('DATASTALE'), 20_000);
      await flowing(`after ${signal}`);
      expect(host.transports.pid).not.toBe(pid);
      expect(host.instance('line')?.state).toBe('running');
      expect(logs.some((l) => l.includes(`device transport process was killed by ${signal}`))).toBe(true);
      await upsdAnswers();
    });
  }

  it('goes stale when the device is unplugged and comes back by itself when it is plugged in again', async () => {
    staleness.length = 0;
    staleAnswer = undefined;
    await unplug();
    await until('the instance stale', () => staleness.includes('DATASTALE'), 20_000);
    expect(await staleAnswer).toBe('ERR DATA-STALE');
    await upsdAnswers();
    await plug();
    await until('the instance fresh again', () => staleness.lastIndexOf('DATAOK') > staleness.indexOf('DATASTALE'), 20_000);
    await flowing('after replug');
  });
});
