/**
 * The plugin worker's DeviceAccess: every call goes over a MessagePort to the host's
 * transport service, and every handle is a proxy whose methods are forwarded by name. A call
 * that gets no answer fails with ETIMEDOUT shortly after its own timeout (the transport side
 * may be hung); a handle whose device or transport process went away fails with ELOST.
 */
import {
  TransportError,
  type DeviceAccess,
  type HidHandle,
  type SerialHandle,
  type SerialOptions,
  type UsbDeviceInfo,
  type UsbHandle,
  type UsbMatch,
} from '../plugin-api/transports.js';
import { fromWire } from './errors.js';
import { isEventMethod, ROOT, type BrokerReply, type BrokerRequest, type HandleRef } from './protocol.js';

/** Margin over a call's own timeout before the client gives up on the transport side. */
export const REPLY_MARGIN_MS = 2000;
/** For calls that name no timeout (open, close, list). */
export const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

export interface BrokerPort {
  postMessage(message: BrokerRequest): void;
  on(event: 'message', listener: (message: BrokerReply) => void): unknown;
  /** A MessagePort also reports 'close' (the host detached this run). */
  once?(event: 'close', listener: () => void): unknown;
  unref?(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: TransportError): void;
  timer: NodeJS.Timeout;
  handle: number;
  method: string;
  offAbort?: () => void;
}

interface ProxyState {
  ended?: TransportError;
  listeners: Map<string, Set<(...args: unknown[]) => void>>;
}

function isOptions(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Array.isArray(v);
}

export class DeviceClient implements DeviceAccess {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly proxies = new Map<number, ProxyState>();
  private closed: TransportError | undefined;

  constructor(private readonly port: BrokerPort) {
    port.on('message', (m) => this.receive(m));
    port.once?.('close', () => this.disconnected());
    port.unref?.();
  }

