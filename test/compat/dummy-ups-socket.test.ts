/**
 * The driver socket itself, ours against NUT 2.8.0's dummy-ups: the DUMPALL reply line by
 * line, and the answers to PING, INSTCMD and SET with and without TRACKING (the exchange in
 * reference/sock-protocol.md §4), garbage included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, requireOracle, startNutDriver, stopChild, type Sandbox } from '../helpers/oracle.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');
const sandboxes: Sandbox[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) await stopChild(c);
  for (const sb of sandboxes) sb.cleanup();
});

const QUIRKS = 'ups.mfr: ACME "Quoted" Inc\nups.model: "M  1"\ncustom.hash: "a\\#b"\nAlpha.var: A\nzeta.var: z\nbattery.charge: 100\nups.status: OL CHRG\nups.id: x\n';

async function startBoth(data: string, file = 'test.dev', extra = ''): Promise<{ nut: string; ours: string }> {
  const paths: string[] = [];
  for (const who of ['nut', 'ours']) {
    const sb = makeSandbox(`nut-ts-sock-${who}-`);
    sandboxes.push(sb);
    sb.write(file, data);
    sb.write('ups.conf', `[dev]\n\tdriver = dummy-ups\n\tport = ${file}\n${extra}`);
    children.push(who === 'nut' ? startNutDriver(sb, 'dummy-ups', 'dev') : spawn(process.execPath, [CLI, 'dummy-ups', '-a', 'dev'], { env: sb.env, stdio: 'ignore' }));
    paths.push(join(sb.statePath, 'dummy-ups-dev'));
  }
  const deadline = Date.now() + 90_000;
  while (!paths.every((p) => existsSync(p))) {
    if (Date.now() > deadline) throw new Error('driver sockets did not appear');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { nut: paths[0], ours: paths[1] };
}

interface Conn {
  lines: string[];
  send(text: string): void;
  until(pred: (l: string[]) => boolean): Promise<string[]>;
  close(): void;
}

async function open(path: string): Promise<Conn> {
  const deadline = Date.now() + 30_000;
  let sock: Socket | undefined;
  while (!sock) {
    sock = await new Promise<Socket | undefined>((res) => {
      const s = connect(path);
      s.once('connect', () => res(s));
      s.once('error', () => res(undefined));
    });
    if (!sock) {
      if (Date.now() > deadline) throw new Error(`cannot connect to ${path}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const s = sock;
  const lines: string[] = [];
  let buf = '';
  s.setEncoding('latin1');
  s.on('data', (c: string) => {
    buf += c;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  s.on('error', () => {});
  return {
    lines,
    send: (t) => s.write(t, 'latin1'),
    async until(pred) {
      const end = Date.now() + 30_000;
      while (!pred(lines)) {
        if (Date.now() > end) throw new Error(`timed out, got:\n${lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return lines;
    },
    close: () => s.destroy(),
  };
}

const noVersion = (l: string[]) => l.filter((x) => !/^SETINFO driver\.version(\.internal)? /.test(x));

async function dumpall(path: string): Promise<string[]> {
  const c = await open(path);
  c.send('DUMPALL\n');
  const lines = await c.until((l) => l.includes('DUMPDONE'));
  c.close();
  return noVersion(lines.slice(0, lines.indexOf('DUMPDONE') + 1));
}

describe('driver socket: ours = NUT 2.8.0 dummy-ups', () => {
  requireOracle('/lib/nut/dummy-ups');

  it.each([
    ['quirks.dev', QUIRKS],
    ['epdu-managed.dev', null],
    ['APC__Smart-UPS_X_750__usbhid-ups__2.7.4__02.dev', null],
  ])('DUMPALL of %s, line by line', async (name, text) => {
    const data = text ?? (await import('node:fs')).readFileSync(join(ROOT, 'test/fixtures', name.includes('__') ? 'ddl' : 'nut-data', name), 'latin1');
    const { nut, ours } = await startBoth(data, name);
    const [a, b] = await Promise.all([dumpall(nut), dumpall(ours)]);
    expect(b.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  }, 240_000);

  it('override.* (IMMUTABLE: SETFLAGS without words), default.*, flags in the dump', async () => {
    const extra = '\toverride.ups.mfr = "O \\"R\\""\n\toverride.ups.serial = S1\n\tdefault.ups.id = d\n\tdefault.new.var = n\n\tnolock\n';
    const { nut, ours } = await startBoth(QUIRKS, 'test.dev', extra);
    const [a, b] = await Promise.all([dumpall(nut), dumpall(ours)]);
    expect(a).toContain('SETFLAGS ups.serial');
    expect(b).toEqual(a);
  }, 240_000);

  it('PING, INSTCMD, SET with and without TRACKING, unknown verbs and garbage', async () => {
    const { nut, ours } = await startBoth(QUIRKS);
    const script = [
      'PING\n',
      'INSTCMD load.off TRACKING abc-1\n',
      'INSTCMD load.off 5 TRACKING abc-2\n',
      'INSTCMD load.off\n',
      'SET ups.status "OB LB" TRACKING abc-4\n',
      'FOO bar\n',
      'ping\n',
      'SET ups.id "new id" TRACKING abc-5\n',
      'SET zeta.var "" TRACKING abc-6\n',
      'SET new.var "n" TRACKING abc-7\n',
      'INSTCMD a b c d e f\n',
      '\x01\x02"unbalanced\n',
      'PING\n',
    ];
    const run = async (path: string) => {
      const c = await open(path);
      for (const line of script) c.send(line);
      await c.until((l) => l.filter((x) => x === 'PONG').length === 3 && l.some((x) => x.startsWith('TRACKING abc-7 ')));
      c.close();
      return c.lines;
    };
    const [a, b] = await Promise.all([run(nut), run(ours)]);
    // We answer PING at once, even while commands wait for the end of an update; NUT
    // answers strictly in order. Everything else comes in NUT's order.
    const pongs = (l: string[]) => l.filter((x) => x === 'PONG').length;
    const rest = (l: string[]) => l.filter((x) => x !== 'PONG');
    expect(pongs(b)).toBe(pongs(a));
    expect(rest(b)).toEqual(rest(a));
    expect(a).toContain('TRACKING abc-1 1');
    expect(a).toContain('DELINFO zeta.var');
  }, 240_000);
});
