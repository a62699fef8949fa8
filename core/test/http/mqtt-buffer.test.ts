/** Without a broker the MQTT bridge keeps at most bufferLimit messages, dropping the oldest. */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/oracle.js';
import { until } from '../../../test/helpers/wait.js';
import { startTestHost, type TestHost } from './harness.js';

let t: TestHost | undefined;
afterAll(async () => {
  await t?.close();
});

describe('MQTT bridge while the broker is away', () => {
  it('buffers up to bufferLimit and counts what it dropped', async () => {
    const nobody = await freePort();
    t = await startTestHost({ services: { mqtt: { url: `mqtt://127.0.0.1:${nobody}`, bufferLimit: 3 } } });
    const bridge = t.services.mqtt!;
    await until('the device', () => t!.host.get('dev')?.connected, 30_000);
    for (const load of ['31', '32', '33']) {
      expect(t.host.get('dev')!.setvar('ups.load', load, undefined)).toBe(true);
      await until(`ups.load ${load}`, () => t!.host.get('dev')!.tree.getValue('ups.load') === load, 10_000);
    }
    await until('messages dropped', () => bridge.dropped > 0, 10_000);
    expect(bridge.connected).toBe(false);
    expect(bridge.buffered).toBe(3);
  }, 60_000);
});
