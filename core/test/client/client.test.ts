import { afterEach, describe, expect, it } from 'vitest';
import { NutClient, NutError } from '../../src/client/index.js';
import { fakeUpsd, scriptServer, type ScriptServer } from './script-server.js';
import { until } from '../../../test/helpers/wait.js';

const servers: ScriptServer[] = [];
const clients: NutClient[] = [];

async function serve(answer: Parameters<typeof scriptServer>[0]): Promise<ScriptServer> {
  const s = await scriptServer(answer);
  servers.push(s);
  return s;
}

function client(port: number, opts: ConstructorParameters<typeof NutClient>[0] = {}): NutClient {
  const c = new NutClient({ host: '127.0.0.1', port, ...opts });
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<NutError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NutError);
    return err as NutError;
  }
  throw new Error('expected a rejection');
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('helpers against a scripted upsd', () => {
  it('parses list and get answers, unescaping values', async () => {
    const s = await serve((l) => fakeUpsd(l));
    const c = client(s.port);
    await c.connect();
    expect(await c.listUps()).toEqual([
      { name: 'dummy', description: 'Test "dummy" device' },
      { name: 'other', description: 'Description unavailable' },
    ]);
    expect(await c.listVar('dummy')).toEqual([
      { name: 'battery.charge', value: '100' },
      { name: 'custom.hash', value: 'a#b' },
      { name: 'ups.mfr', value: 'ACME "Quoted" Inc' },
      { name: 'ups.status', value: 'OL CHRG' },
    ]);
    expect(await c.listRw('dummy')).toEqual([{ name: 'ups.id', value: 'abc' }]);
    expect(await c.listCmd('dummy')).toEqual(['load.off', 'test.battery.start']);
    expect(await c.listEnum('dummy', 'input.transfer.low')).toEqual(['100', '103']);
    expect(await c.listRange('dummy', 'ups.delay.shutdown')).toEqual([
      { min: '0', max: '60' },
      { min: '120', max: '180' },
    ]);
    expect(await c.listClients('dummy')).toEqual(['127.0.0.1', '::1']);
    expect(await c.getVar('dummy', 'ups.status')).toBe('OL CHRG');
    expect(await c.getType('dummy', 'ups.mfr')).toEqual(['RW', 'STRING:32']);
    expect(await c.getDesc('dummy', 'ups.mfr')).toBe('Some description');
    expect(await c.getCmdDesc('dummy', 'load.off')).toBe('Some command');
    expect(await c.getUpsDesc('dummy')).toBe('Test "dummy" device');
    expect(await c.numLogins('dummy')).toBe(2);
    expect(await c.ver()).toBe('Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/');
    expect(await c.netver()).toBe('1.3');
  });

  it('sends what libupsclient sends: quoted words with spaces, escaped SET values', async () => {
    const s = await serve((l) => (l.startsWith('SET VAR') || l.startsWith('INSTCMD') ? 'OK' : fakeUpsd(l)));
    const c = client(s.port);
    await c.connect();
    await c.getVar('dummy', 'ups.status');
    await c.setVar('dummy', 'ups.mfr', 'say "hi" #1 \\o/');
    await c.instcmd('dummy', 'load.off');
    await c.instcmd('dummy', 'test.battery.start', '10 20');
    expect(s.received[0]).toEqual([
      'GET VAR dummy ups.status',
      'SET VAR dummy ups.mfr "say \\"hi\\" \\#1 \\\\o/"',
      'INSTCMD dummy load.off',
      'INSTCMD dummy test.battery.start "10 20"',
    ]);
  });

  it('returns tracking ids and polls GET TRACKING until the result is final', async () => {
    const id = '2DDC5036-F665-4D29-BE4C-0374D091D263';
    let polls = 0;
    const s = await serve((l) => {
      if (l === 'SET TRACKING ON') return 'OK';
      if (l.startsWith('INSTCMD')) return `OK TRACKING ${id}`;
      if (l === `GET TRACKING ${id}`) return ++polls < 3 ? 'PENDING' : 'SUCCESS';
      return fakeUpsd(l);
    });
    const c = client(s.port);
    await c.connect();
    await c.setTracking(true);
    expect(await c.instcmd('dummy', 'load.off')).toBe(id);
    expect(await c.tracking(id, 10_000, 20)).toBe('SUCCESS');
    expect(polls).toBe(3);
  });

  it('login helpers: USERNAME/PASSWORD, LOGIN, PRIMARY with MASTER fallback, FSD', async () => {
    const s = await serve((l) => {
      if (l.startsWith('USERNAME') || l.startsWith('PASSWORD') || l.startsWith('LOGIN')) return 'OK';
      if (l.startsWith('PRIMARY')) return 'ERR UNKNOWN-COMMAND';
      if (l.startsWith('MASTER')) return 'OK MASTER-GRANTED';
      if (l.startsWith('FSD')) return 'OK FSD-SET';
      return fakeUpsd(l);
    });
    const c = client(s.port);
    await c.connect();
    await c.authenticate('mon', 'pass word');
    await c.login('dummy');
    expect(await c.primary('dummy')).toBe('OK MASTER-GRANTED');
    await c.fsd('dummy');
    expect(s.received[0]).toEqual([
      'USERNAME mon',
      'PASSWORD "pass word"',
      'LOGIN dummy',
      'PRIMARY dummy',
      'MASTER dummy',
      'FSD dummy',
    ]);
  });
});

