/**
 * Our dummy-ups against NUT 2.8.0's, computed here by running both:
 * - `-d 1` dumps of every .dev/.seq fixture are equal (driver.version* aside);
 * - a .seq with short TIMERs plays its steps in the same order in both modes, watched
 *   through each driver's socket;
 * - NUT's upsd serving our standalone driver gives the same `upsc` and `upsrw` output as
 *   NUT's upsd serving NUT's dummy-ups.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  makeSandbox,
  requireOracle,
  startNutDriver,
  startNutUpsd,
  stopChild,
  type Sandbox,
} from '../helpers/oracle.js';
import { until, untilFile } from '../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');
const FIXTURES = [
  ...readdirSync(join(ROOT, 'test/fixtures/ddl')).map((f) => join(ROOT, 'test/fixtures/ddl', f)),
  ...readdirSync(join(ROOT, 'test/fixtures/nut-data')).map((f) => join(ROOT, 'test/fixtures/nut-data', f)),
].filter((f) => /\.(dev|seq)$/.test(f));

const sandboxes: Sandbox[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) await stopChild(c);
  for (const sb of sandboxes) sb.cleanup();
});

function sandboxWith(file: string, extra = ''): Sandbox {
  const sb = makeSandbox('nut-ts-dummy-');
  sandboxes.push(sb);
  const name = file.split('/').pop()!;
  sb.copy(file, name);
  sb.write('ups.conf', `[dev]\n\tdriver = dummy-ups\n\tport = ${name}\n${extra}`);
  return sb;
}

/** Runs a program to its end without blocking the other tests. */
function run(cmd: string, args: string[], sb: Sandbox): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: sb.env, encoding: 'latin1', timeout: 90_000, cwd: sb.dir }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function ourDump(sb: Sandbox, args: string[] = ['-a', 'dev', '-d', '1']): Promise<string> {
  return run(process.execPath, [CLI, 'dummy-ups', ...args], sb);
}

function nutDump(sb: Sandbox, args: string[] = ['-a', 'dev', '-d', '1']): Promise<string> {
  return run('/lib/nut/dummy-ups', [...args, '-u', 'root'], sb);
}

/** Dump lines without the banner and the version lines. */
function comparable(dump: string): string[] {
  return dump
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('Network UPS Tools') && !/^driver\.version(\.internal)?: /.test(l));
}

describe('dummy-ups -d 1 equals NUT 2.8.0 dummy-ups -d 1', () => {
  requireOracle('/lib/nut/dummy-ups');
  it('finds the fixtures', () => {
    expect(FIXTURES.length).toBeGreaterThan(30);
    expect(existsSync(CLI)).toBe(true);
  });
  it.concurrent.each(FIXTURES.map((f) => [f.split('/').pop()!, f]))('%s', async (_name, file) => {
    const sb = sandboxWith(file);
    const [nut, ours] = await Promise.all([nutDump(sb), ourDump(sb)]);
    expect(comparable(ours)).toEqual(comparable(nut));
    expect(ours).toMatch(/^driver\.version\.internal: 0\.15$/m);
  }, 300_000);
  it.concurrent('also with -s and -x values, override.*, default.*, flags and a mode that 2.8.0 ignores', async () => {
    const sb = sandboxWith(join(ROOT, 'test/fixtures/nut-data/epdu-managed.dev'), '\toverride.ups.mfr = "Over \\"Ride\\""\n\tdefault.battery.charge = 42\n\tnolock\n\tmode = bogus\n');
    const [nut, ours] = await Promise.all([nutDump(sb), ourDump(sb)]);
    expect(comparable(ours)).toEqual(comparable(nut));
    expect(ours).toMatch(/^ups\.mfr: Over \\"Ride\\"$/m);
    const args = ['-s', 'cli', '-x', 'port=epdu-managed.dev', '-x', 'mode=dummy-loop', '-x', 'default.zz.top=1', '-d', '1'];
    const [nut2, ours2] = await Promise.all([nutDump(sb, args), ourDump(sb, args)]);
    expect(comparable(ours2)).toEqual(comparable(nut2));
  }, 300_000);
});

