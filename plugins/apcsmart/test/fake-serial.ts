/**
 * An in-memory SerialHandle wired to the simulator's SmartUps (no terminal, no socat), with
 * the plugin API's read/onData semantics, and a DeviceAccess that hands it out.
 */
import { TransportError, type DeviceAccess, type SerialHandle, type SerialReadOptions } from '../../../core/src/plugin-api/index.js';
import { parseDump } from '../src/simulator/dump.js';
import { SmartUps } from '../src/simulator/unit.js';

export class FakeSerial implements SerialHandle {
  readonly path = '/dev/fake';
  readonly written: string[] = [];
  private buffer: number[] = [];
  private wake: (() => void) | undefined;
  private pending = false;
  private data = new Set<(d: Uint8Array) => void>();
  private closers = new Set<(e?: TransportError) => void>();
  closed = false;
  /** Replaces every answer byte (a line full of garbage). */
  garble: ((text: string) => string) | undefined;
  readonly unit: SmartUps;

  constructor(dumpText: string) {
    this.unit = new SmartUps(parseDump(dumpText), { send: (t) => this.deliver(this.garble ? this.garble(t) : t), note: () => undefined });
  }

  /** Bytes from the unit, as if they came over the wire. */
  deliver(text: string): void {
    queueMicrotask(() => {
      const bytes = [...Buffer.from(text, 'latin1')];
      this.buffer.push(...bytes);
      if (this.pending) this.wake?.();
      else for (const l of this.data) l(new Uint8Array(bytes));
    });
  }

  async write(data: Uint8Array | string): Promise<void> {
    if (this.closed) throw new TransportError('ELOST', 'gone');
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    this.written.push(text);
    for (const ch of text) this.unit.receive(ch);
  }

  async read(o: SerialReadOptions = {}): Promise<Uint8Array> {
    const until = o.until === undefined ? [] : typeof o.until === 'number' ? [o.until] : [...o.until];
    const deadline = Date.now() + (o.timeoutMs ?? 3000);
    this.pending = true;
    try {
      for (;;) {
        if (this.closed) throw new TransportError('ELOST', 'gone');
        const at = until.length ? this.buffer.findIndex((b) => until.includes(b)) : -1;
        if (at >= 0) return new Uint8Array(this.buffer.splice(0, at + 1));
        if (!until.length && this.buffer.length) return new Uint8Array(this.buffer.splice(0));
        const left = deadline - Date.now();
        if (left <= 0) throw new TransportError('ETIMEDOUT', 'timeout');
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
        this.wake = undefined;
      }
    } finally {
      this.pending = false;
    }
  }

  async flushInput(): Promise<void> {
    this.buffer = [];
  }
  async setSignals(): Promise<void> {}
  async getSignals() {
    return { cts: false, dsr: false, dcd: false, ri: false };
  }
  onData(l: (d: Uint8Array) => void): () => void {
    this.data.add(l);
    return () => this.data.delete(l);
  }
  onClose(l: (e?: TransportError) => void): () => void {
    this.closers.add(l);
    return () => this.closers.delete(l);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.unit.close();
  }
  /** The cable is pulled. */
  unplug(): void {
    this.closed = true;
    this.wake?.();
    for (const l of this.closers) l(new TransportError('ELOST', 'gone'));
  }
}

export function fakeDevices(handle: () => SerialHandle): DeviceAccess {
  const fail = () => Promise.reject(new TransportError('EIO', 'serial only'));
  return { openSerial: async () => handle(), openUsb: fail, openHid: fail, listUsb: async () => [] };
}
