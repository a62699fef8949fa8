/**
 * Serial ports on serialport 12, in the process that calls it (the transport process, the
 * standalone driver, or a test). Ports are opened as NUT's ser_open()/ser_set_speed() do:
 * raw 8-bit line, no hang-up on close, and an exclusive flock() on the device unless
 * `lock: false` (NUT 2.8.0 on Linux locks the same way, so NUT's drivers and ours see each
 * other's locks). serialport is imported on the first open only.
 */
import { read } from 'node:fs';
import type { SerialPort as SerialPortType } from 'serialport';
import {
  TransportError,
  type CallOptions,
  type SerialHandle,
  type SerialOptions,
  type SerialReadOptions,
} from '../plugin-api/transports.js';
import { toTransportError } from './errors.js';
import { SerialReader } from './serial-reader.js';
import { CloseListeners } from './close-listeners.js';

export const DEFAULT_WRITE_TIMEOUT_MS = 3000;

/** What serialport's Linux/macOS binding exposes beyond its interface (bindings-cpp 12). */
interface BindingPort {
  fd: number | null;
  poller: { once(event: 'readable', cb: (err: Error | null) => void): void };
}

type SerialPortClass = typeof SerialPortType;
let serialPortClass: Promise<SerialPortClass> | undefined;

function loadSerialPort(): Promise<SerialPortClass> {
  serialPortClass ??= import('serialport').then((m) => m.SerialPort);
  return serialPortClass;
}

/** A pseudo-terminal has no modem lines: its ioctls fail with ENOTTY. */
function noModemLines(e: unknown): boolean {
  return /Inappropriate ioctl|ENOTTY|EINVAL|Invalid argument/i.test(e instanceof Error ? e.message : String(e));
}

function callback<T = void>(fn: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

function withTimeout<T>(work: Promise<T>, options: CallOptions | undefined, defaultMs: number, what: string): Promise<T> {
  const ms = options?.timeoutMs ?? defaultMs;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(() => reject(new TransportError('ETIMEDOUT', `${what} did not finish within ${ms} ms`))), ms);
    const onAbort = () => done(() => reject(new TransportError('ECLOSED', `${what} aborted`)));
    options?.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    function done(fn: () => void) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options?.signal?.removeEventListener('abort', onAbort);
      fn();
    }
    work.then(
      (v) => done(() => resolve(v)),
      (e: unknown) => done(() => reject(e)),
    );
  });
}

class SerialPortHandle implements SerialHandle {
  private readonly reader = new SerialReader();
  private readonly closeListeners = new CloseListeners();
  private ended: TransportError | undefined;

  constructor(
    readonly path: string,
    private readonly port: SerialPortType,
  ) {
    void this.receive();
    port.on('error', () => {
      // errors arrive again as the 'close' of a disconnected port, or as a failed call
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      this.finish(err ? new TransportError('ELOST', `${path}: device went away (${err.message})`) : undefined);
    });
  }

