/**
 * The 60 s idle drop, against NUT's upsd: a silent client and one that sent half a line are
 * dropped silently after about a minute; one that sends a complete line (even an empty one)
 * every 20 s stays. Generous windows: this checks the rule, not the timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../core/test/upsd/helpers.js';
import { FIXTURES, startPair, type Pair } from './upsd-harness.js';

let pair: Pair;

beforeAll(async () => {
  pair = await startPair({ fixtures: [{ name: 'ups1', file: `${FIXTURES}/ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev` }] });
}, 300_000);

afterAll(async () => {
  await pair?.stop();
});

describe('idle drop (default 60 s)', () => {
  it('drops silent and half-line clients, keeps chatty ones, like NUT', async () => {
    const sides = [pair.nut.port, pair.ours.port];
    const silent = await Promise.all(sides.map((p) => TestClient.open(p)));
    const partial = await Promise.all(sides.map((p) => TestClient.open(p)));
    const chatty = await Promise.all(sides.map((p) => TestClient.open(p)));
    for (const c of partial) c.send('GET VAR ups1');
    const start = Date.now();
    const keepAlive = setInterval(() => {
      for (const c of chatty) c.send('\n');
    }, 20_000);
    try {
      await new Promise((r) => setTimeout(r, 40_000));
      expect([...silent, ...partial, ...chatty].map((c) => c.closed)).toEqual([false, false, false, false, false, false]);
      await Promise.all([...silent, ...partial].map((c) => c.waitFor(() => c.closed, 90_000)));
      expect(Date.now() - start).toBeGreaterThan(50_000);
      expect(chatty.map((c) => c.closed)).toEqual([false, false]);
      // nothing was sent to the dropped ones; the chatty ones got one answer per empty line
      expect([...silent, ...partial].map((c) => c.buffer)).toEqual(['', '', '', '']);
      expect(chatty[1].buffer).toBe(chatty[0].buffer);
      expect(chatty[0].buffer).toMatch(/^(ERR UNKNOWN-COMMAND\n)+$/);
    } finally {
      clearInterval(keepAlive);
      for (const c of [...silent, ...partial, ...chatty]) c.close();
    }
  }, 180_000);
});
