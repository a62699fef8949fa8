import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FLAG_RW, FLAG_STRING } from '../../src/dstate/ops.js';
import { StateTree } from '../../src/dstate/tree.js';
import { driverSocketPath, DriverSocketServer } from '../../src/driver-socket/server.js';
import { until } from '../../../test/helpers/wait.js';

interface Client {
  sock: Socket;
  lines: string[];
  send(text: string): void;
  waitFor(pred: (lines: string[]) => boolean, ms?: number): Promise<string[]>;
}

function client(path: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const lines: string[] = [];
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    sock.once('error', reject);
    sock.once('connect', () =>
      resolve({
        sock,
        lines,
        send: (t) => sock.write(t, 'latin1'),
        async waitFor(pred, ms = 5000) {
          const end = Date.now() + ms;
          while (!pred(lines)) {
            if (Date.now() > end) throw new Error(`timed out; got:\n${lines.join('\n')}`);
            await new Promise((r) => setTimeout(r, 10));
          }
          return lines;
        },
      }),
    );
  });
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-sock-'));
  const tree = new StateTree();
  const calls: string[] = [];
  const server = await DriverSocketServer.listen({
    path: driverSocketPath(dir, 'dummy-ups', 'test'),
    tree,
    commands: {
      instcmd: (cmd, param, reply) => {
        calls.push(`INSTCMD ${cmd} ${param ?? '-'}`);
        reply(cmd === 'load.off' ? 1 : 0);
      },
      setvar: (name, value, reply) => {
        calls.push(`SET ${name} ${value}`);
        tree.setInfo(name, value);
        reply(0);
      },
    },
  });
  cleanup.push(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, tree, calls, server };
}

describe('driver socket server (sock-protocol.md)', () => {
  it('lives at <statepath>/<driver>-<ups> with mode 0660 and is removed on close', async () => {
    const { server } = await setup();
    expect(server.path).toMatch(/\/dummy-ups-test$/);
    expect(statSync(server.path).mode & 0o777).toBe(0o660);
  });

  it('DUMPALL in NUT order: DATASTALE first when stale, per var SETINFO/ADDENUM/ADDRANGE/SETAUX/SETFLAGS, commands, DATAOK, DUMPDONE', async () => {
    const { tree, server } = await setup();
    tree.setInfo('zeta.var', 'z');
    tree.setInfo('Alpha.var', 'A');
    tree.setInfo('custom.hash', 'a#b "q" \\');
    tree.setFlags('custom.hash', FLAG_RW | FLAG_STRING);
    tree.setAux('custom.hash', 32);
    tree.setInfo('input.sensitivity', 'H');
    tree.addEnum('input.sensitivity', 'H');
    tree.addEnum('input.sensitivity', 'L');
    tree.setInfo('ups.delay.shutdown', '20');
    tree.addRange('ups.delay.shutdown', 0, 600);
    tree.addCmd('load.off');
    tree.addCmd('beeper.on');
    const c = await client(server.path);
    c.send('DUMPALL\n');
    const stale = await c.waitFor((l) => l.includes('DUMPDONE'));
    expect(stale).toEqual([
      'DATASTALE',
      'SETINFO Alpha.var "A"',
      'SETINFO custom.hash "a\\#b \\"q\\" \\\\"',
      'SETAUX custom.hash 32',
      'SETFLAGS custom.hash RW STRING',
      'SETINFO input.sensitivity "H"',
      'ADDENUM input.sensitivity "H"',
      'ADDENUM input.sensitivity "L"',
      'SETINFO ups.delay.shutdown "20"',
      'ADDRANGE ups.delay.shutdown 0 600',
      'SETINFO zeta.var "z"',
      'ADDCMD beeper.on',
      'ADDCMD load.off',
      'DUMPDONE',
    ]);
    tree.setStale(false);
    await c.waitFor((l) => l.at(-1) === 'DATAOK');
    c.lines.length = 0;
    c.send('dumpall\n');
    const fresh = await c.waitFor((l) => l.includes('DUMPDONE'));
    expect(fresh[0]).toBe('SETINFO Alpha.var "A"');
    expect(fresh.slice(-2)).toEqual(['DATAOK', 'DUMPDONE']);
  });

  it('PING, INSTCMD and SET with and without TRACKING, as 2.8.0 answers them', async () => {
    const { calls, server } = await setup();
    const c = await client(server.path);
    c.send('PING\nINSTCMD load.off TRACKING abc-1\nINSTCMD load.off 5 TRACKING abc-2\nINSTCMD load.off\n');
    c.send('SET ups.status "OB LB" TRACKING abc-4\nFOO bar\nping\nSET ups.id "x" junk\nSET ups.id "y" NOTTRACKING id\nINSTCMD a b c d e f\n');
    await c.waitFor((l) => l.filter((x) => x === 'PONG').length === 2);
    expect(c.lines).toEqual(['PONG', 'TRACKING abc-1 1', 'TRACKING abc-2 1', 'SETINFO ups.status "OB LB"', 'TRACKING abc-4 0', 'PONG', 'SETINFO ups.id "x"']);
    expect(calls).toEqual(['INSTCMD load.off -', 'INSTCMD load.off 5', 'INSTCMD load.off -', 'SET ups.status OB LB', 'SET ups.id x']);
  });

  it('broadcasts every change to every connection, values escaped', async () => {
    const { tree, server } = await setup();
    const a = await client(server.path);
    const b = await client(server.path);
    await until('both connections accepted', () => server.connections === 2);
    tree.setInfo('ups.mfr', 'Via "socket"');
    tree.setFlags('ups.mfr', FLAG_RW | FLAG_STRING);
    tree.delInfo('ups.mfr');
    tree.addCmd('x.y');
    tree.setStale(false);
    const want = ['SETINFO ups.mfr "Via \\"socket\\""', 'SETFLAGS ups.mfr RW STRING', 'DELINFO ups.mfr', 'ADDCMD x.y', 'DATAOK'];
    expect(await a.waitFor((l) => l.length >= 5)).toEqual(want);
    expect(await b.waitFor((l) => l.length >= 5)).toEqual(want);
  });

  it('garbage never crashes it: binary, huge lines, unbalanced quotes, half lines, hang-ups', async () => {
    const { server } = await setup();
    const bad = await client(server.path);
    bad.send(Buffer.from([0, 1, 2, 255, 254, 10, 34, 35, 10]).toString('latin1'));
    bad.send('SET "unterminated\n' + 'x'.repeat(100_000) + '\n' + 'w '.repeat(200) + '\nINSTCMD\nSET\nTRACKING\n"#"\n');
    bad.send('PING');
    bad.sock.destroy();
    const c = await client(server.path);
    c.send('\n\n  \t\nPING\n');
    expect(await c.waitFor((l) => l.includes('PONG'))).toEqual(['PONG']);
    expect(server.connections).toBe(1);
  });
});
