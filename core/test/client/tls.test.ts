import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NutClient, NutError } from '../../src/client/index.js';

let dir: string;
let key: Buffer;
let cert: Buffer;
/** A certificate naming only IP:127.0.0.1 (no DNS name, CN not a host). */
let ipOnly: { key: Buffer; cert: Buffer };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nut-ts-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  key = readFileSync(join(dir, 'key.pem'));
  cert = readFileSync(join(dir, 'cert.pem'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', join(dir, 'ip-key.pem'), '-out', join(dir, 'ip-cert.pem'),
    '-subj', '/CN=nut-test-upsd', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  ipOnly = { key: readFileSync(join(dir, 'ip-key.pem')), cert: readFileSync(join(dir, 'ip-cert.pem')) };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface TlsUpsd {
  port: number;
  lines: string[];
  /** Lines that arrived after the TLS handshake. */
  secureLines: string[];
  close(): Promise<void>;
}

const running: TlsUpsd[] = [];
const clients: NutClient[] = [];

/** An upsd imitation; STARTTLS → `OK STARTTLS` and a TLS handshake when `tls` is true. */
async function tlsUpsd(tls: boolean, identity?: { key: Buffer; cert: Buffer }): Promise<TlsUpsd> {
  const lines: string[] = [];
  const secureLines: string[] = [];
  const sockets: Socket[] = [];
  const handle = (socket: Socket, secure: boolean): void => {
    let buf = '';
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (secure) secureLines.push(line);
        if (line === 'STARTTLS') {
          if (!tls || secure) {
            socket.write(secure ? 'ERR ALREADY-SSL-MODE\n' : 'ERR FEATURE-NOT-CONFIGURED\n');
            continue;
          }
          socket.off('data', onData);
          socket.write('OK STARTTLS\n');
          const t = new TLSSocket(socket, { isServer: true, key: identity?.key ?? key, cert: identity?.cert ?? cert });
          t.on('error', () => undefined);
          handle(t, true);
          return;
        }
        const w = line.split(' ');
        if (w[0] === 'GET' && w[1] === 'VAR') socket.write(`VAR ${w[2]} ${w[3]} "${secure ? 'secret' : 'plain'}"\n`);
        else socket.write('ERR UNKNOWN-COMMAND\n');
      }
    };
    socket.on('data', onData);
  };
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    handle(s, false);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const u: TlsUpsd = {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    lines,
    secureLines,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  running.push(u);
  return u;
}

function client(port: number, opts: ConstructorParameters<typeof NutClient>[0]): NutClient {
  const c = new NutClient({ host: '127.0.0.1', port, ...opts });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of running.splice(0)) await s.close();
});

describe('STARTTLS', () => {
  it('try: upgrades when the server says OK STARTTLS and talks TLS afterwards', async () => {
    const u = await tlsUpsd(true);
    const c = client(u.port, { tls: 'try' });
    await c.connect();
    expect(c.tls).toBe(true);
    expect(await c.getVar('ups', 'ups.status')).toBe('secret');
    expect(u.lines[0]).toBe('STARTTLS');
    expect(u.secureLines).toEqual(['GET VAR ups ups.status']);
  });

  it('try: goes on in clear text when the server has no certificate', async () => {
    const u = await tlsUpsd(false);
    const c = client(u.port, { tls: 'try' });
    await c.connect();
    expect(c.tls).toBe(false);
    expect(await c.getVar('ups', 'ups.status')).toBe('plain');
  });

  it('require: refuses a server without TLS', async () => {
    const u = await tlsUpsd(false);
    const err = await client(u.port, { tls: 'require' }).connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NutError);
    expect((err as NutError).code).toBe('SSL-UNAVAILABLE');
    expect((err as NutError).message).toBe('SSL is not available');
  });

  it('off: never sends STARTTLS', async () => {
    const u = await tlsUpsd(true);
    const c = client(u.port, { tls: 'off' });
    await c.connect();
    expect(await c.getVar('ups', 'ups.status')).toBe('plain');
    expect(u.lines).toEqual(['GET VAR ups ups.status']);
  });

  it('verify: accepts a certificate signed by the given CA, rejects an unknown one', async () => {
    const u = await tlsUpsd(true);
    const good = client(u.port, { host: 'localhost', tls: 'require', verify: true, ca: cert });
    await good.connect();
    expect(await good.getVar('ups', 'ups.status')).toBe('secret');

    const bad = client(u.port, { tls: 'require', verify: true });
    const err = await bad.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as NutError).code).toBe('SSL-ERROR');
    expect((err as NutError).message).toMatch(/^SSL error: /);
  });

  it('verify: checks an IP literal host against the certificate (upsmon MONITOR ups@127.0.0.1)', async () => {
    const u = await tlsUpsd(true, ipOnly);
    const c = client(u.port, { host: '127.0.0.1', tls: 'require', verify: true, ca: ipOnly.cert });
    await c.connect();
    expect(await c.getVar('ups', 'ups.status')).toBe('secret');
  });
});
