/**
 * Listeners bound before the host gives up root, kept for upsd. A port below 1024 needs root
 * to bind; NUT's upsd binds before its drop. The host's upsd starts later, on request, so the
 * host binds upsd.conf's privileged LISTEN addresses while it is still root and hands each
 * to upsd when upsd starts; when upsd stops, the listener goes back here (still bound, so a
 * later start gets it again) and connections meanwhile are closed at once.
 */
import { lookup } from 'node:dns/promises';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { ListenAddress } from './config.js';

/** How upsd's listeners are made (server.ts uses the same). */
export const LISTENER_OPTIONS = { noDelay: true, allowHalfOpen: true, pauseOnConnect: true } as const;

/** Ports that only root may bind (Linux' default ip_unprivileged_port_start). */
export const PRIVILEGED_BELOW = 1024;

const refuse = (socket: Socket) => socket.destroy();
const key = (a: ListenAddress) => `${a.host}|${a.port}`;

export class ReservedListeners {
  private readonly held = new Map<string, Server>();
  private readonly lent = new Map<Server, string>();

  /** Binds each address not yet held; returns a message per address that could not be bound. */
  async reserve(addrs: readonly ListenAddress[], family?: 4 | 6): Promise<string[]> {
    const failed: string[] = [];
    for (const addr of addrs) {
      if (this.held.has(key(addr)) || [...this.lent.values()].includes(key(addr))) continue;
      try {
        const host = isIP(addr.host) === 0 ? (await lookup(addr.host, family ? { family } : {})).address : addr.host;
        const server = createServer(LISTENER_OPTIONS);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port: addr.port, host }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        server.on('connection', refuse);
        server.unref();
        this.held.set(key(addr), server);
      } catch (e) {
        failed.push(`${addr.host} port ${addr.port}: ${(e as Error).message}`);
      }
    }
    return failed;
  }

  /** The listener bound for `addr`, lent to upsd until it gives it back; undefined if none. */
  take(addr: ListenAddress): Server | undefined {
    const server = this.held.get(key(addr));
    if (!server) return undefined;
    this.held.delete(key(addr));
    this.lent.set(server, key(addr));
    server.off('connection', refuse);
    server.ref(); // serving, like a listener upsd bound itself
    return server;
  }

  /** true when `server` was lent by take(): it stays bound here instead of closing. */
  giveBack(server: Server): boolean {
    const k = this.lent.get(server);
    if (k === undefined) return false;
    this.lent.delete(server);
    server.removeAllListeners('connection');
    server.on('connection', refuse);
    server.unref();
    this.held.set(k, server);
    return true;
  }

  get size(): number {
    return this.held.size + this.lent.size;
  }

  /** Closes what is held (the host is ending). */
  async close(): Promise<void> {
    await Promise.all([...this.held.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.held.clear();
  }
}