describe('pipelining', () => {
  it('sends many requests before any answer and matches answers in order', async () => {
    const N = 200;
    let pending: string[] = [];
    const s = await serve((l, _c, socket) => {
      pending.push(l);
      if (pending.length < N + 1) return undefined; // the LIST is the last request
      // answer everything at once, in one write
      const out = pending.map((req) => {
        const w = req.split(' ');
        if (w[0] === 'LIST') return fakeUpsd(req) as string[];
        return [`VAR ${w[2]} ${w[3]} "value of ${w[3]}"`];
      });
      pending = [];
      socket.write(out.flat().map((x) => x + '\n').join(''));
      return undefined;
    });
    const c = client(s.port);
    await c.connect();
    const gets = Array.from({ length: N }, (_, i) => c.getVar('dummy', `test.var${i}`));
    const list = c.listCmd('dummy');
    const values = await Promise.all(gets);
    expect(values).toEqual(Array.from({ length: N }, (_, i) => `value of test.var${i}`));
    expect(await list).toEqual(['load.off', 'test.battery.start']);
  });

  it('10,000 requests in flight, answered in large chunks', async () => {
    const s = await serve((l) => {
      const w = l.split(' ');
      return `VAR ${w[2]} ${w[3]} "${w[3].slice(2)}"`;
    });
    const c = client(s.port, { timeout: 60_000 });
    await c.connect();
    const values = await Promise.all(Array.from({ length: 10_000 }, (_, i) => c.getVar('u', `v.${i}`)));
    expect(values.every((v, i) => v === String(i))).toBe(true);
  });

  it('reassembles answers split at any byte', async () => {
    const s = await serve((l, _c, socket) => {
      const a = fakeUpsd(l);
      const text = (Array.isArray(a) ? a : [a as string]).map((x) => x + '\n').join('');
      for (const ch of text) socket.write(ch);
      return undefined;
    });
    const c = client(s.port);
    await c.connect();
    const [vars, status, cmds] = await Promise.all([
      c.listVar('dummy'),
      c.getVar('dummy', 'ups.status'),
      c.listCmd('dummy'),
    ]);
    expect(vars.map((v) => v.name)).toEqual(['battery.charge', 'custom.hash', 'ups.mfr', 'ups.status']);
    expect(status).toBe('OL CHRG');
    expect(cmds).toEqual(['load.off', 'test.battery.start']);
  });

  it('accepts CRLF line ends', async () => {
    const s = await serve((l, _c, socket) => {
      socket.write(`VAR dummy ${l.split(' ')[3]} "x"\r\n`);
      return undefined;
    });
    const c = client(s.port);
    await c.connect();
    expect(await c.getVar('dummy', 'a.b')).toBe('x');
  });
});

