/**
 * Listeners bound ahead (a host about to give up root binds upsd's ports below 1024 first):
 * upsd serves on them when it starts, gives them back still bound when it stops, and takes
 * them again at its next start. (The privileged port itself, as root: core/test/host/privileges.)
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ReservedListeners } from '../../src/upsd/reserved-listeners.js';
import { UpsdServer } from '../../src/upsd/server.js';
import { freePort } from '../../../test/helpers/oracle.js';
import { FakeDirectory, TestClient, sampleDevice } from './helpers.js';

/** Resolves with 'closed' when the server ends the connection without a word. */
function closedAtOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.on('data', () => reject(new Error('got data')));
    s.on('error', () => resolve('closed'));
    s.on('close', () => resolve('closed'));
  });
}

describe('reserved listeners', () => {
  it('upsd listens on the listener bound ahead, returns it on stop and takes it again', async () => {
    const port = await freePort();
    const reserved = new ReservedListeners();
    expect(await reserved.reserve([{ host: '127.0.0.1', port }])).toEqual([]);
    // held, not yet served: connections are closed at once
    expect(await closedAtOnce(port)).toBe('closed');
    const dir = new FakeDirectory([sampleDevice()]);
    try {
      for (const round of [1, 2]) {
        const server = new UpsdServer(dir, { listen: [{ host: '127.0.0.1', port }], reserved });
        await server.start();
        expect(server.bound, `round ${round}`).toEqual([{ host: '127.0.0.1', port }]);
        const c = await TestClient.open(port, '127.0.0.1');
        expect(await c.ask('GET VAR dummy ups.status')).toMatch(/^VAR dummy ups\.status "/);
        c.close();
        await server.close();
        // still bound here: nobody else can take the port, and nothing is served
        expect(reserved.size).toBe(1);
        expect(await closedAtOnce(port)).toBe('closed');
      }
    } finally {
      await reserved.close();
    }
  });

  it('reports an address it cannot bind', async () => {
    const port = await freePort();
    const first = new ReservedListeners();
    const second = new ReservedListeners();
    try {
      expect(await first.reserve([{ host: '127.0.0.1', port }])).toEqual([]);
      const failed = await second.reserve([{ host: '127.0.0.1', port }]);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1 port ${port}: .*EADDRINUSE`));
    } finally {
      await first.close();
      await second.close();
    }
  });
});