  private receive(m: BrokerReply): void {
    switch (m.t) {
      case 'result':
      case 'error': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.settle(m.id, p);
        if (m.t === 'error') p.reject(fromWire(m.error));
        else p.resolve(m.handle ? this.proxy(m.handle) : m.value);
        break;
      }
      case 'event': {
        const state = this.proxies.get(m.handle);
        for (const l of [...(state?.listeners.get(m.event) ?? [])]) l(...m.args);
        break;
      }
      case 'closed':
        this.ended(m.handle, m.error ? fromWire(m.error) : undefined);
        break;
      default:
        break;
    }
  }

  /** The host closed the channel: nothing will answer any more. */
  private disconnected(): void {
    const gone = new TransportError('ECLOSED', 'the host closed this instance\'s device channel');
    for (const [id, p] of [...this.pending]) {
      this.settle(id, p);
      p.reject(gone);
    }
    for (const handle of [...this.proxies.keys()]) this.ended(handle, undefined);
    this.closed = gone;
  }

  private settle(id: number, p: Pending): void {
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.offAbort?.();
  }

  private ended(handle: number, error: TransportError | undefined): void {
    const state = this.proxies.get(handle);
    if (!state || state.ended) return;
    state.ended = error ?? new TransportError('ECLOSED', 'the device handle is closed');
    for (const [id, p] of this.pending) {
      if (p.handle !== handle) continue;
      this.settle(id, p);
      // close() is answered after the handle reports its end: that end is its success.
      if (p.method === 'close') p.resolve(undefined);
      else p.reject(state.ended);
    }
    const closeListeners = [...(state.listeners.get('onClose') ?? [])];
    state.listeners.clear();
    this.proxies.delete(handle);
    for (const l of closeListeners) l(error);
  }

  /** Sends a call and waits for its answer (or its timeout, or its caller's abort). */
  call(handle: number, method: string, args: unknown[], proxyState?: ProxyState): Promise<unknown> {
    // A proxy passes its own state: it outlives the table entry, so a lost handle says ELOST.
    const state = handle === ROOT ? undefined : (proxyState ?? this.proxies.get(handle));
    if (handle !== ROOT && (!state || state.ended)) {
      return Promise.reject(state?.ended ?? new TransportError('ECLOSED', 'the device handle is closed'));
    }
    const id = this.nextId++;
    let signal: AbortSignal | undefined;
    let signalAt: number | undefined;
    let timeoutMs: number | undefined;
    const sent = args.map((a, i) => {
      if (!isOptions(a)) return a;
      if (typeof a.timeoutMs === 'number') timeoutMs = a.timeoutMs;
      if (!(a.signal instanceof AbortSignal)) return a;
      signal = a.signal;
      signalAt = i;
      const { signal: _dropped, ...rest } = a;
      return rest;
    });
    if (signal?.aborted) return Promise.reject(new TransportError('ECLOSED', `${method} aborted`));
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const limit = timeoutMs !== undefined ? timeoutMs + REPLY_MARGIN_MS : DEFAULT_REPLY_TIMEOUT_MS;
      const p: Pending = {
        resolve,
        reject,
        handle,
        method,
        timer: setTimeout(() => {
          this.settle(id, p);
          this.post({ t: 'cancel', id });
          reject(new TransportError('ETIMEDOUT', `${method}: no answer from the device transport within ${limit} ms`));
        }, limit),
      };
      if (signal) {
        const s = signal;
        const onAbort = () => {
          this.settle(id, p);
          this.post({ t: 'cancel', id });
          reject(new TransportError('ECLOSED', `${method} aborted`));
        };
        s.addEventListener('abort', onAbort, { once: true });
        p.offAbort = () => s.removeEventListener('abort', onAbort);
      }
      this.pending.set(id, p);
      if (!this.post({ t: 'call', id, handle, method, args: sent, signalAt })) {
        this.settle(id, p);
        reject(new TransportError('ELOST', 'the device transport is not reachable'));
      }
    });
  }

  /**
   * The instance's ctx.signal: when it fires (the instance is stopping), the calls waiting at
   * that moment end with ECLOSED. Later calls still go through: cleanup may need the device.
   */
  bindSignal(signal: AbortSignal): void {
    const onAbort = () => {
      for (const [id, p] of [...this.pending]) {
        this.settle(id, p);
        this.post({ t: 'cancel', id });
        p.reject(new TransportError('ECLOSED', `${p.method}: the instance is stopping`));
      }
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }

  private post(m: BrokerRequest): boolean {
    try {
      this.port.postMessage(m);
      return true;
    } catch {
      return false;
    }
  }

  private proxy(ref: HandleRef): unknown {
    const state: ProxyState = { listeners: new Map() };
    this.proxies.set(ref.id, state);
    const client = this;
    const methods = new Map<string, unknown>();
    return new Proxy(Object.freeze({ ...ref.props }), {
      get(target, name) {
        if (typeof name !== 'string') return undefined;
        if (name in target) return (target as Record<string, unknown>)[name];
        if (name === 'then') return undefined; // not a thenable
        let fn = methods.get(name);
        if (!fn) {
          fn = isEventMethod(name) ? (listener: (...a: unknown[]) => void) => client.listen(ref.id, state, name, listener) : (...args: unknown[]) => client.call(ref.id, name, args, state);
          methods.set(name, fn);
        }
        return fn;
      },
    });
  }

  private listen(handle: number, state: ProxyState, event: string, listener: (...a: unknown[]) => void): () => void {
    if (state.ended) {
      if (event === 'onClose') {
        const lost = state.ended.code === 'ECLOSED' ? undefined : state.ended;
        queueMicrotask(() => listener(lost));
      }
      return () => {};
    }
    let set = state.listeners.get(event);
    if (!set) {
      set = new Set();
      state.listeners.set(event, set);
    }
    const first = set.size === 0;
    set.add(listener);
    if (first && event !== 'onClose') this.post({ t: 'subscribe', handle, event });
    return () => {
      const s = state.listeners.get(event);
      if (!s?.delete(listener) || s.size > 0 || state.ended) return;
      if (event !== 'onClose') this.post({ t: 'unsubscribe', handle, event });
    };
  }

  openSerial(path?: string, options?: SerialOptions): Promise<SerialHandle> {
    return this.call(ROOT, 'openSerial', [path, options]) as Promise<SerialHandle>;
  }

  openUsb(match: UsbMatch): Promise<UsbHandle> {
    return this.call(ROOT, 'openUsb', [match]) as Promise<UsbHandle>;
  }

  openHid(match: UsbMatch): Promise<HidHandle> {
    return this.call(ROOT, 'openHid', [match]) as Promise<HidHandle>;
  }

  listUsb(): Promise<UsbDeviceInfo[]> {
    return this.call(ROOT, 'listUsb', []) as Promise<UsbDeviceInfo[]>;
  }
}

/**
 * The worker side of one instance's device port (the host passes the port in its start
 * message). `signal`: the instance's ctx.signal (see DeviceClient.bindSignal).
 */
export function createDeviceClient(port: BrokerPort, signal?: AbortSignal): DeviceClient {
  const client = new DeviceClient(port);
  if (signal) client.bindSignal(signal);
  return client;
}

/** A worker's DeviceAccess from the channel its start message carried (none: no devices). */
export function devicesFromChannel(channel: unknown, signal?: AbortSignal): DeviceClient | undefined {
  const port = channel as Partial<BrokerPort> | undefined;
  if (!port || typeof port.postMessage !== 'function' || typeof port.on !== 'function') return undefined;
  return createDeviceClient(port as BrokerPort, signal);
}
