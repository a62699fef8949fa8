/**
 * A scripted driver on NUT's driver socket, attached by NUT's upsd and by ours at once: the
 * driver-socket side of upsd (WAIT before the dump, DATASTALE/DATAOK, flags, aux, enums,
 * ranges, live updates, deletions, TRACKING answers) and the lines each upsd writes to the
 * driver for SET and INSTCMD, compared with NUT's.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation, TEST_USERS, exchange, normalizeTracking, startOurUpsd, type Side } from './upsd-harness.js';
import { freePort, makeSandbox, requireOracle, startNutUpsd, stopChild, type Sandbox } from '../helpers/oracle.js';
import { untilAsync } from '../helpers/wait.js';

const DUMP = [
  'SETINFO Alpha.var "A"',
  'SETINFO battery.charge "100"',
  'SETFLAGS battery.charge RW NUMBER',
  'SETINFO custom.hash "a\\#b"',
  'SETFLAGS custom.hash RW STRING',
  'SETAUX custom.hash 12',
  'SETINFO input.transfer.low "100"',
  'ADDENUM input.transfer.low "100"',
  'ADDENUM input.transfer.low "103"',
  'ADDENUM input.transfer.low "9\\"7"',
  'SETFLAGS input.transfer.low RW',
  'SETINFO ups.delay.shutdown "20"',
  'ADDRANGE ups.delay.shutdown 0 60',
  'ADDRANGE ups.delay.shutdown 120 180',
  'ADDRANGE ups.delay.shutdown 0 90',
  'SETFLAGS ups.delay.shutdown RW',
  'SETINFO output.voltage "230"',
  'ADDENUM output.voltage "230"',
  'ADDRANGE output.voltage 200 240',
  'SETFLAGS output.voltage RW',
  'SETINFO ups.id "x"',
  'SETFLAGS ups.id RW STRING',
  'SETINFO ups.mfr "ACME \\"Quoted\\" Inc"',
  'SETINFO ups.model "Model   With   Spaces"',
  'SETINFO ups.status "OL CHRG"',
  'SETINFO zeta.var "z"',
  'SETINFO driver.name "fake"',
  'SETFLAGS nonexistent RW',
  'ADDENUM nonexistent "1"',
  'ADDCMD load.off',
  'ADDCMD Test.A',
  'ADDCMD beeper.enable',
  'ADDCMD test.b',
  'DATAOK',
  'DUMPDONE',
].join('\n');

/** A driver socket server: answers DUMPALL with a script, records what each client sends. */
class FakeDriver {
  readonly server: Server;
  readonly peers: Array<{ socket: Socket; lines: string[] }> = [];
  constructor(
    readonly path: string,
    private readonly dump: string | undefined,
  ) {
    this.server = createServer((socket) => {
      const peer = { socket, lines: [] as string[] };
      this.peers.push(peer);
      let buf = '';
      socket.setEncoding('latin1');
      socket.on('error', () => {});
      socket.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          peer.lines.push(line);
          if (line === 'DUMPALL' && this.dump !== undefined) socket.write(this.dump + '\n');
          if (line === 'PING') socket.write('PONG\n');
        }
      });
    });
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, () => r()));
  }
  broadcast(text: string): void {
    for (const p of this.peers) if (!p.socket.destroyed) p.socket.write(text);
  }
  /** Lines received after `marks` (one count per peer). */
  allLines(): string[][] {
    return this.peers.map((p) => [...p.lines]);
  }
  close(): Promise<void> {
    for (const p of this.peers) p.socket.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let sb: Sandbox;
let nutPort: number;
let nutChild: Awaited<ReturnType<typeof startNutUpsd>>;
let ours: Side;
let full: FakeDriver;
let silent: FakeDriver;
let stale: FakeDriver;

const UPS_CONF = '[ups1]\n driver = fake\n port = none\n[ups2]\n driver = fake\n port = none\n[ups3]\n driver = fake\n port = none\n';

beforeAll(async () => {
  requireOracle();
  sb = makeSandbox('upsd-fake-');
  full = new FakeDriver(join(sb.statePath, 'fake-ups1'), DUMP);
  silent = new FakeDriver(join(sb.statePath, 'fake-ups2'), undefined);
  stale = new FakeDriver(join(sb.statePath, 'fake-ups3'), 'DATASTALE\nSETINFO ups.status "OB"\nDUMPDONE');
  await Promise.all([full.listen(), silent.listen(), stale.listen()]);
  sb.write('ups.conf', UPS_CONF);
  sb.write('upsd.users', TEST_USERS);
  nutPort = await freePort();
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${nutPort}\n`);
  nutChild = await startNutUpsd(sb, nutPort);
  ours = await startOurUpsd(
    sb,
    [1, 2, 3].map((i) => ({ name: `ups${i}`, file: 'none' })),
    TEST_USERS,
    '',
    {},
    UPS_CONF,
  );
  // both attached to all three drivers (generous: a loaded CI machine is slow to connect)
  for (let i = 0; i < 600 && [full, silent, stale].some((d) => d.peers.length < 2); i++) await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 600; i++) {
    const [a] = await exchange(nutPort, ['GET VAR ups1 ups.status']);
    const [b] = await exchange(ours.port, ['GET VAR ups1 ups.status']);
    if (a.includes('OL CHRG') && b.includes('OL CHRG')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  await stopChild(ours?.child);
  ours?.sandbox.cleanup();
  await stopChild(nutChild);
  await Promise.all([full?.close(), silent?.close(), stale?.close()]);
  sb?.cleanup();
});

async function bothSay(requests: string[]): Promise<void> {
  const [nut, mine] = await Promise.all([exchange(nutPort, requests), exchange(ours.port, requests)]);
  expect(mine.map(normalizeTracking)).toEqual(nut.map(normalizeTracking));
}

describe('upsd over a scripted driver, against NUT 2.8.0 upsd', () => {
  it('both attached with one connection each, DUMPALL first', () => {
    for (const d of [full, silent, stale]) {
      expect(d.peers.length).toBe(2);
      for (const p of d.peers) expect(p.lines[0]).toBe('DUMPALL');
    }
  });

  it('dumped data: listings, types, enums, ranges (NUT quirks included)', async () => {
    const names = ['Alpha.var', 'battery.charge', 'custom.hash', 'input.transfer.low', 'ups.delay.shutdown', 'output.voltage', 'ups.id', 'ups.mfr', 'ups.model', 'driver.name', 'nonexistent'];
    const req = ['LIST VAR ups1', 'LIST RW ups1', 'LIST CMD ups1'];
    for (const n of names) req.push(`GET VAR ups1 ${n}`, `GET TYPE ups1 ${n}`, `LIST ENUM ups1 ${n}`, `LIST RANGE ups1 ${n}`);
    await bothSay(req);
  });

  it('a driver that never answers DUMPALL: ups.status is WAIT; a stale dump: DATA-STALE', async () => {
    await bothSay(['GET VAR ups2 ups.status', 'LIST VAR ups2', 'GET TYPE ups2 ups.status', 'LIST CMD ups2', 'GET VAR ups3 ups.status', 'LIST VAR ups3', 'GET UPSDESC ups3']);
    const [a] = await exchange(ours.port, ['GET VAR ups2 ups.status']);
    expect(a).toBe('VAR ups2 ups.status "WAIT"\n');
  });

  it('SET VAR validation and the line each upsd writes to the driver', async () => {
    const sets = [
      'SET VAR ups1 input.transfer.low 101',
      'SET VAR ups1 input.transfer.low 103',
      'SET VAR ups1 input.transfer.low 9"7',
      'SET VAR ups1 input.transfer.low "9\\\\\\"7"',
      'SET VAR ups1 ups.delay.shutdown 90',
      'SET VAR ups1 ups.delay.shutdown 150abc',
      'SET VAR ups1 output.voltage 235',
      'SET VAR ups1 ups.id "anything"',
      'SET VAR ups1 custom.hash "with \\# and \\" and \\\\"',
      'SET VAR ups1 custom.hash "thirteen chars"',
      'SET VAR ups1 Battery.Charge "50 %" extra words',
      'SET VAR ups1 driver.name x',
    ];
    const forwarded: string[][] = [];
    for (const port of [nutPort, ours.port]) {
      const before = full.allLines().map((l) => l.length);
      const c = await Conversation.open(port);
      const answers = [await c.ask('USERNAME admin'), await c.ask('PASSWORD secret')];
      for (const s of sets) answers.push(await c.ask(s));
      c.close();
      await new Promise((r) => setTimeout(r, 300));
      const after = full.allLines();
      forwarded.push([...answers, '--', ...after.flatMap((l, i) => l.slice(before[i]))]);
    }
    expect(forwarded[1]).toEqual(forwarded[0]);
  });

  it('INSTCMD forwarding (parameters, case, extra words) and TRACKING results', async () => {
    const cmds = ['INSTCMD ups1 load.off', 'INSTCMD ups1 LOAD.OFF 5', 'INSTCMD ups1 test.a "a b"', 'INSTCMD ups1 test.b x\\#y', 'INSTCMD ups1 load.off 1 2', 'INSTCMD ups1 nope'];
    const results: string[][] = [];
    for (const port of [nutPort, ours.port]) {
      const before = full.allLines().map((l) => l.length);
      const c = await Conversation.open(port);
      const log = [await c.ask('USERNAME admin'), await c.ask('PASSWORD secret')];
      for (const x of cmds) log.push(await c.ask(x));
      log.push(await c.ask('SET TRACKING ON'));
      const ids: string[] = [];
      for (const x of ['INSTCMD ups1 load.off', 'INSTCMD ups1 beeper.enable 3', 'SET VAR ups1 battery.charge 1', 'INSTCMD ups1 test.b', 'INSTCMD ups1 Test.A', 'INSTCMD ups1 load.off "two words"']) {
        const a = await c.ask(x);
        log.push(normalizeTracking(a));
        ids.push(a.slice('OK TRACKING '.length, -1));
      }
      for (const id of ids) log.push(await c.ask(`GET TRACKING ${id}`));
      // the driver answers five of them (0, 1, 2, 3, 7); the sixth stays PENDING
      ids.slice(0, 5).forEach((id, i) => full.broadcast(`TRACKING ${id} ${[0, 1, 2, 3, 7][i]}\n`));
      await new Promise((r) => setTimeout(r, 500));
      for (const id of ids) log.push(await c.ask(`GET TRACKING ${id.toLowerCase()}`));
      c.close();
      await new Promise((r) => setTimeout(r, 300));
      const after = full.allLines();
      log.push('--', ...after.flatMap((l, i) => l.slice(before[i])).map(normalizeTracking));
      results.push(log);
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('live updates: SETINFO with escapes, flags, DELINFO, DELCMD, DELENUM, DELRANGE, FSD latch', async () => {
    full.broadcast('SETINFO ups.mfr "Via \\"socket\\" \\#1"\nSETINFO new.var "n"\nSETFLAGS new.var RW STRING\nSETAUX new.var 5\n');
    full.broadcast('DELINFO zeta.var\nDELCMD Test.A\nDELENUM input.transfer.low "103"\nDELRANGE ups.delay.shutdown 120 180\nSETINFO ups.status "ob lb"\n');
    // each upsd applies a driver's lines in order: the last one seen means all were
    const applied = async (port: number) => (await exchange(port, ['GET VAR ups1 ups.status']))[0]!.includes('"ob lb"');
    await untilAsync('both upsds applied the updates', async () => (await applied(nutPort)) && (await applied(ours.port)), 10_000);
    await bothSay(['LIST VAR ups1', 'LIST CMD ups1', 'GET TYPE ups1 new.var', 'LIST ENUM ups1 input.transfer.low', 'LIST RANGE ups1 ups.delay.shutdown']);
    // same-value-different-case SETINFO is no change, in both
    full.broadcast('SETINFO ups.status "OB LB"\n');
    await new Promise((r) => setTimeout(r, 300));
    for (const port of [nutPort, ours.port]) {
      const c = await Conversation.open(port);
      await c.ask('USERNAME upsmaster');
      await c.ask('PASSWORD mpw');
      expect(await c.ask('FSD ups1')).toBe('OK FSD-SET\n');
      c.close();
    }
    await bothSay(['GET VAR ups1 ups.status', 'GET VAR ups1 UPS.STATUS', 'LIST VAR ups1', 'LIST RW ups1']);
  });
});
