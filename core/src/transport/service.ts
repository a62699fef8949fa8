/**
 * The host's device broker. Each instance run gets a MessagePort (attach); its requests are
 * checked here (whose handle, which port is already taken, where a port is redirected) and
 * passed to the transport process, which runs the native modules. The process starts with
 * the first device call, so hosts without devices never pay for it; if it dies, every call
 * and handle in it fails with ELOST, the locks it held are released, and it is started again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { TransportError, type DeviceAccess, type SerialOptions } from '../plugin-api/transports.js';
import { Dispatcher } from './dispatcher.js';
import { toWire } from './errors.js';
import { LocalDevices } from './local-devices.js';
import { deviceKey, LockTable } from './lock-table.js';
import { ROOT, type BrokerReply, type BrokerRequest } from './protocol.js';

export type TransportMode = 'process' | 'main-thread';
export type TransportLogger = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export interface TransportServiceOptions {
  /** 'process' (default): native modules in a supervised child; 'main-thread': in the host itself. */
  mode?: TransportMode;
  /** Port names mapped to other paths (a simulator's pty) before anything opens them. */
  redirects?: Record<string, string>;
  log?: TransportLogger;
  /** The transport process script (default core/dist/transport/process-main.js). */
  processPath?: string;
  /** Environment of the transport process (default: the host's). */
  env?: NodeJS.ProcessEnv;
  /** main-thread mode: the devices to serve (default: this host's serial/USB/HID backends). */
  devices?: () => DeviceAccess & { closeAll?(): Promise<void> };
}

export interface AttachOptions {
  /** ups.conf `nolock`: serial ports of this instance are opened without the OS lock. */
  nolock?: boolean;
}

/** core/dist/transport/process-main.js, from either core/src/transport or core/dist/transport. */
export function defaultProcessPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'transport', 'process-main.js');
}

/** Where requests go: the transport process, or a dispatcher on this thread. */
interface Link {
  send(m: BrokerRequest): void;
  close(): Promise<void>;
  readonly pid: number | undefined;
}

interface Attached {
  instanceId: string;
  upsname: string;
  nolock: boolean;
  port: MessagePort;
  /** The worker's call ids → the broker's. */
  calls: Map<number, number>;
  gone: boolean;
}

interface InFlight {
  att: Attached | undefined;
  localId: number;
  lockKey?: string;
}

interface OpenHandle {
  att: Attached;
  lockKey?: string;
}

const ID_RANGE = 1_000_000_000;

export class TransportService {
  private readonly mode: TransportMode;
  private readonly redirects: Map<string, string>;
  private readonly log: TransportLogger;
  private readonly processPath: string;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly makeDevices: () => DeviceAccess & { closeAll?(): Promise<void> };
  private readonly attached = new Map<string, Attached>();
  private readonly inFlight = new Map<number, InFlight>();
  private readonly handles = new Map<number, OpenHandle>();
  private readonly locks = new LockTable();
  /** Why recently lost handles went away, for calls that were already on their way. */
  private readonly lostWhy = new Map<number, string>();
  private link: Link | undefined;
  private nextCall = 1;
  private generation = 0;
  private startedAt = 0;
  private quickDeaths = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Transport processes started so far (the first one included). */
  starts = 0;

  constructor(options: TransportServiceOptions = {}) {
    this.mode = options.mode ?? 'process';
    this.redirects = new Map(Object.entries(options.redirects ?? {}));
    this.log = options.log ?? (() => {});
    this.processPath = options.processPath ?? defaultProcessPath();
    this.env = options.env;
    this.makeDevices = options.devices ?? (() => new LocalDevices());
  }

  /** Pid of the running transport process (undefined: not started, or main-thread mode). */
  get pid(): number | undefined {
    return this.link?.pid;
  }

  get running(): boolean {
    return this.link !== undefined;
  }

  /** The port a worker's createDeviceClient() talks on, for one run of one instance. */
  attach(instanceId: string, upsname: string, options: AttachOptions = {}): MessagePort {
    if (this.attached.has(instanceId)) this.detach(instanceId);
    const { port1, port2 } = new MessageChannel();
    const att: Attached = { instanceId, upsname, nolock: options.nolock === true, port: port1, calls: new Map(), gone: false };
    this.attached.set(instanceId, att);
    port1.on('message', (m: BrokerRequest) => this.request(att, m));
    port1.unref();
    return port2;
  }

