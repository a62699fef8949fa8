/**
 * Hostile input against the real upsd process: random bytes, 100 KB lines, 10,000 pipelined
 * commands, half-open and slow-reading sockets, more connections than MAXCONN. Where NUT's
 * upsd gives a defined answer we compare bytes; otherwise the server must stay up, answer in
 * order and keep its memory bounded.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../core/test/upsd/helpers.js';
import { FIXTURES, TEST_USERS, startOurUpsd, startPair, waitReady, type Pair, type Side } from './upsd-harness.js';
import { stopChild } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';

let pair: Pair;
let limited: Side;

beforeAll(async () => {
  const fixtures = [{ name: 'ups1', file: `${FIXTURES}/ddl/Eaton__93PM__snmp-ups__2.7.4__02.dev` }];
  pair = await startPair({ fixtures });
  limited = await startOurUpsd(pair.nut.sandbox, fixtures, TEST_USERS, 'MAXCONN 4\n');
  await waitReady([limited.port], ['ups1']);
}, 300_000);

afterAll(async () => {
  await stopChild(limited?.child);
  limited?.sandbox.cleanup();
  await pair?.stop();
});

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Everything a server sends until it has sent `bytes` bytes or closed. */
async function collect(port: number, input: Buffer | string, expectBytes: number, endAfterWrite = false): Promise<string> {
  const c = await TestClient.open(port);
  try {
    if (endAfterWrite) c.socket.end(input);
    else c.send(input);
    await c.waitFor(() => c.buffer.length >= expectBytes || c.closed, 120_000);
    return c.buffer;
  } finally {
    c.close();
  }
}

