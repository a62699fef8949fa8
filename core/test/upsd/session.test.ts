/**
 * Connection-level behaviour: framing, tokenizer on the wire, parse errors, pipelining,
 * idle drop, MAXCONN, staleness by MAXAGE, reload, STARTTLS, hostile input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUpsdUsers } from '../../src/upsd/config.js';
import { FakeDevice, TestClient, sampleDevice, sleep, startServer } from './helpers.js';

let ctx: Awaited<ReturnType<typeof startServer>> | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await ctx?.close();
  ctx = undefined;
});

async function open(port: number): Promise<TestClient> {
  const c = await TestClient.open(port);
  clients.push(c);
  return c;
}

describe('framing and tokenizer', () => {
  it('writes a whole LIST answer at once', async () => {
    const dev = sampleDevice();
    for (let i = 0; i < 200; i++) dev.tree.setInfo(`extra.var.${i}`, `value ${i}`);
    ctx = await startServer([dev]);
    const c = await open(ctx.port);
    c.send('LIST VAR dummy\n');
    const a = await c.answer();
    expect(a.split('\n').length).toBeGreaterThan(200);
    expect(c.chunks.length).toBe(1);
  });

  it('pipelined requests in one packet are answered in order', async () => {
    ctx = await startServer([sampleDevice()]);
    const c = await open(ctx.port);
    c.send('VER\nGET VAR dummy ups.status\nLIST CMD dummy\nNETVER\n');
    expect(await c.answer()).toMatch(/^Network UPS Tools/);
    expect(await c.answer()).toBe('VAR dummy ups.status "OL CHRG"\n');
    expect(await c.answer()).toMatch(/^BEGIN LIST CMD dummy\n/);
    expect(await c.answer()).toBe('1.3\n');
  });

  it('CR and repeated blanks are whitespace (WinNUT sends \\r\\r\\n)', async () => {
    ctx = await startServer([sampleDevice()]);
    const c = await open(ctx.port);
    c.send('NETVER\r\r\nGET  VAR\tdummy   ups.status \r\r\n');
    expect(await c.answer()).toBe('1.3\n');
    expect(await c.answer()).toBe('VAR dummy ups.status "OL CHRG"\n');
  });

  it('quotes, escapes, continuation and = on the wire', async () => {
    ctx = await startServer([sampleDevice()]);
    const c = await open(ctx.port);
    expect(await c.ask('GET "VAR" dummy "ups.status"')).toBe('VAR dummy ups.status "OL CHRG"\n');
    expect(await c.ask('GET VAR dum\\\nmy ups.status')).toBe('VAR dummy ups.status "OL CHRG"\n');
    expect(await c.ask('GET VAR dummy ups.st\xc3\xa4tus')).toBe('ERR VAR-NOT-SUPPORTED\n');
    expect(await c.ask('GET VAR dummy=ups.status')).toBe('ERR VAR-NOT-SUPPORTED\n');
    expect(await c.ask('GET VAR "dummy" "ups.status"=')).toBe('VAR dummy ups.status "OL CHRG"\n');
  });

  it('a parse error sends nothing and drops the rest of that read', async () => {
    ctx = await startServer([sampleDevice()]);
    const c = await open(ctx.port);
    c.send('GET VAR dummy "a#b"\nNETVER\n');
    await sleep(200);
    expect(c.buffer).toBe('');
    expect(await c.ask('VER')).toMatch(/^Network UPS Tools/);
  });

  it('an unterminated quote spans lines until closed', async () => {
    ctx = await startServer([sampleDevice()]);
    const c = await open(ctx.port);
    c.send('GET VAR dummy "ups.\n');
    await sleep(100);
    expect(c.buffer).toBe('');
    c.send('status"\n');
    expect(await c.answer()).toBe('VAR dummy ups.status "OL CHRG"\n');
  });

  it('long lines: words cut at 512 chars, answers cut at 512 bytes', async () => {
    ctx = await startServer([sampleDevice()]);
    const c = await open(ctx.port);
    const long = 'x'.repeat(600);
    c.send(`GET DESC dummy ${long}\nNETVER\n`);
    // DESC dummy <512 x> "Description unavailable" > 512 bytes: cut, newline lost
    await c.waitFor(() => c.buffer.endsWith('1.3\n'));
    expect(c.buffer).toBe(`DESC dummy ${'x'.repeat(512)} "Description unavailable"\n`.slice(0, 512) + '1.3\n');
  });
});

describe('idle drop', () => {
  it('drops a silent client after the configured time; complete lines refresh the timer', async () => {
    ctx = await startServer([sampleDevice()], { idleTimeoutMs: 400 });
    const silent = await open(ctx.port);
    const chatty = await open(ctx.port);
    const partial = await open(ctx.port);
    partial.send('GET VAR');
    for (let i = 0; i < 10; i++) {
      expect(await chatty.ask('')).toBe('ERR UNKNOWN-COMMAND\n');
      await sleep(100);
    }
    await silent.waitFor(() => silent.closed);
    await partial.waitFor(() => partial.closed);
    expect(chatty.closed).toBe(false);
    expect(silent.buffer).toBe('');
  });
});

describe('MAXCONN', () => {
  it('holds surplus connections unanswered until a slot frees, and stays up', async () => {
    ctx = await startServer([sampleDevice()], { maxConn: 2 });
    const a = await open(ctx.port);
    const b = await open(ctx.port);
    const extra = await open(ctx.port);
    expect(await a.ask('NETVER')).toBe('1.3\n');
    expect(await b.ask('NETVER')).toBe('1.3\n');
    extra.send('NETVER\n');
    await sleep(300);
    expect(extra.buffer).toBe('');
    a.close();
    expect(await extra.answer()).toBe('1.3\n');
    expect(await b.ask('VER')).toMatch(/^Network/);
  });
});

describe('staleness', () => {
  it('DATA-STALE when nothing was heard from the driver for more than MAXAGE', async () => {
    const dev = sampleDevice();
    ctx = await startServer([dev], { maxAge: 2 });
    const c = await open(ctx.port);
    dev.lastHeard = Date.now() - 1500;
    expect(await c.ask('GET VAR dummy ups.status')).toBe('VAR dummy ups.status "OL CHRG"\n');
    dev.lastHeard = Date.now() - 2500;
    expect(await c.ask('GET VAR dummy ups.status')).toBe('ERR DATA-STALE\n');
    expect(await c.ask('GET UPSDESC dummy')).toBe('UPSDESC dummy "Test \\"dummy\\" device"\n');
    ctx.server.reload({ maxAge: 15 });
    expect(await c.ask('GET VAR dummy ups.status')).toBe('VAR dummy ups.status "OL CHRG"\n');
  });
});

describe('reload', () => {
  it('replaces users and devices without dropping clients; removed UPS kicks its logged-in clients', async () => {
    const a = sampleDevice('a');
    const b = new FakeDevice('b');
    b.tree.setInfo('ups.status', 'OL');
    ctx = await startServer([a, b]);
    const watcher = await open(ctx.port);
    const onB = await open(ctx.port);
    await onB.ask('USERNAME monsecondary');
    await onB.ask('PASSWORD s');
    expect(await onB.ask('LOGIN b')).toBe('OK\n');
    await watcher.ask('USERNAME newuser');
    await watcher.ask('PASSWORD n');
    expect(await watcher.ask('FSD a')).toBe('ERR ACCESS-DENIED\n');

    ctx.server.reload({ users: parseUpsdUsers({ path: 'upsd.users', text: '[newuser]\npassword=n\nactions=fsd\n' }).users });
    expect(await watcher.ask('FSD a')).toBe('OK FSD-SET\n');

    const c = new FakeDevice('c', 'new one');
    ctx.directory.set([c, a]);
    expect(await watcher.ask('LIST UPS')).toBe('BEGIN LIST UPS\nUPS c "new one"\nUPS a "Test \\"dummy\\" device"\nEND LIST UPS\n');
    await onB.waitFor(() => onB.closed);
    expect(watcher.closed).toBe(false);
    expect(await watcher.ask('GET VAR a ups.status')).toBe('VAR a ups.status "FSD OL CHRG"\n');
    // the latch of a removed UPS does not come back with it
    ctx.directory.set([c]);
    ctx.directory.set([a, c]);
    expect(await watcher.ask('GET VAR a ups.status')).toBe('VAR a ups.status "OL CHRG"\n');
  });
});

describe('STARTTLS', () => {
  it('upgrades the connection with CERTFILE; a second STARTTLS is ALREADY-SSL-MODE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upsd-tls-'));
    try {
      const pem = join(dir, 'upsd.pem');
      const r = spawnSync('sh', [
        '-c',
        `openssl req -x509 -newkey rsa:2048 -nodes -keyout ${dir}/key.pem -out ${dir}/cert.pem -days 2 -subj /CN=localhost 2>/dev/null && cat ${dir}/cert.pem ${dir}/key.pem > ${pem}`,
      ]);
      expect(r.status).toBe(0);
      ctx = await startServer([sampleDevice()], { certFile: pem });
      const c = await open(ctx.port);
      expect(await c.ask('STARTTLS')).toBe('OK STARTTLS\n');
      const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false });
      await new Promise<void>((res, rej) => {
        secure.once('secureConnect', () => res());
        secure.once('error', rej);
      });
      expect(secure.getPeerCertificate().subject?.CN).toBe('localhost');
      const ask = (line: string) =>
        new Promise<string>((res) => {
          let got = '';
          const on = (d: Buffer) => {
            got += d.toString();
            if (got.endsWith('\n')) {
              secure.off('data', on);
              res(got);
            }
          };
          secure.on('data', on);
          secure.write(line + '\n');
        });
      expect(await ask('GET VAR dummy ups.status')).toBe('VAR dummy ups.status "OL CHRG"\n');
      expect(await ask('STARTTLS')).toBe('ERR ALREADY-SSL-MODE\n');
      secure.destroy();
      expect(readFileSync(pem, 'utf8')).toContain('PRIVATE KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreadable CERTFILE leaves STARTTLS unconfigured', async () => {
    const logs: string[] = [];
    ctx = await startServer([sampleDevice()], { certFile: '/nonexistent/upsd.pem', log: (_l, m) => logs.push(m) });
    const c = await open(ctx.port);
    expect(await c.ask('STARTTLS')).toBe('ERR FEATURE-NOT-CONFIGURED\n');
    expect(logs.join('\n')).toContain('/nonexistent/upsd.pem');
  });
});

describe('hostile input', () => {
  it('random bytes, a 100 KB line and 10,000 pipelined commands: server stays up and answers in order', async () => {
    ctx = await startServer([sampleDevice()]);
    const junk = await open(ctx.port);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
    const bytes = Buffer.alloc(200_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = rnd();
    junk.send(bytes);
    const big = await open(ctx.port);
    big.send('GET VAR dummy ' + 'y'.repeat(100_000) + '\nNETVER\n');
    await big.waitFor(() => big.buffer.includes('1.3\n'));
    expect(big.buffer).toBe('ERR VAR-NOT-SUPPORTED\n1.3\n');

    const pipe = await open(ctx.port);
    let req = '';
    for (let i = 0; i < 10_000; i++) req += i % 2 ? 'NETVER\n' : `GET VAR dummy ups.status\n`;
    pipe.send(req);
    await pipe.waitFor(() => pipe.buffer.split('\n').length > 10_000, 60_000);
    const lines = pipe.buffer.split('\n').slice(0, 10_000);
    lines.forEach((l, i) => expect(l).toBe(i % 2 ? '1.3' : 'VAR dummy ups.status "OL CHRG"'));

    const fresh = await open(ctx.port);
    expect(await fresh.ask('NETVER')).toBe('1.3\n');
  });

  it('a client that never reads its answers is throttled, not buffered without bound', async () => {
    const dev = sampleDevice();
    dev.lastHeard = Number.MAX_SAFE_INTEGER;
    for (let i = 0; i < 500; i++) dev.tree.setInfo(`bulk.${i}`, 'v'.repeat(100));
    ctx = await startServer([dev]);
    const probe = await open(ctx.port);
    const one = await probe.ask('LIST VAR dummy');
    const count = 300;
    const slow = await open(ctx.port);
    slow.socket.pause();
    slow.send('LIST VAR dummy\n'.repeat(count));
    await sleep(1500);
    const conn = [...(ctx.server as unknown as { connections: Set<{ socket: { writableLength: number } }> }).connections];
    for (const x of conn) expect(x.socket.writableLength).toBeLessThan(4 << 20);
    expect(await probe.ask('GET VAR dummy ups.status')).toBe('VAR dummy ups.status "OL CHRG"\n');
    // once the reader catches up, every answer arrives, in order
    slow.socket.resume();
    await slow.waitFor(() => slow.buffer.length >= one.length * count, 120_000);
    expect(slow.buffer).toBe(one.repeat(count));
  }, 180_000);

  it('half-open client: answers what it sent before closing its side', async () => {
    ctx = await startServer([sampleDevice()]);
    const c = await open(ctx.port);
    c.socket.end('NETVER\nGET VAR dummy ups.status\n');
    await c.waitFor(() => c.closed);
    expect(c.buffer).toBe('1.3\nVAR dummy ups.status "OL CHRG"\n');
  });
});

describe('robustness', () => {
  it('a device that throws does not take the server down; the client gets an answer', async () => {
    const dev = sampleDevice();
    dev.instcmd = () => {
      throw new Error('plugin exploded');
    };
    const logs: string[] = [];
    ctx = await startServer([dev], { log: (_l, m) => logs.push(m) });
    const c = await open(ctx.port);
    await c.ask('USERNAME admin');
    await c.ask('PASSWORD secret');
    expect(await c.ask('INSTCMD dummy load.off')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('GET VAR dummy ups.status')).toBe('VAR dummy ups.status "OL CHRG"\n');
    expect(logs.join('\n')).toContain('plugin exploded');
    expect(logs.join('\n')).toContain('127.0.0.1');
  });
});

describe('fairness', () => {
  it('a client flooding pipelined requests does not hold the others back until it is done', async () => {
    ctx = await startServer([sampleDevice()]);
    const flood = await open(ctx.port);
    const other = await open(ctx.port);
    const n = 20_000;
    flood.send('GET VAR dummy ups.status\n'.repeat(n));
    await flood.waitFor(() => flood.buffer.length > 0);
    const answer = await other.ask('NETVER');
    const doneWhenOtherAnswered = flood.buffer.split('\n').length - 1;
    expect(answer).toBe('1.3\n');
    expect(doneWhenOtherAnswered).toBeLessThan(n);
    await flood.waitFor(() => flood.buffer.split('\n').length - 1 === n, 60_000);
  });
});
