/** A service that cannot start is reported and leaves the host (and upsd) running. */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
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
});