  /**
   * Reads the descriptor directly instead of through serialport's stream, which spins when a
   * pseudo-terminal hangs up (read() returning 0 bytes is retried at once, forever). Here a
   * 0-byte read or a read error means the device went away.
   */
  private async receive(): Promise<void> {
    const binding = this.port.port as unknown as BindingPort | undefined;
    const fd = binding?.fd;
    if (!binding || typeof fd !== 'number') return;
    const buf = Buffer.alloc(4096);
    while (!this.ended) {
      let n: number;
      try {
        n = await new Promise<number>((resolve, reject) => read(fd, buf, 0, buf.length, null, (e, bytes) => (e ? reject(e) : resolve(bytes))));
      } catch (e) {
        if (this.ended) return;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') {
          const err = await new Promise<Error | null>((resolve) => binding.poller.once('readable', resolve));
          if (err && !this.ended) this.lost(err.message);
          if (err) return;
          continue;
        }
        this.lost((e as Error).message);
        return;
      }
      if (this.ended) return;
      if (n === 0) {
        this.lost('hang-up');
        return;
      }
      this.reader.push(Uint8Array.prototype.slice.call(buf, 0, n));
    }
  }

  private lost(why: string): void {
    this.finish(new TransportError('ELOST', `${this.path}: device went away (${why})`));
    if (this.port.isOpen) this.port.close(() => undefined);
  }

  private finish(lost: TransportError | undefined): void {
    if (this.ended) return;
    this.ended = lost ?? new TransportError('ECLOSED', `${this.path} is closed`);
    this.reader.end(this.ended);
    this.closeListeners.notify(lost);
  }

  private check(): void {
    if (this.ended) throw this.ended;
  }

  async write(data: Uint8Array | string, options?: CallOptions): Promise<void> {
    this.check();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const work = callback((cb) => {
      this.port.write(bytes, (err) => {
        if (err) cb(err);
        else this.port.drain((e) => cb(e ?? null));
      });
    });
    this.reader.wrote();
    try {
      await withTimeout(work, options, DEFAULT_WRITE_TIMEOUT_MS, `write to ${this.path}`);
    } catch (e) {
      throw this.ended ?? toTransportError(e, this.path, 'serial', 'write to');
    }
  }

  read(options?: SerialReadOptions): Promise<Uint8Array> {
    return this.reader.read(options);
  }

  async query(command: Uint8Array | string, options?: SerialReadOptions): Promise<Uint8Array> {
    this.check();
    const writeFailed = new AbortController();
    const signal = options?.signal ? AbortSignal.any([options.signal, writeFailed.signal]) : writeFailed.signal;
    const answer = this.reader.read({ ...options, signal });
    try {
      await this.write(command, { signal: options?.signal });
    } catch (e) {
      writeFailed.abort();
      await answer.catch(() => undefined);
      throw e;
    }
    return answer;
  }

  async flushInput(): Promise<void> {
    this.check();
    this.reader.flush();
    try {
      await callback((cb) => this.port.flush((e) => cb(e ?? null)));
    } catch (e) {
      if (!noModemLines(e)) throw toTransportError(e, this.path, 'serial', 'flush');
    }
    this.reader.flush();
  }

  async setSignals(signals: { dtr?: boolean; rts?: boolean; brk?: boolean }): Promise<void> {
    this.check();
    try {
      await callback((cb) => this.port.set(signals, (e) => cb(e ?? null)));
    } catch (e) {
      if (!noModemLines(e)) throw toTransportError(e, this.path, 'serial', 'set lines of');
    }
  }

  async getSignals(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean; ri: boolean }> {
    this.check();
    try {
      const s = await callback<{ cts: boolean; dsr: boolean; dcd: boolean }>((cb) => this.port.get((e, v) => cb(e ?? null, v)));
      return { cts: s.cts, dsr: s.dsr, dcd: s.dcd, ri: false };
    } catch (e) {
      if (noModemLines(e)) return { cts: false, dsr: false, dcd: false, ri: false };
      throw toTransportError(e, this.path, 'serial', 'get lines of');
    }
  }

  onData(listener: (data: Uint8Array) => void): () => void {
    return this.reader.onData(listener);
  }

  onClose(listener: (error?: TransportError) => void): () => void {
    return this.closeListeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.finish(undefined);
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

/** Opens serial ports in this process; implements DeviceAccess.openSerial. */
export class SerialBackend {
  async openSerial(path?: string, options: SerialOptions = {}): Promise<SerialHandle> {
    if (path === undefined || path === '') throw new TransportError('ENOENT', 'no serial port given (set port in ups.conf)');
    const SerialPort = await loadSerialPort();
    const port = new SerialPort({
      path,
      baudRate: options.baudRate ?? 9600,
      dataBits: options.dataBits ?? 8,
      stopBits: options.stopBits ?? 1,
      parity: options.parity ?? 'none',
      rtscts: options.rtscts ?? false,
      xon: options.xonxoff ?? false,
      xoff: options.xonxoff ?? false,
      lock: options.lock !== false,
      // NUT's ser_set_speed() leaves HUPCL off: closing the port does not drop DTR.
      hupcl: false,
      autoOpen: false,
    });
    try {
      await callback((cb) => port.open((e) => cb(e ?? null)));
    } catch (e) {
      throw toTransportError(e, path, 'serial');
    }
    const handle = new SerialPortHandle(path, port);
    if (options.dtr !== undefined || options.rts !== undefined) {
      const lines: { dtr?: boolean; rts?: boolean } = {};
      if (options.dtr !== undefined) lines.dtr = options.dtr;
      if (options.rts !== undefined) lines.rts = options.rts;
      try {
        await handle.setSignals(lines);
      } catch (e) {
        await handle.close();
        throw e;
      }
    }
    return handle;
  }
}