  /**
   * attach() in the shape a pool of workers asks for it: one channel per run of an instance,
   * the port to move with its start message, and the detach for when the run ends.
   */
  forWorkers(): {
    attach(
      instance: string,
      spec: { upsname: string; options: Record<string, string | true>; mode?: 'run' | 'shutdown' },
    ): { channel: MessagePort; transfer: MessagePort[]; detach(): void };
  } {
    let runs = 0;
    return {
      attach: (instance, spec) => {
        const key = `${instance}#${++runs}`;
        // A shutdown run opens the port without its lock, as NUT's driver -k does.
        const channel = this.attach(key, spec.upsname, { nolock: spec.options.nolock === true || spec.mode === 'shutdown' });
        return { channel, transfer: [channel], detach: () => this.detach(key) };
      },
    };
  }

  /** The run ended: its handles are closed, its locks released, its port closed. */
  detach(instanceId: string): void {
    const att = this.attached.get(instanceId);
    if (!att) return;
    this.attached.delete(instanceId);
    att.gone = true;
    for (const [id, h] of this.handles) {
      if (h.att !== att) continue;
      this.handles.delete(id);
      this.closeInTransport(id);
    }
    for (const f of this.inFlight.values()) if (f.att === att) f.att = undefined;
    this.locks.releaseAll(instanceId);
    att.port.close();
  }

  private closeInTransport(handle: number): void {
    if (!this.link) return;
    const id = this.nextCall++;
    this.inFlight.set(id, { att: undefined, localId: 0 });
    this.link.send({ t: 'call', id, handle, method: 'close', args: [] });
  }

  private reply(att: Attached | undefined, m: BrokerReply): void {
    if (!att || att.gone) return;
    try {
      att.port.postMessage(m);
    } catch {
      // the worker is gone; detach() follows
    }
  }

  private owned(att: Attached, handle: number): boolean {
    return this.handles.get(handle)?.att === att;
  }

  private request(att: Attached, m: BrokerRequest): void {
    if (att.gone || this.closed) return;
    switch (m.t) {
      case 'call': {
        if (m.handle !== ROOT && !this.owned(att, m.handle)) {
          const why = this.lostWhy.get(m.handle) ?? 'the device handle is gone (the device or its transport went away)';
          this.reply(att, { t: 'error', id: m.id, error: { code: 'ELOST', message: why } });
          return;
        }
        if (m.handle === ROOT && m.method === 'openSerial') {
          this.prepareSerialOpen(att, m.args).then(
            ({ args, lockKey }) => this.forward(att, m, args, lockKey),
            (e: unknown) => this.reply(att, { t: 'error', id: m.id, error: toWire(e) }),
          );
          return;
        }
        this.forward(att, m, m.args, undefined);
        return;
      }
      case 'cancel': {
        const id = att.calls.get(m.id);
        if (id !== undefined) this.link?.send({ t: 'cancel', id });
        return;
      }
      case 'subscribe':
      case 'unsubscribe':
        if (this.owned(att, m.handle)) this.link?.send(m);
        return;
      default:
        return;
    }
  }

  private forward(att: Attached, m: Extract<BrokerRequest, { t: 'call' }>, args: unknown[], lockKey: string | undefined): void {
    if (att.gone || this.closed) {
      if (lockKey) this.locks.release(lockKey, att.instanceId);
      return;
    }
    let link: Link;
    try {
      link = this.ensureLink();
    } catch (e) {
      if (lockKey) this.locks.release(lockKey, att.instanceId);
      this.reply(att, { t: 'error', id: m.id, error: toWire(e) });
      return;
    }
    const id = this.nextCall++;
    this.inFlight.set(id, { att, localId: m.id, lockKey });
    att.calls.set(m.id, id);
    link.send({ ...m, id, args });
  }

  /** Redirect, nolock, and this host's own lock on the port. */
  private async prepareSerialOpen(att: Attached, args: unknown[]): Promise<{ args: unknown[]; lockKey: string }> {
    const asked = typeof args[0] === 'string' ? args[0] : '';
    if (asked === '') throw new TransportError('ENOENT', 'no serial port given (set port in ups.conf)');
    const path = this.redirects.get(asked) ?? asked;
    if (path !== asked) this.log('debug', `[${att.upsname}] serial port ${asked} redirected to ${path}`);
    const options = { ...((args[1] ?? {}) as SerialOptions) };
    if (att.nolock) options.lock = false;
    const lockKey = await deviceKey(path);
    if (att.gone) throw new TransportError('ECLOSED', 'the instance has stopped');
    this.locks.claim(lockKey, asked, { instanceId: att.instanceId, upsname: att.upsname });
    return { args: [path, options, ...args.slice(2)], lockKey };
  }

