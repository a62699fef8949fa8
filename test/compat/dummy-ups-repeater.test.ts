/**
 * Repeater mode (`port = ups@host:port`): our dummy-ups repeating a NUT upsd gives the same
 * dump as NUT's dummy-ups repeating it, and fails the same way when it cannot.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, startNutDriver, startNutUpsd, stopChild, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');

let sb: Sandbox;
let upsdPort = 0;
let upsd: ChildProcess | undefined;
const children: ChildProcess[] = [];

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { env: sb.env, cwd: sb.dir, timeout: 90_000, encoding: 'latin1' }, (error, out, err) => {
      res({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err });
    });
  });
}

const comparable = (t: string) => t.split('\n').filter((l) => l !== '' && !l.startsWith('Network UPS Tools') && !/^driver\.version/.test(l));

/** DUMPALL on a driver socket, until DUMPDONE; driver.version lines left out. */
async function dumpall(path: string): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const sock = await new Promise<Socket | undefined>((res) => {
      const s = connect(path);
      s.once('connect', () => res(s));
      s.once('error', () => res(undefined));
    });
    if (sock) {
      let text = '';
      sock.setEncoding('latin1');
      sock.on('data', (c: string) => (text += c));
      sock.write('DUMPALL\n');
      while (!text.includes('DUMPDONE\n')) {
        if (Date.now() > deadline) throw new Error(`no DUMPDONE from ${path}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      sock.destroy();
      // cut at DUMPDONE before filtering: updates broadcast after the dump are not part of it
      const lines = text.split('\n');
      return lines.slice(0, lines.indexOf('DUMPDONE') + 1).filter((l) => l !== '' && !/^SETINFO driver\.version/.test(l));
    }
    if (Date.now() > deadline) throw new Error(`cannot connect to ${path}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


describe('dummy-ups repeater mode against NUT 2.8.0', () => {
  requireOracle();
  beforeAll(async () => {
    sb = makeSandbox('nut-ts-repeater-');
    const port = await freePort();
    sb.copy(join(ROOT, 'test/fixtures/nut-data/epdu-managed.dev'));
    sb.copy(join(ROOT, 'test/fixtures/ddl/APC__Smart-UPS_X_750__usbhid-ups__2.7.4__02.dev'), 'apc.dev');
    sb.write(
      'ups.conf',
      `[src]\n\tdriver = dummy-ups\n\tport = epdu-managed.dev\n[apc]\n\tdriver = dummy-ups\n\tport = apc.dev\n` +
        `[rep]\n\tdriver = dummy-ups\n\tport = src@127.0.0.1:${port}\n[rep2]\n\tdriver = dummy-ups\n\tport = apc@127.0.0.1:${port}\n` +
        `[forced]\n\tdriver = dummy-ups\n\tport = apc.dev\n\tmode = repeater\n` +
        `[dead]\n\tdriver = dummy-ups\n\tport = src@127.0.0.1:1\n[nosuch]\n\tdriver = dummy-ups\n\tport = nosuch@127.0.0.1:${port}\n` +
        `[live]\n\tdriver = dummy-ups\n\tport = apc@127.0.0.1:${port}\n[liven]\n\tdriver = dummy-ups\n\tport = apc@127.0.0.1:${port}\n`,
    );
    sb.write('upsd.users', '[admin]\n\tpassword = secret\n\tactions = SET\n\tinstcmds = ALL\n');
    upsdPort = port;
    children.push(startNutDriver(sb, 'dummy-ups', 'src'), startNutDriver(sb, 'dummy-ups', 'apc'));
    for (let i = 0; i < 200 && !(existsSync(join(sb.statePath, 'dummy-ups-src')) && existsSync(join(sb.statePath, 'dummy-ups-apc'))); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    upsd = await startNutUpsd(sb, port);
    children.push(upsd);
    // upsd answers "Driver not connected" until it has read each driver's dump
    const serves = (ups: string) => /^[a-z][\w.]*: /m.test(spawnSync('upsc', [`${ups}@127.0.0.1:${port}`], { encoding: 'latin1' }).stdout ?? '');
    await until('upsd serving src and apc', () => serves('src') && serves('apc'), 30_000);
  }, 120_000);
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    sb?.cleanup();
  });

  it.each(['rep', 'rep2', 'dead', 'nosuch', 'forced'])('[%s]: same dump or same error, same exit code', async (ups) => {
    const [ours, nut] = await Promise.all([run(process.execPath, [CLI, 'dummy-ups', '-a', ups, '-d', '1']), run('/lib/nut/dummy-ups', ['-a', ups, '-d', '1', '-u', 'root'])]);
    expect(ours.code).toBe(nut.code);
    expect(comparable(ours.out)).toEqual(comparable(nut.out));
    if (nut.code !== 0) {
      const error = nut.err.split('\n').find((l) => l.startsWith('Error:'));
      expect(error).toBeDefined();
      expect(ours.err).toContain(error!.replace(/\. Any errors.*$/, ''));
    } else {
      expect(ours.out).toMatch(/^driver\.parameter\.mode: repeater$/m);
    }
  }, 240_000);

  it('same socket dump, upstream changes copied, last values kept (not stale) when upstream dies', async () => {
    children.push(spawn(process.execPath, [CLI, 'dummy-ups', '-a', 'live'], { env: sb.env, stdio: 'ignore' }));
    const nutLog = openSync(join(sb.dir, 'liven.log'), 'a');
    children.push(spawn('/lib/nut/dummy-ups', ['-a', 'liven', '-F', '-u', 'root'], { env: sb.env, stdio: ['ignore', nutLog, nutLog] }));
    const ours = join(sb.statePath, 'dummy-ups-live');
    const nut = join(sb.statePath, 'dummy-ups-liven');
    const a0 = await dumpall(nut).catch((e: Error) => {
      throw new Error(`${e.message}\n${readFileSync(join(sb.dir, 'liven.log'), 'latin1')}`);
    });
    const b0 = await dumpall(ours);
    expect(b0.length).toBeGreaterThan(20);
    expect(b0).toEqual(a0);
    const set = spawnSync('upsrw', ['-s', 'ups.mfr=Changed upstream', '-u', 'admin', '-p', 'secret', '-w', `apc@127.0.0.1:${upsdPort}`], { encoding: 'latin1' });
    expect(set.stdout + set.stderr).toMatch(/SUCCESS|OK/);
    const changed = async (path: string) => {
      const end = Date.now() + 60_000;
      for (;;) {
        const d = await dumpall(path);
        if (d.includes('SETINFO ups.mfr "Changed upstream"') || Date.now() > end) return d;
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const [a1, b1] = await Promise.all([changed(nut), changed(ours)]);
    expect(a1).toContain('SETINFO ups.mfr "Changed upstream"');
    expect(b1).toEqual(a1);
    await stopChild(upsd);
    await new Promise((r) => setTimeout(r, 8000));
    const [a2, b2] = await Promise.all([dumpall(nut), dumpall(ours)]);
    expect(a2[0]).not.toBe('DATASTALE');
    expect(b2).toEqual(a2);
  }, 240_000);
});