describe('LIST framing', () => {
  it('returns an empty list for BEGIN/END with no items', async () => {
    const s = await serve((l) => [`BEGIN ${l}`, `END ${l}`]);
    const c = client(s.port);
    await c.connect();
    expect(await c.listEnum('dummy', 'ups.mfr')).toEqual([]);
  });

  it('maps a single ERR line instead of the block, and goes on with the next request', async () => {
    const s = await serve((l) => (l === 'LIST VAR nosuch' ? 'ERR UNKNOWN-UPS' : fakeUpsd(l)));
    const c = client(s.port);
    await c.connect();
    const bad = c.listVar('nosuch');
    const good = c.getVar('dummy', 'ups.status');
    const err = await rejection(bad);
    expect(err.code).toBe('UNKNOWN-UPS');
    expect(err.message).toBe('Unknown UPS');
    expect(err.fromServer).toBe(true);
    expect(await good).toBe('OL CHRG');
  });

  it('matches the echo case-insensitively and rejects a block for another query', async () => {
    const s = await serve((l) => {
      if (l === 'LIST CMD dummy') return ['BEGIN LIST CMD DUMMY', 'CMD DUMMY load.off', 'END LIST CMD DUMMY'];
      if (l === 'LIST VAR dummy') return ['BEGIN LIST VAR other', 'VAR other a.b "1"', 'END LIST VAR other'];
      return fakeUpsd(l);
    });
    const c = client(s.port);
    await c.connect();
    expect(await c.listCmd('dummy')).toEqual(['load.off']);
    const err = await rejection(c.listVar('dummy'));
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toBe('Protocol error');
  });

  it('rejects a GET answer that does not echo the query', async () => {
    const s = await serve(() => 'VAR dummy other.var "1"');
    const c = client(s.port);
    await c.connect();
    expect((await rejection(c.getVar('dummy', 'ups.status'))).message).toBe('Protocol error');
  });

  it('reports a parse error for a quoted # (as pconf does)', async () => {
    const s = await serve(() => 'VAR dummy ups.mfr "a#b"');
    const c = client(s.port);
    await c.connect();
    const err = await rejection(c.getVar('dummy', 'ups.mfr'));
    expect(err.code).toBe('PARSE');
    expect(err.message).toBe('Parse error: Unbalanced word due to unescaped # in quotes');
  });
});