/** Connects to a driver socket (the file exists a moment before it accepts). */
async function connectUnix(path: string, timeoutMs = 20_000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sock = await new Promise<Socket | undefined>((res) => {
      const s = connect(path);
      s.once('connect', () => res(s));
      s.once('error', () => res(undefined));
    });
    if (sock) return sock;
    if (Date.now() > deadline) throw new Error(`cannot connect to ${path}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends DUMPALL and records every ups.status the driver tells (consecutive duplicates folded). */
async function watchStatus(path: string): Promise<{ values: string[]; close(): void }> {
  const values: string[] = [];
  const sock = await connectUnix(path);
  let buf = '';
  sock.setEncoding('latin1');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^SETINFO ups\.status "(.*)"$/.exec(line);
      if (m && values[values.length - 1] !== m[1]) values.push(m[1]);
    }
  });
  sock.on('error', () => {});
  sock.write('DUMPALL\n');
  return { values, close: () => sock.destroy() };
}

function startOurDriver(sb: Sandbox, ups = 'dev'): ChildProcess {
  const log = openSync(join(sb.dir, 'nut-driver.log'), 'a');
  const child = spawn(process.execPath, [CLI, 'dummy-ups', '-a', ups], { env: sb.env, stdio: ['ignore', log, log] });
  children.push(child);
  return child;
}

/** Waits for a driver's socket file; says what the driver printed if it never comes. */
async function waitForSocket(sb: Sandbox, timeoutMs = 90_000): Promise<string> {
  const path = join(sb.statePath, 'dummy-ups-dev');
  try {
    await untilFile(path, timeoutMs);
  } catch (e) {
    const log = join(sb.dir, 'nut-driver.log');
    throw new Error(`${(e as Error).message}${existsSync(log) ? `\n${readFileSync(log, 'latin1')}` : ''}`);
  }
  return path;
}

describe('a .seq with short TIMERs plays in order, as in NUT', () => {
  requireOracle('/lib/nut/dummy-ups');
  const SEQ = 'ups.status: OL\nbattery.charge: 100\nTIMER 3\nups.status: OB DISCHRG\nbattery.charge: 60\nTIMER 3\nups.status: OB LB\nTIMER 3\n';

  /**
   * Starts one driver and watches its socket from the moment it exists: until `enough` says
   * so, or for a number of seconds where what is checked is that nothing more comes.
   */
  async function watchDriver(sb: Sandbox, start: (sb: Sandbox) => ChildProcess, enough: number | ((values: string[]) => boolean)): Promise<string[]> {
    children.push(start(sb));
    const w = await watchStatus(await waitForSocket(sb));
    if (typeof enough === 'number') await new Promise((r) => setTimeout(r, enough * 1000));
    else await until('the status sequence', () => enough(w.values), 60_000);
    w.close();
    return w.values;
  }

  async function record(mode: string, enough: number | ((values: string[]) => boolean)): Promise<{ nut: string[]; ours: string[] }> {
    const a = makeSandbox('nut-ts-seq-a-');
    const b = makeSandbox('nut-ts-seq-b-');
    sandboxes.push(a, b);
    for (const sb of [a, b]) {
      sb.write('steps.seq', SEQ);
      sb.write('ups.conf', `[dev]\n\tdriver = dummy-ups\n\tport = steps.seq\n\tmode = ${mode}\n`);
    }
    const [nut, ours] = await Promise.all([
      watchDriver(a, (sb) => startNutDriver(sb, 'dummy-ups', 'dev'), enough),
      watchDriver(b, (sb) => startOurDriver(sb), enough),
    ]);
    return { nut, ours };
  }

  it('dummy-loop: OL → OB DISCHRG → OB LB → OL again', async () => {
    const { nut, ours } = await record('dummy-loop', (values) => values.length >= 4);
    expect(nut.slice(0, 4)).toEqual(['OL', 'OB DISCHRG', 'OB LB', 'OL']);
    expect(ours.slice(0, 4)).toEqual(nut.slice(0, 4));
  });

  it('dummy-once: the steps play and then stay (after NUT 2.8.0\'s one re-read)', async () => {
    // the steps stay: watched for a fixed time, since what is checked is that nothing follows
    const { nut, ours } = await record('dummy-once', 36);
    expect(nut).toEqual(['OL', 'OB DISCHRG', 'OB LB', 'OL', 'OB DISCHRG', 'OB LB']);
    expect(ours).toEqual(nut);
  }, 180_000);
});

function upsc(port: number, ups = 'dev'): string {
  const r = spawnSync('upsc', [`${ups}@127.0.0.1:${port}`], { encoding: 'latin1', timeout: 30_000 });
  return r.stdout + r.stderr;
}

function upsrw(port: number, ups = 'dev'): string {
  const r = spawnSync('upsrw', [`${ups}@127.0.0.1:${port}`], { encoding: 'latin1', timeout: 30_000 });
  return r.stdout + r.stderr;
}

async function untilStable(read: () => string, ok: (s: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = read();
    if (ok(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("NUT's upsd serving our standalone dummy-ups", () => {
  requireOracle();
  const files = [
    'test/fixtures/nut-data/epdu-managed.dev',
    'test/fixtures/nut-data/evolution500.seq',
    'test/fixtures/ddl/APC__Smart-UPS_X_750__usbhid-ups__2.7.4__02.dev',
    'test/fixtures/ddl/Eaton__9PX__snmp-ups__2.7.4__01.dev',
  ];
  it.each(files)('%s: upsc and upsrw show the same as with NUT\'s dummy-ups', async (rel) => {
    const file = join(ROOT, rel);
    const a = sandboxWith(file);
    const b = sandboxWith(file);
    const [pa, pb] = [await freePort(), await freePort()];
    children.push(startNutDriver(a, 'dummy-ups', 'dev'));
    startOurDriver(b);
    await Promise.all([waitForSocket(a), waitForSocket(b)]);
    children.push(await startNutUpsd(a, pa), await startNutUpsd(b, pb));
    const ready = (s: string) => /ups\.status: /.test(s) && !/ups\.status: WAIT/.test(s);
    const nut = comparable(await untilStable(() => upsc(pa), ready));
    const ours = comparable(await untilStable(() => upsc(pb), ready));
    expect(ours.length).toBeGreaterThan(5);
    expect(ours).toEqual(nut);
    const rwNut = upsrw(pa).replace(/^Value: 2\.8\.0.*$/gm, '');
    const rwOurs = upsrw(pb).replace(/^Value: 2\.8\.0.*$/gm, '');
    expect(rwOurs).toEqual(rwNut);
  });
});
