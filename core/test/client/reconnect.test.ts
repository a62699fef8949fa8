import { afterEach, describe, expect, it } from 'vitest';
import { NutClient, NutError } from '../../src/client/index.js';
import { fakeUpsd, scriptServer, type ScriptServer } from './script-server.js';

const servers: ScriptServer[] = [];
const clients: NutClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

function waitFor(c: NutClient, event: string): Promise<unknown> {
  return new Promise((r) => c.once(event, r));
}

describe('reconnect', () => {
  it('reconnects after the server drops the connection, runs onConnect again, then sends queued requests', async () => {
    const s = await scriptServer((l, conn, socket) => {
      if (l.startsWith('USERNAME')) return 'OK';
      if (conn === 0 && l === 'GET VAR dummy ups.status') return () => socket.destroy();
      return fakeUpsd(l);
    });
    servers.push(s);
    const c = new NutClient({
      host: '127.0.0.1',
      port: s.port,
      reconnect: { initialDelay: 20 },
      onConnect: async (cl) => {
        await cl.simple('USERNAME mon');
      },
    });
    clients.push(c);
    const connects: number[] = [];
    c.on('connect', () => connects.push(Date.now()));
    await c.connect();
    const disconnected = waitFor(c, 'disconnect');
    const lost = await c.getVar('dummy', 'ups.status').catch((e: NutError) => e);
    expect((lost as NutError).code).toBe('SERVER-DISCONNECTED');
    await disconnected;
    // issued while disconnected: waits for the new connection
    const status = await c.getVar('dummy', 'ups.status');
    expect(status).toBe('OL CHRG');
    expect(connects.length).toBe(2);
    expect(s.received[0]).toEqual(['USERNAME mon', 'GET VAR dummy ups.status']);
    expect(s.received[1]).toEqual(['USERNAME mon', 'GET VAR dummy ups.status']);
  });

  it('backs off exponentially and gives up after maxAttempts', async () => {
    const s = await scriptServer((l) => fakeUpsd(l));
    const c = new NutClient({
      host: '127.0.0.1',
      port: s.port,
      reconnect: { initialDelay: 10, factor: 3, maxDelay: 50, maxAttempts: 4 },
    });
    clients.push(c);
    await c.connect();
    const delays: number[] = [];
    c.on('reconnecting', (e: { delay: number }) => delays.push(e.delay));
    const gaveUp = waitFor(c, 'giveup');
    await s.close(); // drops the connection and refuses new ones
    await gaveUp;
    expect(delays).toEqual([10, 30, 50, 50]);
    expect((await c.getVar('dummy', 'ups.status').catch((e: NutError) => e) as NutError).code).toBe('NOT-CONNECTED');
  });

  it('close() stops reconnecting', async () => {
    const s = await scriptServer((l, _conn, socket) => (l === 'GET VAR dummy ups.status' ? () => socket.destroy() : fakeUpsd(l)));
    servers.push(s);
    const c = new NutClient({ host: '127.0.0.1', port: s.port, reconnect: { initialDelay: 50 } });
    await c.connect();
    await c.getVar('dummy', 'ups.status').catch(() => undefined);
    c.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(s.connections).toBe(1);
  });
});
