/**
 * Many event-stream clients connecting at once while a NUT client keeps asking upsd: upsd
 * answers every request, also while the connections pour in (the HTTP service has a thread
 * of its own). How long the answers take is measured in bench/sse-storm.mjs, not here.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/wait.js';
import { VIEWER, startTestHost, type TestHost } from './harness.js';
import { SseClient } from './sse-client.js';

const STORM = 500;

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('an event-stream storm', () => {
  it(`${STORM} SSE clients connecting at once: upsd answers each request sent meanwhile`, async () => {
    const upsd = connect(t.upsdPort, '127.0.0.1');
    upsd.setEncoding('utf8');
    let sent = 0;
    let stop = false;
    const answers: string[] = [];
    let buf = '';
    const ask = () => {
      sent++;
      upsd.write('GET VAR dev ups.status\n');
    };
    upsd.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        answers.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (!stop) ask();
      }
    });
    ask();
    await until('upsd answering', () => answers.length > 0, 10_000);
    const atStorm = answers.length;
    const clients = Array.from({ length: STORM }, () => new SseClient(`${t.base}/api/v1/events`, { authorization: VIEWER }));
    await until(`${STORM} streams open`, () => clients.every((c) => c.find((e) => e.event === 'hello')), 60_000);
    const duringStorm = answers.length - atStorm;
    await until('the HTTP thread to count them', () => t.services.http!.eventClients === STORM, 10_000);
    stop = true;
    await until('the last answer', () => answers.length === sent, 10_000);
    expect(answers.every((a) => a === 'VAR dev ups.status "OL"')).toBe(true);
    // upsd went on answering while the streams were being accepted
    expect(duringStorm).toBeGreaterThan(0);
    for (const c of clients) c.close();
    upsd.destroy();
    await until('streams closed', () => t.services.http!.eventClients === 0, 30_000);
  }, 120_000);
});