describe('errors', () => {
  // net-protocol.md §5: libupsclient's messages, matched by prefix; the rest is "Unknown error"
  const table: Array<[string, string]> = [
    ['VAR-NOT-SUPPORTED', 'Variable not supported by UPS'],
    ['UNKNOWN-UPS', 'Unknown UPS'],
    ['ACCESS-DENIED', 'Access denied'],
    ['PASSWORD-REQUIRED', 'Password required'],
    ['DATA-STALE', 'Data stale'],
    ['DRIVER-NOT-CONNECTED', 'Driver not connected'],
    ['READONLY', 'Read-only variable'],
    ['TOO-LONG', 'New value is too long'],
    ['INVALID-VALUE', 'Invalid value for variable'],
    ['SET-FAILED', 'Set command failed'],
    ['INSTCMD-FAILED', 'Instant command failed'],
    ['CMD-NOT-SUPPORTED', 'Instant command not supported'],
    ['UNKNOWN-COMMAND', 'Unknown command'],
    ['USERNAME-REQUIRED', 'Username required'],
    ['ALREADY-LOGGED-IN', 'Already logged in'],
    ['ALREADY-SET-PASSWORD', 'Already set password'],
    ['ALREADY-SET-USERNAME', 'Already set username'],
    ['INVALID-ARGUMENT', 'Unknown error'],
    ['FEATURE-NOT-CONFIGURED', 'Unknown error'],
    ['FEATURE-NOT-SUPPORTED', 'Unknown error'],
    ['SOMETHING-NEW', 'Unknown error'],
  ];
  it.each(table)('ERR %s → "%s"', async (name, message) => {
    const s = await serve(() => `ERR ${name}`);
    const c = client(s.port);
    await c.connect();
    const err = await rejection(c.getVar('dummy', 'ups.status'));
    expect(err.code).toBe(name);
    expect(err.message).toBe(message);
    // the raw answer stays available without throwing
    expect(await c.command('GET VAR dummy ups.status')).toBe(`ERR ${name}`);
  });

  it('words connection failures as libupsclient does', async () => {
    const s = await serve(() => undefined);
    const port = s.port;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const refused = await rejection(client(port).connect());
    expect(refused.code).toBe('CONNECT-FAILED');
    expect(refused.message).toBe('Connection failure: Connection refused');
    const unknown = await rejection(new NutClient({ host: 'nonexistent.invalid', port }).connect());
    expect(unknown.code).toBe('NO-SUCH-HOST');
    expect(unknown.message).toBe('No such host');
  });

  it('fails pending requests when the server goes away', async () => {
    const s = await serve((_l, _c, socket) => () => socket.destroy());
    const c = client(s.port);
    await c.connect();
    const err = await rejection(c.getVar('dummy', 'ups.status'));
    expect(err.code).toBe('SERVER-DISCONNECTED');
    expect(err.message).toBe('Server disconnected');
    expect(c.connected).toBe(false);
    expect((await rejection(c.getVar('dummy', 'ups.status'))).code).toBe('NOT-CONNECTED');
  });

  it('times out a request that gets no answer', async () => {
    const s = await serve(() => undefined);
    const c = client(s.port, { timeout: 200 });
    await c.connect();
    const err = await rejection(c.getVar('dummy', 'ups.status'));
    expect(err.code).toBe('TIMEOUT');
  });

  it('survives garbage and overlong lines from the server', async () => {
    const s = await serve((l, _c, socket) => {
      if (l === 'GET VAR dummy a.b') return '\x00\xff garbage "unterminated';
      socket.write('x'.repeat(100_000));
      return undefined;
    });
    const c = client(s.port);
    await c.connect();
    expect((await rejection(c.getVar('dummy', 'a.b'))).code).toBe('PROTOCOL');
    expect((await rejection(c.getVar('dummy', 'c.d'))).code).toBe('PROTOCOL');
  });
});

describe('close', () => {
  it('sends LOGOUT without waiting for the answer', async () => {
    const s = await serve((l) => fakeUpsd(l));
    const c = client(s.port);
    await c.connect();
    await c.getVar('dummy', 'ups.status');
    c.close();
    await until('LOGOUT at the server', () => s.received[0]?.includes('LOGOUT'));
    expect(s.received[0]).toEqual(['GET VAR dummy ups.status', 'LOGOUT']);
  });

  it('logout() waits for OK Goodbye', async () => {
    const s = await serve((l) => fakeUpsd(l));
    const c = client(s.port);
    await c.connect();
    expect(await c.logout()).toBe('OK Goodbye');
  });
});

describe('addresses', () => {
  it('connects over IPv6; a family restriction excludes other addresses', async () => {
    const { createServer } = await import('node:net');
    const server = createServer((s) => {
      s.on('data', () => s.write('VAR dummy ups.status "OL"\n'));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '::1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const v6 = client(port, { host: '::1' });
      await v6.connect();
      expect(await v6.getVar('dummy', 'ups.status')).toBe('OL');
      const v4only = client(port, { host: '::1', family: 4 });
      expect((await rejection(v4only.connect())).message).toBe('No such host');
    } finally {
      for (const c of clients.splice(0)) c.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('fails requests queued while a first connection attempt fails', async () => {
    const s = await serve(() => undefined);
    const port = s.port;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const c = client(port);
    const connecting = c.connect().catch((e: NutError) => e);
    const queued = c.getVar('dummy', 'ups.status').catch((e: NutError) => e);
    expect(((await connecting) as NutError).code).toBe('CONNECT-FAILED');
    expect(((await queued) as NutError).code).toBe('CONNECT-FAILED');
  });

  it('sends requests queued during connect once connected', async () => {
    const s = await serve((l) => fakeUpsd(l));
    const c = client(s.port);
    const connecting = c.connect();
    const status = c.getVar('dummy', 'ups.status');
    await connecting;
    expect(await status).toBe('OL CHRG');
  });
});
