/**
 * Serves BrokerRequests against a DeviceAccess: keeps the handles it opened by id, calls any
 * method of a handle by name (so the serial, USB and HID handles need nothing of their own
 * here), forwards the events a client subscribed to, and reports every handle's end.
 */
import { TransportError, type DeviceAccess } from '../plugin-api/transports.js';
import { toWire } from './errors.js';
import { HANDLE_PROPS, isEventMethod, isHandle, ROOT, type BrokerReply, type BrokerRequest } from './protocol.js';

type AnyHandle = { close(): Promise<void>; onClose(l: (e?: unknown) => void): () => void } & Record<string, unknown>;

const ROOT_METHODS = new Set(['openSerial', 'openUsb', 'openHid', 'listUsb']);

export interface DispatcherOptions {
  /** First handle id (the host gives each transport process its own range). */
  idBase?: number;
}

export class Dispatcher {
  private readonly handles = new Map<number, AnyHandle>();
  private readonly subscriptions = new Map<string, () => void>();
  private readonly calls = new Map<number, AbortController>();
  private readonly closing = new Set<Promise<unknown>>();
  private nextId: number;

  constructor(
    private readonly devices: DeviceAccess,
    private readonly send: (m: BrokerReply) => void,
    options: DispatcherOptions = {},
  ) {
    this.nextId = (options.idBase ?? 0) + 1;
  }

  get openHandles(): number {
    return this.handles.size;
  }

  handle(m: BrokerRequest): void {
    switch (m.t) {
      case 'call':
        void this.call(m);
        break;
      case 'cancel':
        this.calls.get(m.id)?.abort();
        break;
      case 'subscribe':
        this.subscribe(m.handle, m.event);
        break;
      case 'unsubscribe': {
        const key = `${m.handle}:${m.event}`;
        this.subscriptions.get(key)?.();
        this.subscriptions.delete(key);
        break;
      }
      default:
        break;
    }
  }

  private target(handle: number, method: string): (...args: unknown[]) => unknown {
    if (handle === ROOT) {
      if (!ROOT_METHODS.has(method)) throw new TransportError('EIO', `no device call named ${method}`);
      const fn = (this.devices as unknown as Record<string, unknown>)[method] as (...a: unknown[]) => unknown;
      return fn.bind(this.devices);
    }
    const h = this.handles.get(handle);
    if (!h) throw new TransportError('ELOST', 'the device handle is gone (closed, or the device went away)');
    const fn = h[method];
    if (typeof fn !== 'function' || method === 'constructor' || method.startsWith('_') || isEventMethod(method)) {
      throw new TransportError('EIO', `device handle has no method ${method}`);
    }
    return (fn as (...a: unknown[]) => unknown).bind(h);
  }

  private async call(m: Extract<BrokerRequest, { t: 'call' }>): Promise<void> {
    const abort = new AbortController();
    this.calls.set(m.id, abort);
    try {
      const fn = this.target(m.handle, m.method);
      const args = [...m.args];
      if (m.signalAt !== undefined) {
        const opts = (args[m.signalAt] ?? {}) as Record<string, unknown>;
        args[m.signalAt] = { ...opts, signal: abort.signal };
      }
      // A handle closed just before is released first (its lock, its device claim).
      if (m.handle === ROOT && this.closing.size > 0) await Promise.allSettled([...this.closing]);
      const value = await fn(...args);
      if (m.handle === ROOT && isHandle(value)) {
        this.send({ t: 'result', id: m.id, handle: { id: this.register(value as AnyHandle), props: this.props(value as AnyHandle) } });
      } else {
        this.send({ t: 'result', id: m.id, value });
      }
    } catch (e) {
      this.send({ t: 'error', id: m.id, error: toWire(e) });
    } finally {
      this.calls.delete(m.id);
    }
  }

  private props(h: AnyHandle): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of HANDLE_PROPS) if (k in h) out[k] = h[k];
    return out;
  }

  private register(h: AnyHandle): number {
    const id = this.nextId++;
    this.handles.set(id, h);
    const originalClose = h.close.bind(h);
    // Track closes so a following open waits for the port/claim to be released.
    h.close = () => {
      const p = originalClose();
      this.closing.add(p);
      void p.finally(() => this.closing.delete(p)).catch(() => undefined);
      return p;
    };
    h.onClose((error?: unknown) => {
      if (!this.handles.delete(id)) return;
      for (const [key, off] of this.subscriptions) {
        if (key.startsWith(`${id}:`)) {
          off();
          this.subscriptions.delete(key);
        }
      }
      this.send({ t: 'closed', handle: id, error: error === undefined ? undefined : toWire(error) });
    });
    return id;
  }

  private subscribe(handle: number, event: string): void {
    const h = this.handles.get(handle);
    const key = `${handle}:${event}`;
    if (!h || !isEventMethod(event) || event === 'onClose' || typeof h[event] !== 'function' || this.subscriptions.has(key)) return;
    const off = (h[event] as (l: (...args: unknown[]) => void) => () => void).call(h, (...args: unknown[]) => {
      this.send({ t: 'event', handle, event, args });
    });
    this.subscriptions.set(key, off);
  }

  /** Closes every handle (the process is ending). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.handles.values()].map((h) => h.close()));
  }
}