  private answer(m: BrokerReply): void {
    switch (m.t) {
      case 'result':
      case 'error': {
        const f = this.inFlight.get(m.id);
        if (!f) return;
        this.inFlight.delete(m.id);
        f.att?.calls.delete(f.localId);
        if (m.t === 'result' && m.handle) {
          if (!f.att || f.att.gone) {
            // opened for a run that has ended meanwhile
            if (f.lockKey) this.locks.release(f.lockKey, f.att?.instanceId ?? '');
            this.closeInTransport(m.handle.id);
            return;
          }
          this.handles.set(m.handle.id, { att: f.att, lockKey: f.lockKey });
        } else if (f.lockKey && f.att) {
          this.locks.release(f.lockKey, f.att.instanceId);
        }
        this.reply(f.att, { ...m, id: f.localId });
        return;
      }
      case 'event': {
        this.reply(this.handles.get(m.handle)?.att, m);
        return;
      }
      case 'closed': {
        const h = this.handles.get(m.handle);
        if (!h) return;
        this.handles.delete(m.handle);
        if (h.lockKey) this.locks.release(h.lockKey, h.att.instanceId);
        this.reply(h.att, m);
        return;
      }
      default:
        return;
    }
  }

  private ensureLink(): Link {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    this.link ??= this.mode === 'main-thread' ? this.inlineLink() : this.processLink();
    return this.link;
  }

  private inlineLink(): Link {
    const devices = this.makeDevices();
    const dispatcher = new Dispatcher(devices, (m) => queueMicrotask(() => this.answer(m)));
    this.starts++;
    return {
      pid: undefined,
      send: (m) => dispatcher.handle(m),
      close: async () => {
        await devices.closeAll?.();
      },
    };
  }

  private processLink(): Link {
    const path = this.processPath;
    if (!existsSync(path)) throw new TransportError('EIO', `device transport missing: ${path} (run npm run build)`);
    const generation = ++this.generation;
    const child: ChildProcess = fork(path, [`--id-base=${(generation % 2000) * ID_RANGE}`], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: ['--max-semi-space-size=1'],
      env: this.env ?? process.env,
    });
    this.starts++;
    this.startedAt = Date.now();
    const pipe = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') => {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim() !== '') this.log(level, `device transport: ${line}`);
      });
    };
    pipe(child.stdout, 'info');
    pipe(child.stderr, 'warn');
    child.on('message', (m: BrokerReply) => this.answer(m));
    child.on('error', (e) => this.log('error', `device transport: ${e.message}`));
    let exited = false;
    const exitedP = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const link: Link = {
      pid: child.pid,
      send: (m) => {
        if (exited || !child.connected) return this.failCall(m);
        child.send(m, (err) => {
          // A send that fails because the process is dying is answered when it has exited,
          // with the reason (signal or code), unless lost() has answered it already.
          if (err) void exitedP.then(() => this.failCall(m));
        });
      },
      close: async () => {
        if (!exited) child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exitedP;
        clearTimeout(t);
      },
    };
    child.once('exit', (code, signal) => {
      exited = true;
      if (this.link === link) this.lost(code, signal);
    });
    return link;
  }

  /** A request that could not be sent: answered at once with ELOST. */
  private failCall(m: BrokerRequest): void {
    if (m.t !== 'call' || !this.inFlight.has(m.id)) return;
    this.answer({ t: 'error', id: m.id, error: { code: 'ELOST', message: 'the device transport process is gone' } });
  }

  /** The transport process died: everything in it is lost; start it again. */
  private lost(code: number | null, signal: NodeJS.Signals | null): void {
    this.link = undefined;
    if (this.closed) return;
    const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const handles = [...this.handles];
    this.handles.clear();
    const calls = [...this.inFlight];
    this.inFlight.clear();
    for (const [, f] of calls) {
      f.att?.calls.delete(f.localId);
      if (f.lockKey && f.att) this.locks.release(f.lockKey, f.att.instanceId);
      this.reply(f.att, { t: 'error', id: f.localId, error: { code: 'ELOST', message: `the device transport process ${why}` } });
    }
    if (this.lostWhy.size > 10_000) this.lostWhy.clear();
    for (const [id, h] of handles) {
      if (h.lockKey) this.locks.release(h.lockKey, h.att.instanceId);
      const message = `device lost: the device transport process ${why}`;
      this.lostWhy.set(id, message);
      this.reply(h.att, { t: 'closed', handle: id, error: { code: 'ELOST', message } });
    }
    const lived = Date.now() - this.startedAt;
    this.quickDeaths = lived < 10_000 ? this.quickDeaths + 1 : 0;
    const delay = this.quickDeaths === 0 ? 0 : Math.min(5000, 250 * 2 ** (this.quickDeaths - 1));
    this.log('error', `device transport process ${why}; ${handles.length} open device handle(s) lost; restarting${delay ? ` in ${delay} ms` : ''}`);
    if (this.attached.size === 0) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closed && this.attached.size > 0) this.ensureLink();
    }, delay);
    this.restartTimer.unref();
  }

  /** Stops the transport process and forgets every instance (the host is closing). */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const id of [...this.attached.keys()]) this.detach(id);
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }
}
