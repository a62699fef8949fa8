/**
 * The upsd network server: listeners, connections (reads answered straight from one shared
 * buffer, a line reader per connection, one write per read's answers), STARTTLS, idle drop,
 * MAXCONN, back-pressure and turns for pipelined floods, and the global state the commands share
 * (FSD latches, logins, tracking). Devices come from a DeviceDirectory, so the same server
 * publishes host instances and NUT drivers attached through their sockets.
 */
import { createServer, isIP, Socket, type Server, type SocketConstructorOpts } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import type { Device, DeviceDirectory } from '../dstate/device.js';
import { UserTable } from './acl.js';
import { execute, newSession, type Answer, type CommandContext, type Session } from './commands.js';
import { DEFAULT_PORT, type ListenAddress, type UpsUser } from './config.js';
import type { Describer } from './descriptions.js';
import { LineReader, Scan } from './line-reader.js';
import { DeviceListings } from './listing.js';
import { TrackingTable } from './tracking.js';
import { auditText, LogRateLimit } from './audit.js';
import { LoginThrottle, type LoginThrottleSettings } from './login-throttle.js';
import { err } from './protocol.js';
import { LISTENER_OPTIONS, type ReservedListeners } from './reserved-listeners.js';

/** upsd reads client sockets in 512-byte chunks; a parse error drops the rest of one. */
const READ_CHUNK = 512;
/** Stop reading a client whose unread answers exceed this (slow or half-open readers). */
const OUTPUT_HIGH_WATER = 1 << 20;
/** Requests answered for one client before the others get a turn (pipelined floods). */
const LINES_PER_TURN = 256;
/** Answers to pipelined requests are written together up to this many bytes. */
const BATCH_MAX = 64 * 1024;
/** A batch up to this size is copied into one Buffer. */
const SMALL_BATCH = 2048;
/** Where reads from our listeners' sockets land; each read is answered before the next. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** The libuv stream under an adopted socket: the calls net.Socket itself makes on it. */
interface StreamHandle {
  onread: (this: StreamHandle, arrayBuffer: unknown) => unknown;
  writeBuffer(req: WriteRequest, data: Buffer): number;
  writeUtf8String(req: WriteRequest, data: string): number;
  readonly writeQueueSize: number;
}
interface WriteRequest {
  oncomplete?: (status: number) => void;
  buffer?: Answer;
}
interface StreamBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

/**
 * Node's stream binding, the one net.Socket writes through: an answer written straight to the
 * handle skips the Writable bookkeeping and the nextTick that follows every write. Undefined
 * where this Node does not offer it, or would warn about it (then every write goes through
 * the socket).
 */
const STREAM: StreamBinding | undefined = (() => {
  // process.binding() warns when pending deprecations are shown: do without it then
  const pending = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--pending-deprecation'));
  if (pending || process.env.NODE_PENDING_DEPRECATION === '1') return undefined;
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array)) return undefined;
    if (typeof b.kReadBytesOrError !== 'number' || typeof b.kLastWriteWasAsync !== 'number') return undefined;
    return b as StreamBinding;
  } catch {
    return undefined;
  }
})();
/** Reused for every write that completes at once (no request object is kept for those). */
let spareRequest: WriteRequest | undefined = STREAM ? new STREAM.WriteWrap() : undefined;

export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface UpsdServerConfig {
  /** LISTEN lines in file order; empty → ::1 and 127.0.0.1 on 3493. */
  listen?: ListenAddress[];
  /** -4 / -6. */
  family?: 4 | 6;
  maxAge?: number;
  trackingDelay?: number;
  /** Most client connections served at once; more are held unread until a slot frees. */
  maxConn?: number;
  /** Idle drop, ms without a complete request line (NUT: 60 s). */
  idleTimeoutMs?: number;
  /** PEM with certificate and private key (upsd.conf CERTFILE). */
  certFile?: string;
  users?: Map<string, UpsUser>;
  describer?: Describer;
  log?: Logger;
  /** Delay of answers to password checks from addresses with failures (login-throttle.ts). */
  loginThrottle?: LoginThrottleSettings;
  /** Listeners bound before the host gave up root (reserved-listeners.ts). */
  reserved?: ReservedListeners;
}

