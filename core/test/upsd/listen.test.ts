/** LISTEN handling: IPv4 and IPv6, defaults, -4/-6, and NUT's rule that only the last must bind. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UpsdServer } from '../../src/upsd/server.js';
import { parseUpsdUsers } from '../../src/upsd/config.js';
import { FakeDirectory, TestClient, sampleDevice } from './helpers.js';

describe('listeners', () => {
  it('defaults: ::1 then 127.0.0.1 on 3493; -4 / -6 keep one family', () => {
    const d = new FakeDirectory();
    expect(new UpsdServer(d).listenAddresses()).toEqual([
      { host: '::1', port: 3493 },
      { host: '127.0.0.1', port: 3493 },
    ]);
    expect(new UpsdServer(d, { family: 4 }).listenAddresses()).toEqual([{ host: '127.0.0.1', port: 3493 }]);
    expect(new UpsdServer(d, { family: 6 }).listenAddresses()).toEqual([{ host: '::1', port: 3493 }]);
    const given = [
      { host: '::1', port: 1 },
      { host: '127.0.0.1', port: 2 },
      { host: 'localhost', port: 3 },
    ];
    expect(new UpsdServer(d, { listen: given, family: 4 }).listenAddresses()).toEqual([given[1], given[2]]);
  });

  it('serves IPv4 and IPv6 at once; LIST CLIENT shows each address as inet_ntop does, newest connection first', async () => {
    const dev = sampleDevice();
    const server = new UpsdServer(new FakeDirectory([dev]), {
      listen: [
        { host: '::1', port: 0 },
        { host: '127.0.0.1', port: 0 },
      ],
      users: parseUpsdUsers({ path: 'upsd.users', text: '[mon]\npassword = pw\nupsmon secondary\n' }).users,
    });
    await server.start();
    try {
      // bound last line first, as NUT does
      expect(server.bound.map((b) => b.host)).toEqual(['127.0.0.1', '::1']);
      const v6 = await TestClient.open(server.bound[1].port, '::1');
      const v4 = await TestClient.open(server.bound[0].port, '127.0.0.1');
      expect(await v6.ask('NETVER')).toBe('1.3\n');
      expect(await v4.ask('NETVER')).toBe('1.3\n');
      for (const c of [v4, v6]) {
        await c.ask('USERNAME mon');
        await c.ask('PASSWORD pw');
        expect(await c.ask('LOGIN dummy')).toBe('OK\n');
      }
      expect(await v4.ask('LIST CLIENT dummy')).toBe('BEGIN LIST CLIENT dummy\nCLIENT dummy 127.0.0.1\nCLIENT dummy ::1\nEND LIST CLIENT dummy\n');
      v6.close();
      v4.close();
    } finally {
      await server.close();
    }
  });

  it('LISTEN :: is dual-stack: IPv4 clients connect too (as with NUT)', async () => {
    const server = new UpsdServer(new FakeDirectory([sampleDevice()]), { listen: [{ host: '::', port: 0 }] });
    await server.start();
    try {
      const v4 = await TestClient.open(server.bound[0].port, '127.0.0.1');
      expect(await v4.ask('NETVER')).toBe('1.3\n');
      v4.close();
    } finally {
      await server.close();
    }
  });

  it('a listener that cannot bind is only fatal when it is the last one', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    const logs: string[] = [];
    try {
      const ok = new UpsdServer(new FakeDirectory(), {
        listen: [
          { host: '127.0.0.1', port: taken },
          { host: '127.0.0.1', port: 0 },
        ],
        log: (_l, m) => logs.push(m),
      });
      await ok.start();
      expect(ok.bound.length).toBe(1);
      expect(logs.join('\n')).toContain(`not listening on 127.0.0.1 port ${taken}`);
      await ok.close();
      const bad = new UpsdServer(new FakeDirectory(), {
        listen: [
          { host: '127.0.0.1', port: 0 },
          { host: '127.0.0.1', port: taken },
        ],
      });
      await expect(bad.start()).rejects.toThrow(/no listening interface available/);
    } finally {
      blocker.close();
    }
  });
});
