/**
 * A service that cannot start is reported and leaves the host (and upsd) running; an HTTP
 * thread that dies is started again.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/oracle.js';
import { untilAsync } from '../../../test/helpers/wait.js';
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

  const QUICK_RESTART = { initialDelayMs: 200, maxDelayMs: 1_000, factor: 2, resetAfterMs: 60_000 };
  /** The HTTP status of an unauthenticated GET /metrics (401 here), 0 when nothing answers. */
  const metrics = async (base: string) => (await fetch(`${base}/metrics`).catch(() => undefined))?.status ?? 0;

  it('an HTTP thread that dies is started again on the same port; upsd keeps serving', async () => {
    await t?.close();
    const port = await freePort();
    t = await startTestHost({ services: { http: { listen: `127.0.0.1:${port}` }, restart: QUICK_RESTART } });
    const http = t.services.http!;
    expect(await metrics(t.base)).toBe(401);
    const first = http.current!;
    await first.kill();
    expect(await metrics(t.base)).toBe(0);
    await untilAsync('the HTTP service to answer again', async () => (await metrics(t!.base)) === 401, 30_000);
    expect(http.restarts).toBe(1);
    expect(http.current).not.toBe(first);
    expect(http.address?.port).toBe(port);
    expect(t.logs.some((l) => /^error http: the service's thread ended/.test(l))).toBe(true);
    expect(t.logs.some((l) => /^warn http: restarting the service in 200 ms$/.test(l))).toBe(true);
    expect(t.host.upsd.running).toBe(true);
    // a second death soon after waits twice as long
    await http.current!.kill();
    await untilAsync('the HTTP service to answer again', async () => (await metrics(t!.base)) === 401, 30_000);
    expect(http.restarts).toBe(2);
    expect(t.logs.some((l) => /^warn http: restarting the service in 400 ms$/.test(l))).toBe(true);
  }, 60_000);

  it('closing the host while a restart is pending starts nothing more', async () => {
    await t?.close();
    const port = await freePort();
    const host = await startTestHost({ services: { http: { listen: `127.0.0.1:${port}` }, restart: QUICK_RESTART } });
    t = undefined;
    const http = host.services.http!;
    await http.current!.kill();
    await host.close();
    await new Promise((r) => setTimeout(r, 3 * QUICK_RESTART.initialDelayMs));
    expect(http.current).toBeUndefined();
    expect(http.restarts).toBe(0);
    expect(await metrics(`http://127.0.0.1:${port}`)).toBe(0);
  }, 60_000);
});