interface Connection {
  socket: Socket;
  /** The adopted socket's handle, written to directly while the socket has nothing queued. */
  handle: StreamHandle | undefined;
  session: Session;
  reader: LineReader;
  lastHeard: number;
  seq: number;
  /** Input received but not answered yet (waiting for a turn, for 'drain', or held). */
  pending: Buffer | undefined;
  pendingOffset: number;
  /**
   * Why input is pending; 'done' once LOGOUT or STARTTLS ended this input; 'throttle' while
   * the login throttle holds an answer (nothing after it is read or answered meanwhile).
   */
  waiting: 'turn' | 'drain' | 'done' | 'throttle' | undefined;
  /** Held because MAXCONN was reached. */
  held: boolean;
  /** The client half-closed: answer what it sent, then close. */
  eof: boolean;
  closed: boolean;
}

export interface BoundListener {
  host: string;
  port: number;
}

export class UpsdServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly held: Connection[] = [];
  private active = 0;
  private seq = 0;
  private readonly users: UserTable;
  private readonly tracking: TrackingTable;
  private readonly fsd = new Set<string>();
  private readonly logins = new Map<string, number>();
  private byName = new Map<string, Device>();
  private listed: readonly Device[] = [];
  private readonly listings = new Map<Device, DeviceListings>();
  private readonly resultUnsubs = new Map<Device, () => void>();
  private unsubDirectory: (() => void) | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private secureContext: SecureContext | undefined;
  private describer: Describer;
  private maxAge: number;
  private maxConn: number;
  private idleTimeoutMs: number;
  private readonly log: Logger;
  private readonly ctx: CommandContext;
  readonly loginThrottle: LoginThrottle;
  /** Set while a request is answered: how long the login throttle holds that answer. */
  private answerDelay = 0;
  private readonly parseErrors = new LogRateLimit();
  /** Addresses actually bound. */
  readonly bound: BoundListener[] = [];

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly config: UpsdServerConfig = {},
  ) {
    this.users = new UserTable(config.users ?? new Map());
    this.tracking = new TrackingTable(config.trackingDelay ?? 3600);
    this.describer = config.describer ?? { describeVar: () => undefined, describeCmd: () => undefined, source: 'none' };
    this.maxAge = config.maxAge ?? 15;
    this.maxConn = config.maxConn ?? Number.POSITIVE_INFINITY;
    this.idleTimeoutMs = config.idleTimeoutMs ?? 60_000;
    this.log = config.log ?? (() => {});
    this.loginThrottle = new LoginThrottle(config.loginThrottle);
    if (config.certFile) this.loadCertificate(config.certFile);
    const self = this;
    this.ctx = {
      findDevice: (name) => this.byName.get(name) ?? this.byName.get(name.toLowerCase()),
      devices: () => this.listed,
      listings: (d) => this.listingsOf(d),
      users: this.users,
      tracking: this.tracking,
      get describer() {
        return self.describer;
      },
      get maxAge() {
        return self.maxAge;
      },
      get tlsReady() {
        return self.secureContext !== undefined;
      },
      fsd: this.fsd,
      numLogins: (d) => this.logins.get(d.name.toLowerCase()) ?? 0,
      audit: (e) => this.log('info', auditText(e)),
      passwordChecked: (s, ok, command, ups) => {
        if (!ok) {
          this.loginThrottle.fail(s.addr, s.username, s.password);
          this.log('notice', auditText({ kind: 'auth-failed', user: s.username ?? '', addr: s.addr, ups, command }));
        }
        this.answerDelay = this.loginThrottle.delayFor(s.addr);
      },
      login: (s, d) => {
        const key = d.name.toLowerCase();
        this.logins.set(key, (this.logins.get(key) ?? 0) + 1);
        s.loginUps = d.name;
      },
      clientsOf: (d) => {
        const key = d.name.toLowerCase();
        const out: string[] = [];
        for (const c of this.connections) if (c.session.loginUps?.toLowerCase() === key) out.push(c.session.addr);
        return out.reverse();
      },
      now: () => Date.now(),
    };
    this.refreshDevices();
    this.unsubDirectory = directory.onChange(() => this.refreshDevices());
  }

  /** The state the command handlers see (for tests and embedding). */
  get context(): CommandContext {
    return this.ctx;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private loadCertificate(file: string): void {
    try {
      const pem = readFileSync(file);
      this.secureContext = createSecureContext({ cert: pem, key: pem });
    } catch (e) {
      this.secureContext = undefined;
      this.log('error', `Can't load SSL certificate ${file}: ${(e as Error).message}; STARTTLS disabled`);
    }
  }

  private listingsOf(d: Device): DeviceListings {
    let l = this.listings.get(d);
    if (!l) {
      l = new DeviceListings(d);
      this.listings.set(d, l);
    }
    return l;
  }

  private refreshDevices(): void {
    const list = this.directory.list();
    const byName = new Map<string, Device>();
    for (const d of list) if (!byName.has(d.name.toLowerCase())) byName.set(d.name.toLowerCase(), d);
    const present = new Set(list);
    for (const [d, l] of this.listings) {
      if (!present.has(d)) {
        l.dispose();
        this.listings.delete(d);
      }
    }
    for (const [d, unsub] of this.resultUnsubs) {
      if (!present.has(d)) {
        unsub();
        this.resultUnsubs.delete(d);
      }
    }
    for (const d of list) {
      if (!this.resultUnsubs.has(d)) {
        this.resultUnsubs.set(d, d.onCommandResult((id, status) => this.tracking.set(id, status)));
      }
    }
    // A UPS that left: its FSD latch goes, its logged-in clients are disconnected.
    for (const key of [...this.fsd]) if (!byName.has(key)) this.fsd.delete(key);
    for (const c of [...this.connections]) {
      const u = c.session.loginUps?.toLowerCase();
      if (u !== undefined && !byName.has(u)) {
        this.log('info', `Disconnecting ${c.session.addr}: UPS [${c.session.loginUps}] was removed`);
        this.dropConnection(c);
      }
    }
    this.byName = byName;
    this.listed = list;
  }

  /** Applies re-read configuration (upsd.conf except LISTEN, upsd.users). Clients stay. */
  reload(update: { users?: Map<string, UpsUser>; maxAge?: number; trackingDelay?: number; maxConn?: number; describer?: Describer; idleTimeoutMs?: number }): void {
    if (update.users) this.users.replace(update.users);
    if (update.maxAge !== undefined) this.maxAge = update.maxAge;
    if (update.trackingDelay !== undefined) this.tracking.delaySeconds = update.trackingDelay;
    if (update.maxConn !== undefined) this.maxConn = update.maxConn;
    if (update.describer) this.describer = update.describer;
    if (update.idleTimeoutMs !== undefined) this.setIdleTimeout(update.idleTimeoutMs);
    this.refreshDevices();
    this.admitHeld();
  }

  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
    if (this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.startSweep();
    }
  }

  /**
   * Binds every listener, as NUT does: the list is built by prepending LISTEN lines, so the
   * last line is bound first and is the only one whose failure is fatal. IPv6 listeners are
   * dual-stack (`LISTEN ::` also takes IPv4 clients), so `LISTEN 0.0.0.0` before `LISTEN ::`
   * on one port leaves the IPv4 line unbound, with a warning.
   */
  async start(): Promise<void> {
    const order = [...this.listenAddresses()].reverse();
    const results: Array<{ addr: ListenAddress; error?: Error }> = [];
    for (const addr of order) {
      try {
        await this.bind(addr);
        results.push({ addr });
      } catch (e) {
        results.push({ addr, error: e as Error });
      }
    }
    const primary = results[0];
    for (const r of results) {
      if (r.error && r !== primary) this.log('warn', `not listening on ${r.addr.host} port ${r.addr.port}: ${r.error.message}`);
    }
    if (!primary || primary.error) {
      await this.close();
      throw new Error(
        `no listening interface available${primary?.error ? ` (${primary.addr.host} port ${primary.addr.port}: ${primary.error.message})` : ''}`,
      );
    }
    this.startSweep();
  }

  /** Effective listen list in NUT's file order (the last one is the one that must work). */
  listenAddresses(): ListenAddress[] {
    const family = this.config.family;
    const given = this.config.listen ?? [];
    if (given.length === 0) {
      const out: ListenAddress[] = [];
      if (family !== 4) out.push({ host: '::1', port: DEFAULT_PORT });
      if (family !== 6) out.push({ host: '127.0.0.1', port: DEFAULT_PORT });
      return out;
    }
    return given.filter((a) => {
      const v = isIP(a.host);
      return v === 0 || family === undefined || v === family;
    });
  }

  private async bind(addr: ListenAddress): Promise<void> {
    let host = addr.host;
    if (isIP(host) === 0) {
      const r = await lookup(host, this.config.family ? { family: this.config.family } : {});
      host = r.address;
    }
    const kept = this.config.reserved?.take(addr);
    if (kept) {
      kept.on('connection', (socket: Socket) => this.accept(socket));
      this.servers.push(kept);
      const a = kept.address();
      if (a && typeof a === 'object') this.bound.push({ host: a.address, port: a.port });
      return;
    }
    const server = createServer(LISTENER_OPTIONS, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: addr.port, host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log('error', `listener ${host}: ${e.message}`));
    this.servers.push(server);
    const a = server.address();
    if (a && typeof a === 'object') this.bound.push({ host: a.address, port: a.port });
  }

  private startSweep(): void {
    const every = Math.max(50, Math.min(1000, Math.floor(this.idleTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const c of this.connections) {
      if (now - c.lastHeard > this.idleTimeoutMs) {
        this.log('debug', `Disconnecting inactive client ${c.session.addr}`);
        this.dropConnection(c);
      }
    }
    this.tracking.purge(now);
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.unsubDirectory?.();
    this.unsubDirectory = undefined;
    for (const c of [...this.connections]) this.dropConnection(c);
    await Promise.all(this.servers.map((s) => (this.config.reserved?.giveBack(s) ? undefined : new Promise<void>((r) => s.close(() => r())))));
    this.servers.length = 0;
    for (const l of this.listings.values()) l.dispose();
    this.listings.clear();
    for (const u of this.resultUnsubs.values()) u();
    this.resultUnsubs.clear();
  }

  /** Serves an already-connected socket (listeners call this; embedding hosts may too). */
  accept(socket: Socket): void {
    const addr = socket.remoteAddress ?? 'unknown';
    const c: Connection = {
      socket,
      handle: undefined,
      session: newSession(addr),
      reader: new LineReader(),
      lastHeard: Date.now(),
      seq: this.seq++,
      pending: undefined,
      pendingOffset: 0,
      waiting: undefined,
      held: false,
      eof: false,
      closed: false,
    };
    const direct = this.adopt(socket, c);
    if (direct) c.socket = direct;
    this.connections.add(c);
    // our listeners set TCP_NODELAY on what they accept; a socket handed in gets it here
    if (!direct) c.socket.setNoDelay(true);
    this.attach(c, c.socket, direct === undefined);
    if (this.active >= this.maxConn) {
      c.held = true;
      c.socket.pause();
      this.held.push(c);
      this.log('warn', `Maximum number of connections limit reached (${this.maxConn}); holding ${addr}`);
    } else {
      this.active++;
      c.socket.resume();
    }
  }

  /**
   * A socket from our own listener is re-opened on its handle with `onread`, so that each
   * read lands in READ_BUFFER and is answered from there: no Buffer and no stream event per
   * read. The socket the listener made is left without its handle (and uncounted), never to
   * be used again. Anything else (a socket handed in by an embedding host) keeps its 'data'
   * events.
   */
  private adopt(socket: Socket, c: Connection): Socket | undefined {
    const listened = socket as Socket & { _handle?: object | null; server?: Server & { _connections?: number } };
    const server = listened.server;
    if (socket.constructor !== Socket || !listened._handle || !server || !this.servers.includes(server)) return undefined;
    if (typeof server._connections !== 'number') return undefined;
    const handle = listened._handle;
    listened._handle = null;
    server._connections--;
    const adopted = new Socket({
      handle,
      allowHalfOpen: true,
      onread: { buffer: READ_BUFFER, callback: (n: number) => void this.onRead(c, n) },
    } as SocketConstructorOpts);
    if (STREAM) this.readDirectly(c, handle as StreamHandle, STREAM);
    return adopted;
  }

  /**
   * Data read into READ_BUFFER goes straight to onRead; end of input, errors and anything
   * else go through net.Socket's own handler as before. Writes go to the handle too (write()).
   */
  private readDirectly(c: Connection, handle: StreamHandle, stream: StreamBinding): void {
    const state = stream.streamBaseState;
    const slot = stream.kReadBytesOrError;
    const socketRead = handle.onread;
    const server = this;
    handle.onread = function (arrayBuffer) {
      const n = state[slot];
      if (n > 0 && c.handle === this) return void server.onRead(c, n);
      return socketRead.call(this, arrayBuffer);
    };
    c.handle = handle;
  }

  /**
   * Writes an answer: straight to the handle when nothing is queued on the socket (libuv
   * keeps its own writes in order, and end() waits for them), else through the socket.
   */
  private write(c: Connection, data: Answer): void {
    const handle = c.handle;
    const socket = c.socket;
    const req = spareRequest;
    if (handle === undefined || req === undefined || socket.writableLength !== 0 || !socket.writable) {
      socket.write(data);
      return;
    }
    const status = typeof data === 'string' ? handle.writeUtf8String(req, data) : handle.writeBuffer(req, data);
    if (status !== 0) {
      this.dropConnection(c);
      return;
    }
    if (STREAM!.streamBaseState[STREAM!.kLastWriteWasAsync] === 0) return;
    // the rest went to libuv's queue: this request object now belongs to that write
    spareRequest = new STREAM!.WriteWrap();
    req.buffer = data;
    req.oncomplete = (done: number) => {
      req.buffer = undefined;
      if (c.closed) return;
      if (done < 0) this.dropConnection(c);
      else if (!c.held && c.pending && c.waiting === 'drain' && this.unsent(c) <= OUTPUT_HIGH_WATER) this.pump(c);
    };
  }

  /** Answer bytes not yet handed to the kernel. */
  private unsent(c: Connection): number {
    return c.socket.writableLength + (c.handle ? c.handle.writeQueueSize : 0);
  }

  private attach(c: Connection, socket: Socket, dataEvents: boolean): void {
    if (dataEvents) socket.on('data', (chunk: Buffer) => this.receive(c, chunk));
    socket.on('drain', () => {
      if (!c.closed && !c.held && c.pending && c.waiting === 'drain') this.pump(c);
    });
    socket.on('error', () => this.dropConnection(c));
    socket.on('close', () => this.dropConnection(c));
    socket.on('end', () => {
      // NUT reads everything sent before EOF, answers it, then disconnects
      c.eof = true;
      if (!c.pending && !c.held && c.waiting !== 'throttle') this.endGracefully(c);
    });
  }

  private admitHeld(): void {
    while (this.held.length && this.active < this.maxConn) {
      const c = this.held.shift()!;
      if (c.closed) continue;
      c.held = false;
      this.active++;
      c.socket.resume();
      if (c.pending) this.pump(c);
      else if (c.eof) this.endGracefully(c);
    }
  }

  private dropConnection(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    this.connections.delete(c);
    if (c.held) {
      const i = this.held.indexOf(c);
      if (i >= 0) this.held.splice(i, 1);
    } else {
      this.active--;
    }
    const u = c.session.loginUps?.toLowerCase();
    if (u !== undefined) {
      const n = (this.logins.get(u) ?? 1) - 1;
      if (n > 0) this.logins.set(u, n);
      else this.logins.delete(u);
    }
    c.pending = undefined;
    c.socket.destroy();
    this.admitHeld();
  }

  /** Bytes read into READ_BUFFER (adopted sockets). */
  private onRead(c: Connection, n: number): void {
    if (c.closed) return;
    if (c.pending || c.held || c.waiting === 'throttle') {
      // still working through earlier input: queue a copy behind it
      const rest = c.pending ? c.pending.subarray(c.pendingOffset) : undefined;
      c.pending = rest ? Buffer.concat([rest, READ_BUFFER.subarray(0, n)]) : Buffer.from(READ_BUFFER.subarray(0, n));
      c.pendingOffset = 0;
      return;
    }
    this.input(c, READ_BUFFER, n, false);
  }

  /** A chunk from a 'data' event (sockets handed in). */
  private receive(c: Connection, chunk: Buffer): void {
    if (c.closed) return;
    if (c.pending || c.held || c.waiting === 'throttle') {
      const rest = c.pending ? c.pending.subarray(c.pendingOffset) : undefined;
      c.pending = rest ? Buffer.concat([rest, chunk]) : chunk;
      c.pendingOffset = 0;
      return;
    }
    this.input(c, chunk, chunk.length, true);
  }

  /** New input with nothing pending: answer it; keep what is left for a later turn. */
  private input(c: Connection, buf: Buffer, end: number, owned: boolean): void {
    const stop = this.consume(c, buf, 0, end);
    if (c.closed || c.waiting === 'done') return;
    if (stop < end) {
      c.pending = owned ? buf.subarray(stop, end) : Buffer.from(buf.subarray(stop, end));
      c.pendingOffset = 0;
      this.wait(c);
    } else if (c.eof && c.waiting !== 'throttle') {
      this.endGracefully(c);
    }
  }

  /** Continues with pending input (next turn, 'drain', or a held connection admitted). */
  private pump(c: Connection): void {
    const buf = c.pending;
    if (!buf) return;
    c.waiting = undefined;
    const stop = this.consume(c, buf, c.pendingOffset, buf.length);
    if (c.closed || c.waiting === 'done') return;
    if (stop < buf.length) {
      c.pendingOffset = stop;
      this.wait(c);
      return;
    }
    c.pending = undefined;
    c.pendingOffset = 0;
    if (c.held || c.waiting === 'throttle') return;
    if (c.eof) this.endGracefully(c);
    else if (c.socket.isPaused()) c.socket.resume();
  }

  /** Stops reading until this connection's next turn ('turn') or until its answers drain. */
  private wait(c: Connection): void {
    c.socket.pause();
    if (c.waiting === 'turn') {
      setImmediate(() => {
        if (!c.closed && !c.held && c.pending && c.waiting === 'turn') this.pump(c);
      });
    }
  }

  /**
   * Answers the request lines in buf[start, end) in NUT's 512-byte reads (a parse error drops
   * the rest of one), with one write for all the answers. Returns where it stopped: `end`, or
   * earlier when this client has had its turn (c.waiting 'turn') or does not read its answers
   * ('drain'). LOGOUT and STARTTLS end the input (c.waiting 'done').
   */
  private consume(c: Connection, buf: Buffer, start: number, end: number): number {
    const reader = c.reader;
    const session = c.session;
    if (this.unsent(c) > OUTPUT_HIGH_WATER) {
      c.waiting = 'drain';
      return start;
    }
    let budget = LINES_PER_TURN;
    let pos = start;
    let first: Answer | undefined;
    let more: Answer[] | undefined;
    let batched = 0;
    let logout = false;
    while (pos < end) {
      const windowEnd = Math.min(pos + READ_CHUNK, end);
      while (pos < windowEnd) {
        const r = reader.scan(buf, pos, windowEnd);
        pos = reader.next;
        if (r === Scan.Line) {
          budget--;
          this.answerDelay = 0;
          const a = this.answer(c, reader.words);
          if (this.answerDelay > 0 && !logout) {
            // the login throttle holds this answer; what came before it goes out now
            c.lastHeard = Date.now();
            this.flush(c, first, more, batched);
            this.holdAnswer(c, a, this.answerDelay);
            return pos;
          }
          batched += a.length;
          if (first === undefined) first = a;
          else (more ??= []).push(a);
          if (session.after === 'logout') {
            // after LOGOUT NUT still answers the rest of that read, then closes
            logout = true;
          } else if (session.after === 'starttls' && !logout) {
            session.after = undefined;
            this.flush(c, first, more, batched);
            c.waiting = 'done';
            c.pending = undefined;
            this.upgrade(c);
            return end;
          }
        } else if (r === Scan.Error) {
          const line = this.parseErrors.admit(`Parse error on sock: ${reader.errorMessage}`);
          if (line) this.log('notice', line);
          pos = windowEnd;
        }
      }
      if (logout) {
        this.flush(c, first, more, batched);
        c.waiting = 'done';
        c.pending = undefined;
        c.socket.end();
        this.finishLogout(c);
        return end;
      }
      if (pos < end) {
        if (budget <= 0) {
          // let other clients in; this one continues on the next turn
          c.waiting = 'turn';
          break;
        }
        if (batched >= BATCH_MAX) {
          this.flush(c, first, more, batched);
          first = more = undefined;
          batched = 0;
        }
        if (this.unsent(c) > OUTPUT_HIGH_WATER) {
          // resume on 'drain'
          c.waiting = 'drain';
          break;
        }
      }
    }
    if (first !== undefined) {
      c.lastHeard = Date.now();
      this.flush(c, first, more, batched);
    }
    return pos;
  }

  /**
   * One write for a read's answers: a lone answer goes out as it is, a few small ones as one
   * Buffer, larger batches as one writev of the answers (cached listing texts are not copied).
   */
  private flush(c: Connection, first: Answer | undefined, more: Answer[] | undefined, bytes: number): void {
    if (first === undefined || c.closed) return;
    const socket = c.socket;
    if (more === undefined) {
      this.write(c, first);
      return;
    }
    if (bytes <= SMALL_BATCH) {
      const out = Buffer.allocUnsafe(bytes * 3);
      let at = typeof first === 'string' ? out.write(first, 0) : first.copy(out, 0);
      for (const a of more) at += typeof a === 'string' ? out.write(a, at) : a.copy(out, at);
      this.write(c, out.subarray(0, at));
      return;
    }
    socket.cork();
    socket.write(first);
    for (const a of more) socket.write(a);
    socket.uncork();
  }

  private endGracefully(c: Connection): void {
    if (c.closed) return;
    c.socket.end();
    c.socket.once('finish', () => this.dropConnection(c));
  }

  /** One complete request line → its answer; a failing device never takes the server down. */
  /** Writes `a` after `ms` (login throttle), then goes on with what the client sent since. */
  private holdAnswer(c: Connection, a: Answer, ms: number): void {
    c.waiting = 'throttle';
    c.socket.pause();
    const timer = setTimeout(() => {
      if (c.closed) return;
      c.waiting = undefined;
      this.write(c, a);
      if (c.pending) this.pump(c);
      else if (c.eof) this.endGracefully(c);
      else c.socket.resume();
    }, ms);
    c.socket.once('close', () => clearTimeout(timer));
  }

  private answer(c: Connection, words: readonly string[]): Answer {
    try {
      return execute(this.ctx, c.session, words);
    } catch (e) {
      this.log('error', `request from ${c.session.addr} failed (${words.join(' ')}): ${(e as Error).stack ?? e}`);
      return err('INVALID-ARGUMENT');
    }
  }

  private finishLogout(c: Connection): void {
    // NUT closes the connection on its next loop pass, after the answer went out
    const s = c.socket;
    s.once('finish', () => this.dropConnection(c));
    setTimeout(() => this.dropConnection(c), 1000).unref();
  }

  private upgrade(c: Connection): void {
    const raw = c.socket;
    const context = this.secureContext;
    if (!context) return;
    c.handle = undefined;
    raw.pause();
    raw.removeAllListeners('data');
    raw.removeAllListeners('drain');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.on('error', () => this.dropConnection(c));
    raw.write('', () => {
      if (c.closed) return;
      const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
      c.socket = secure;
      c.session.tls = true;
      c.reader.reset();
      c.waiting = undefined;
      secure.on('error', (e) => {
        this.log('notice', `SSL error from ${c.session.addr}: ${e.message}`);
        this.dropConnection(c);
      });
      this.attach(c, secure, true);
    });
  }
}

export function defaultListen(port = DEFAULT_PORT): ListenAddress[] {
  return [
    { host: '::1', port },
    { host: '127.0.0.1', port },
  ];
}