async function alive(port: number): Promise<void> {
  const c = await TestClient.open(port);
  expect(await c.ask('GET VAR ups1 ups.status')).toMatch(/^VAR ups1 ups\.status "/);
  c.close();
}

describe('hostile input', () => {
  it('10,000 pipelined commands: the same bytes as NUT, in order', async () => {
    const kinds = ['GET VAR ups1 ups.status', 'NETVER', 'LIST CMD ups1', 'GET TYPE ups1 ups.load', 'BOGUS', 'GET VAR ups1 nope', ''];
    let req = '';
    for (let i = 0; i < 10_000; i++) req += kinds[i % kinds.length] + '\n';
    // the total size from NUT's single answers, then both servers on the whole pipeline
    const single = await Promise.all(kinds.map((k) => collect(pair.nut.port, k + '\n', 1)));
    const perCycle = single.join('').length;
    const total = Math.floor(10_000 / kinds.length) * perCycle + single.slice(0, 10_000 % kinds.length).join('').length;
    const [nut, ours] = await Promise.all([collect(pair.nut.port, req, total), collect(pair.ours.port, req, total)]);
    expect(nut.length).toBe(total);
    expect(ours).toBe(nut);
  }, 300_000);

  it('a 100 KB line: word cut at 512 chars, same answer as NUT, next request still served', async () => {
    const req = `GET VAR ups1 ${'y'.repeat(100_000)}\nGET DESC ups1 ${'z'.repeat(100_000)}\nNETVER\n`;
    const full = async (port: number) => {
      const c = await TestClient.open(port);
      c.send(req);
      await c.waitFor(() => c.buffer.endsWith('1.3\n'), 60_000);
      c.close();
      return c.buffer;
    };
    const nut = await full(pair.nut.port);
    expect(nut).toMatch(/^ERR VAR-NOT-SUPPORTED\n/);
    expect(await full(pair.ours.port)).toBe(nut);
  });

  it('a parse error in a packet: nothing sent, rest of that read dropped, like NUT', async () => {
    const run = async (port: number) => {
      const c = await TestClient.open(port);
      c.send('GET VAR ups1 "bad#"\nNETVER\n');
      await new Promise((r) => setTimeout(r, 500));
      const first = c.buffer;
      const after = await c.ask('VER');
      c.close();
      return [first, after];
    };
    expect(await run(pair.ours.port)).toEqual(await run(pair.nut.port));
  });

  it('odd but valid request lines: the same bytes as NUT', async () => {
    const lines = [
      'GET VAR ups1 ups.status ' + 'x '.repeat(40),
      '"GET" "VAR" "ups1" "ups.status"',
      'GET VAR ups1 ups.status # a comment',
      'GET VAR ups1 ups.st\\atus',
      'GET VAR ups1 ups.st\xc3\xa4tus',
      'GET VAR ups1 ups.\tstatus',
      'GET VAR ups1 ""',
      'GET VAR "" ups.status',
      'GET VAR ups1=ups.status',
      '\\GET VAR ups1 ups.status',
      'GET\\ VAR ups1 ups.status',
      'LIST VAR ups1 extra words here',
      'LIST UPS extra',
      'LIST ENUM ups1 ups.status extra',
      'SET TRACKING',
      'INSTCMD',
      'USERNAME "a b"',
      `GET VAR ${'u'.repeat(600)} ups.status`,
      `GET TYPE ups1 ${'v'.repeat(513)}`,
      'get upsdesc ups1',
      'Get NumLogins UPS1',
      'LOGOUT',
      'USERNAME a\nPASSWORD b\nLOGIN ups1\nLOGOUT\nGET NUMLOGINS ups1',
      '\x7f\x01GET VAR ups1 ups.status',
    ];
    const run = async (port: number) => {
      const out: string[] = [];
      for (const l of lines) {
        const c = await TestClient.open(port);
        c.send(Buffer.from(l + '\nNETVER\n', 'latin1'));
        await c.waitFor(() => c.buffer.endsWith('1.3\n'), 30_000);
        out.push(c.buffer);
        c.close();
      }
      return out;
    };
    const nut = await run(pair.nut.port);
    expect(await run(pair.ours.port)).toEqual(nut);
  });

  it('random bytes: both servers stay up; ours keeps answering everyone', async () => {
    let seed = 99;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
    for (const port of [pair.nut.port, pair.ours.port]) {
      const bytes = Buffer.alloc(1 << 20);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rnd();
      const c = await TestClient.open(port);
      c.send(bytes);
      await new Promise((r) => setTimeout(r, 500));
      c.close();
      await alive(port);
    }
  });

  it('half-open client: answers what was sent before FIN, like NUT', async () => {
    const req = 'NETVER\nGET VAR ups1 ups.status\nLIST CMD ups1\n';
    const [nut, ours] = await Promise.all([
      collect(pair.nut.port, req, Number.MAX_SAFE_INTEGER, true),
      collect(pair.ours.port, req, Number.MAX_SAFE_INTEGER, true),
    ]);
    expect(nut).toMatch(/^1\.3\n/);
    expect(ours).toBe(nut);
  });

  it('slow reader: memory stays bounded, other clients are served, answers complete in order', async () => {
    const pid = pair.ours.child.pid!;
    const before = rssKb(pid);
    const one = await collect(pair.ours.port, 'LIST VAR ups1\n', 1);
    const count = 3000;
    const slow = await TestClient.open(pair.ours.port);
    slow.socket.pause();
    slow.send('LIST VAR ups1\n'.repeat(count));
    await new Promise((r) => setTimeout(r, 2000));
    await alive(pair.ours.port);
    const during = rssKb(pid);
    // every answer unread is one.length bytes; without back-pressure they would all be queued
    expect(during - before).toBeLessThan((one.length * count) / 1024 / 2);
    slow.socket.resume();
    await slow.waitFor(() => slow.buffer.length >= one.length * count || slow.closed, 240_000);
    expect(slow.buffer.length).toBe(one.length * count);
    expect(slow.buffer.startsWith(one)).toBe(true);
    slow.close();
  }, 300_000);

  it('more connections than MAXCONN: surplus ones wait, the server stays up and serves them when slots free', async () => {
    const conns: TestClient[] = [];
    for (let i = 0; i < 12; i++) conns.push(await TestClient.open(limited.port));
    for (const c of conns) c.send('NETVER\n');
    const answered = () => conns.filter((c) => c.buffer === '1.3\n').length;
    await until('MAXCONN (4) connections answered', () => answered() >= 4, 30_000);
    // the surplus ones are held, not answered late: give them time to show otherwise
    await new Promise((r) => setTimeout(r, 1000));
    expect(answered()).toBe(4);
    for (const c of conns.filter((x) => x.buffer === '1.3\n')) c.close();
    await Promise.all(conns.filter((c) => c.buffer === '').slice(0, 4).map((c) => c.waitFor(() => c.buffer === '1.3\n', 30_000)));
    for (const c of conns) c.close();
    await alive(limited.port);
  });
});
