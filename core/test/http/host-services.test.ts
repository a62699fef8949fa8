/** A service that cannot start is reported and leaves the host (and upsd) running. */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/oracle.js';
import { startTestHost, type TestHost } from './harness.js';

let t: TestHost | undefined;
afterAll(async () => {
  await t?.close();
});

describe('host services', () => {
  it('a listen address in use and an unknown MQTT scheme are logged; upsd keeps serving', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      t = await startTestHost({ services: { http: { listen: `127.0.0.1:${port}` }, mqtt: { url: 'gopher://127.0.0.1:1' } } });
      expect(t.services.http).toBeUndefined();
      expect(t.services.mqtt).toBeUndefined();
      expect(t.logs.some((l) => /^error http: cannot start: .*EADDRINUSE/.test(l))).toBe(true);
      expect(t.logs.some((l) => /^error mqtt: cannot start/.test(l))).toBe(true);
      expect(t.host.upsd.running).toBe(true);
    } finally {
      busy.close();
    }
  }, 60_000);

  it('http.tls with only an NSS CERTPATH in upsd.conf says what to put in CERTFILE; upsd keeps serving', async () => {
    await t?.close();
    const upsd = await freePort();
    t = await startTestHost({
      files: { 'upsd.conf': `LISTEN 127.0.0.1 ${upsd}\nCERTPATH /etc/nut/cert/upsd\n` },
      services: { http: { listen: `127.0.0.1:${await freePort()}`, tls: true } },
    });
    expect(t.services.http).toBeUndefined();
    expect(t.logs.some((l) => /^error http: cannot start: http\.tls needs CERTFILE .*CERTPATH \/etc\/nut\/cert\/upsd is an NSS certificate database/.test(l))).toBe(true);
    expect(t.host.upsd.running).toBe(true);
  }, 60_000);
});
