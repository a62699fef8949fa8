/**
 * STARTTLS with a generated certificate (openssl req) and NUT's upsc as the client.
 *
 * Finding: Debian's NUT 2.8.0 is built with NSS, not OpenSSL. Its upsd ignores CERTFILE (it
 * wants an NSS database: CERTPATH + CERTIDENT, and certutil is not installed), so NUT's own
 * upsd answers STARTTLS with ERR FEATURE-NOT-CONFIGURED here. Its upsc initialises NSS
 * "without certificate database", sends STARTTLS, and on OK STARTTLS completes the handshake
 * without verifying the server (upsc has no CERTPATH/CERTVERIFY setting). So: our upsd with
 * CERTFILE must give upsc the same output over TLS as NUT's upsd gives in clear text, and
 * upsc must report the handshake.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation, FIXTURES, startOurUpsd, startPair, TEST_USERS, waitReady, type Pair, type Side } from './upsd-harness.js';
import { stopChild } from '../helpers/oracle.js';

let pair: Pair;
let tls: Side;

beforeAll(async () => {
  const fixtures = [{ name: 'ups1', file: `${FIXTURES}/ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev` }];
  pair = await startPair({ fixtures, upsdConf: '' });
  const dir = pair.nut.sandbox.dir;
  const pem = join(dir, 'upsd.pem');
  const r = spawnSync('sh', [
    '-c',
    `openssl req -x509 -newkey rsa:2048 -nodes -keyout ${dir}/key.pem -out ${dir}/cert.pem -days 2 -subj /CN=localhost 2>&1 && cat ${dir}/cert.pem ${dir}/key.pem > ${pem}`,
  ]);
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stdout}`);
  tls = await startOurUpsd(pair.nut.sandbox, fixtures, TEST_USERS, `CERTFILE ${pem}\n`);
  await waitReady([tls.port], ['ups1']);
}, 300_000);

afterAll(async () => {
  await stopChild(tls?.child);
  tls?.sandbox.cleanup();
  await pair?.stop();
});

function upsc(port: number, ...args: string[]) {
  const r = spawnSync('upsc', args.map((a) => a.replace('PORT', String(port))), { encoding: 'latin1', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('STARTTLS', () => {
  it("NUT's upsc negotiates TLS with our upsd and prints what it prints in clear text", () => {
    for (const args of [['ups1@127.0.0.1:PORT'], ['ups1@127.0.0.1:PORT', 'ups.status'], ['-l', '127.0.0.1:PORT'], ['ups1@127.0.0.1:PORT', 'bogus']]) {
      const clear = upsc(pair.nut.port, ...args);
      const secure = upsc(tls.port, ...args);
      expect(secure.status).toBe(clear.status);
      expect(secure.stdout).toBe(clear.stdout);
      expect(secure.stderr).toContain('SSL handshake done successfully with server 127.0.0.1');
      expect(secure.stderr).toContain('Connected to NUT server 127.0.0.1 in SSL');
      expect(clear.stderr).not.toContain('in SSL');
    }
  });

  it('without a usable certificate both servers refuse STARTTLS the same way and go on in clear', async () => {
    for (const port of [pair.nut.port, pair.ours.port]) {
      const c = await Conversation.open(port);
      expect(await c.ask('STARTTLS')).toBe('ERR FEATURE-NOT-CONFIGURED\n');
      expect(await c.ask('NETVER')).toBe('1.3\n');
      c.close();
    }
    const withCert = await Conversation.open(tls.port);
    expect(await withCert.ask('STARTTLS')).toBe('OK STARTTLS\n');
    withCert.close();
  });
});
