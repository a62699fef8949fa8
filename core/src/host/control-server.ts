/**
 * Serves the control protocol for a Host on a Unix socket. Requests on one connection are
 * answered in order; a malformed line gets an error reply and the connection stays usable.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Host } from './host.js';
import { MAX_REQUEST_BYTES, type ControlReply, type ControlRequest } from './control-protocol.js';
import type { StartOptions } from './instance.js';

export const HOST_VERSION = '0.1.0';

/** Only well-typed start options pass from a request (anything else is ignored). */
function startOptions(request: object): StartOptions {
  const req = request as Record<string, unknown>;
  const o: StartOptions = {};
  const count = (v: unknown, max: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : undefined);
  o.maxretry = count(req.maxretry, 1000);
  o.retrydelayMs = count(req.retrydelayMs, 86_400_000);
  o.maxstartdelayMs = count(req.maxstartdelayMs, 86_400_000);
  o.debugLevel = count(req.debugLevel, 100);
  if (typeof req.nowait === 'boolean') o.nowait = req.nowait;
  if (typeof req.user === 'string' && /^[A-Za-z0-9._-]+$/.test(req.user)) o.user = req.user;
  if (typeof req.chroot === 'string' && req.chroot.startsWith('/') && !req.chroot.includes('\0')) o.chroot = req.chroot;
  for (const k of Object.keys(o) as Array<keyof StartOptions>) if (o[k] === undefined) delete o[k];
  return o;
}

export interface ControlServerOptions {
  /** Called after a request that may leave the host with nothing to do (stop, upsd-stop). */
  onIdle?: () => void;
  /** host-stop: the daemon closes the host and exits. */
  onHostStop: () => void;
}

function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class ControlServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** A stop was asked for: once its client is gone, an idle host may exit. */
  private idleCheckPending = false;

  constructor(
    private readonly host: Host,
    readonly path: string,
    private readonly options: ControlServerOptions,
  ) {}

  /** Listens; refuses when another host answers on the path, removes a stale socket file. */
  async listen(): Promise<void> {
    if (existsSync(this.path)) {
      if (await probe(this.path)) throw new Error(`a nut-ts host is already running (control socket ${this.path})`);
      unlinkSync(this.path);
    }
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      chmodSync(this.path, 0o660);
    } catch {
      /* best effort */
    }
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.end();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      if (existsSync(this.path)) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    let buf = '';
    let chain = Promise.resolve();
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES && !buf.includes('\n')) {
        this.reply(socket, { id: 0, ok: false, messages: ['request too long'] });
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        chain = chain.then(() => this.handleLine(socket, line));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      void chain.then(() => {
        if (this.idleCheckPending && this.sockets.size === 0 && this.host.idle) {
          this.idleCheckPending = false;
          this.options.onIdle?.();
        }
      });
    });
  }

  private reply(socket: Socket, reply: ControlReply): void {
    if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
  }

  private async handleLine(socket: Socket, line: string): Promise<void> {
    let req: (ControlRequest & { id?: unknown }) | undefined;
    try {
      req = JSON.parse(line) as ControlRequest & { id?: unknown };
    } catch (e) {
      this.reply(socket, { id: 0, ok: false, messages: [`malformed request: ${(e as Error).message}`] });
      return;
    }
    const id = typeof req?.id === 'number' ? req.id : 0;
    if (!req || typeof req !== 'object' || typeof req.cmd !== 'string') {
      this.reply(socket, { id, ok: false, messages: ['malformed request: no "cmd"'] });
      return;
    }
    try {
      const result = await this.execute(req);
      this.reply(socket, { id, ...result });
    } catch (e) {
      this.reply(socket, { id, ok: false, messages: [`internal error: ${(e as Error).message}`] });
    }
    if (req.cmd === 'host-stop') this.options.onHostStop();
    // a request that may leave nothing running: once its client is gone an idle host ends
    // (stop, upsd -c stop, a shutdown, a start that failed)
    else if (['stop', 'upsd-stop', 'shutdown', 'start', 'start-many'].includes(req.cmd)) this.idleCheckPending = true;
  }

  private async execute(req: ControlRequest): Promise<Omit<ControlReply, 'id'>> {
    const host = this.host;
    const needUps = (r: { ups?: unknown }) => (typeof r.ups === 'string' && r.ups !== '' ? r.ups : undefined);
    switch (req.cmd) {
      case 'ping':
        return { ok: true, messages: [], pid: process.pid, confPath: host.paths.confPath, statePath: host.paths.statePath, version: HOST_VERSION };
      case 'start': {
        const ups = needUps(req);
        if (!ups) return { ok: false, messages: ['start: no UPS named'] };
        return host.startInstance(ups, startOptions(req));
      }
      case 'start-many': {
        const items = Array.isArray(req.items)
          ? req.items.filter((i): i is { ups: string; maxstartdelayMs?: number } => typeof i?.ups === 'string' && i.ups !== '')
          : [];
        if (items.length === 0) return { ok: false, messages: ['start-many: no UPS named'] };
        const base = startOptions(req);
        const results = await host.startMany(
          items.map((i) => ({ ups: i.ups, maxstartdelayMs: startOptions({ maxstartdelayMs: i.maxstartdelayMs }).maxstartdelayMs })),
          base,
        );
        return { ok: results.every((r) => r.ok), messages: [], results };
      }
      case 'stop': {
        const ups = needUps(req);
        if (!ups) return { ok: false, messages: ['stop: no UPS named'] };
        return host.stopInstance(ups);
      }
      case 'shutdown': {
        const ups = needUps(req);
        if (!ups) return { ok: false, messages: ['shutdown: no UPS named'] };
        return host.shutdownInstance(ups, startOptions(req));
      }
      case 'status':
        return { ok: true, messages: [], status: host.status() };
      case 'reload': {
        const r = host.loadConfig();
        if (r.ok && host.upsd.running) {
          const u = await host.upsd.reload();
          return { ok: u.ok, messages: [...r.messages, ...u.messages] };
        }
        return r;
      }
      case 'upsd-start': {
        const r = host.loadConfig();
        if (!r.ok) return r;
        return host.upsd.start({ listen: req.listen, family: req.family, allowNoDevice: req.allowNoDevice });
      }
      case 'upsd-stop':
        return host.upsd.stop();
      case 'upsd-reload': {
        host.loadConfig();
        return host.upsd.reload();
      }
      case 'host-stop':
        return { ok: true, messages: [] };
      default:
        return { ok: false, messages: [`unknown command "${(req as { cmd: string }).cmd}"`] };
    }
  }
}
