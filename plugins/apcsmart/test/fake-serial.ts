/**
 * An in-memory SerialHandle wired to the simulator's SmartUps (no terminal, no socat), with
 * the plugin API's read/onData semantics, and a DeviceAccess that hands it out.
 */
import { TransportError, type DeviceAccess, type SerialHandle, type SerialReadOptions } from '../../../core/src/plugin-api/index.js';
import { SerialReader } from '../../../core/src/transport/serial-reader.js';
import { parseDump } from '../src/simulator/dump.js';
import { SmartUps } from '../src/simulator/unit.js';

export class FakeSerial implements SerialHandle {
  readonly path = '/dev/fake';
  readonly written: string[] = [];
  /** The host's receive side: bytes nobody reads go to onData listeners. */
  private readonly reader = new SerialReader();
  private closers = new Set<(e?: TransportError) => void>();
  closed = false;
  /** Rewrites every answer (a line full of garbage). */
  garble: ((text: string) => string) | undefined;
  readonly unit: SmartUps;

  constructor(dumpText: string) {
    this.unit = new SmartUps(parseDump(dumpText), { send: (t) => this.deliver(this.garble ? this.garble(t) : t), note: () => undefined });
  }

  /** Bytes from the unit, as if they came over the wire. */
  deliver(text: string): void {
    queueMicrotask(() => this.reader.push(new Uint8Array(Buffer.from(text, 'latin1'))));
  }

  async write(data: Uint8Array | string): Promise<void> {
    if (this.closed) throw new TransportError('ELOST', 'gone');
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    this.written.push(text);
    for (const ch of text) this.unit.receive(ch);
  }

  async query(command: Uint8Array | string, o: SerialReadOptions = {}): Promise<Uint8Array> {
    const answer = this.reader.read(o);
    await this.write(command);
    return answer;
  }

  read(o: SerialReadOptions = {}): Promise<Uint8Array> {
    return this.reader.read(o);
  }

  async flushInput(): Promise<void> {
    this.reader.flush();
  }
  async setSignals(): Promise<void> {}
  async getSignals() {
    return { cts: false, dsr: false, dcd: false, ri: false };
  }
  onData(l: (d: Uint8Array) => void): () => void {
    return this.reader.onData(l);
  }
  onClose(l: (e?: TransportError) => void): () => void {
    this.closers.add(l);
    return () => this.closers.delete(l);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.reader.end(new TransportError('ECLOSED', 'closed'));
    this.unit.close();
  }
  /** The cable is pulled. */
  unplug(): void {
    this.closed = true;
    const e = new TransportError('ELOST', 'gone');
    this.reader.end(e);
    for (const l of this.closers) l(e);
  }
}

export function fakeDevices(handle: () => SerialHandle): DeviceAccess {
  const fail = () => Promise.reject(new TransportError('EIO', 'serial only'));
  return { openSerial: async () => handle(), openUsb: fail, openHid: fail, listUsb: async () => [] };
}
