/**
 * The receive side of a serial handle, without the port: bytes come in with push(), read()
 * takes them out with NUT's ser_get_* shapes (up to a terminator, a count, or a quiet line),
 * and bytes that arrive while nobody reads go to onData listeners (APC alerts) or, with no
 * listener, wait in the buffer for the next read.
 *
 * A handle that reads its answers writes a command and then asks for the answer, and the
 * answer can come back before that read reaches us (the read travels from a worker through
 * the transport process). So once a handle has read at all, the bytes after each write wait
 * for the next read, and go to the listeners only if no read comes within ANSWER_GRACE_MS.
 */
import { TransportError, type SerialReadOptions } from '../plugin-api/transports.js';

export const DEFAULT_READ_TIMEOUT_MS = 3000;
export const DEFAULT_IDLE_MS = 50;
/** Input kept for a later read when nobody reads; older bytes are dropped beyond this. */
export const MAX_BUFFERED = 64 * 1024;
/** How long bytes after a write are kept for the read that takes the answer. */
export const ANSWER_GRACE_MS = 500;

interface PendingRead {
  options: SerialReadOptions;
  resolve(data: Uint8Array): void;
  reject(e: TransportError): void;
  timer: NodeJS.Timeout;
  idle?: NodeJS.Timeout;
  offAbort?: () => void;
}

/** Index one past the end of a complete answer in `buf`, or -1. */
export function completeAt(buf: Uint8Array, options: SerialReadOptions): number {
  const max = options.maxBytes !== undefined && options.maxBytes > 0 ? options.maxBytes : undefined;
  const until = options.until;
  if (until !== undefined) {
    const set = typeof until === 'number' ? [until] : until;
    const end = max === undefined ? buf.length : Math.min(buf.length, max);
    for (let i = 0; i < end; i++) if (set.includes(buf[i])) return i + 1;
  }
  if (max !== undefined && buf.length >= max) return max;
  return -1;
}

export class SerialReader {
  private buf: Uint8Array = new Uint8Array(0);
  private pending: PendingRead | undefined;
  /** Reads waiting for the pending one to finish. */
  private readonly waiting: Array<() => void> = [];
  private readonly dataListeners = new Set<(data: Uint8Array) => void>();
  private ended: TransportError | undefined;
  private readsAnswers = false;
  private answerDue: NodeJS.Timeout | undefined;

  /** Bytes from the port. */
  push(data: Uint8Array): void {
    if (this.ended) return;
    const p = this.pending;
    if (!p && this.dataListeners.size > 0 && !this.answerDue) {
      for (const l of [...this.dataListeners]) l(data);
      return;
    }
    this.append(data);
    if (p) this.progress(p, true);
  }

  private append(data: Uint8Array): void {
    const next = new Uint8Array(this.buf.length + data.length);
    next.set(this.buf);
    next.set(data, this.buf.length);
    this.buf = next.length > MAX_BUFFERED ? next.slice(next.length - MAX_BUFFERED) : next;
  }

  private take(n: number): Uint8Array {
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }

  /** A command went out: with a reading handle, what comes back waits for the next read. */
  wrote(): void {
    if (!this.readsAnswers || this.ended) return;
    if (this.answerDue) clearTimeout(this.answerDue);
    this.answerDue = setTimeout(() => this.answerNotRead(), ANSWER_GRACE_MS);
    this.answerDue.unref?.();
  }

  private answerNotRead(): void {
    this.answerDue = undefined;
    if (this.pending || this.buf.length === 0 || this.dataListeners.size === 0) return;
    const data = this.take(this.buf.length);
    for (const l of [...this.dataListeners]) l(data);
  }

  private stopWaitingForAnswer(): void {
    if (this.answerDue) clearTimeout(this.answerDue);
    this.answerDue = undefined;
  }

  onData(listener: (data: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  /** Reads one after the other, in call order. */
  read(options: SerialReadOptions = {}): Promise<Uint8Array> {
    if (!this.pending && this.waiting.length === 0) return this.readNow(options);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.push(() => this.readNow(options).then(resolve, reject));
    });
  }

  /** NUT's ser_flush_in: what was buffered is gone. */
  flush(): void {
    this.buf = new Uint8Array(0);
  }

  /** The port closed (ECLOSED) or went away (ELOST): the pending and every later read fail. */
  end(error: TransportError): void {
    if (this.ended) return;
    this.ended = error;
    this.stopWaitingForAnswer();
    const p = this.pending;
    if (p) this.settle(p, () => p.reject(error));
  }

  private readNow(options: SerialReadOptions): Promise<Uint8Array> {
    const refused = this.ended ?? (options.signal?.aborted ? new TransportError('ECLOSED', 'read aborted') : undefined);
    if (refused) {
      // never pending, so settle() will not start the next one
      queueMicrotask(() => this.waiting.shift()?.());
      return Promise.reject(refused);
    }
    this.readsAnswers = true;
    this.stopWaitingForAnswer();
    return new Promise<Uint8Array>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
      const p: PendingRead = {
        options,
        resolve,
        reject,
        timer: setTimeout(() => this.timeout(p), Math.max(0, timeoutMs)),
      };
      if (options.signal) {
        const onAbort = () => this.settle(p, () => reject(new TransportError('ECLOSED', 'read aborted')));
        options.signal.addEventListener('abort', onAbort, { once: true });
        p.offAbort = () => options.signal?.removeEventListener('abort', onAbort);
      }
      this.pending = p;
      this.progress(p, false);
    });
  }

  private settle(p: PendingRead, fn: () => void): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (p.idle) clearTimeout(p.idle);
    p.offAbort?.();
    fn();
    this.waiting.shift()?.();
  }

  private progress(p: PendingRead, fresh: boolean): void {
    const { until, maxBytes } = p.options;
    if (until !== undefined || (maxBytes !== undefined && maxBytes > 0)) {
      const end = completeAt(this.buf, p.options);
      if (end >= 0) this.settle(p, () => p.resolve(this.take(end)));
      return;
    }
    // A quiet line ends the answer: restart the idle clock with every byte.
    if (this.buf.length === 0) return;
    if (p.idle && !fresh) return;
    if (p.idle) clearTimeout(p.idle);
    p.idle = setTimeout(() => this.settle(p, () => p.resolve(this.take(this.buf.length))), p.options.idleMs ?? DEFAULT_IDLE_MS);
  }

  private timeout(p: PendingRead): void {
    if (this.buf.length > 0) this.settle(p, () => p.resolve(this.take(this.buf.length)));
    else this.settle(p, () => p.reject(new TransportError('ETIMEDOUT', `no answer within ${p.options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS} ms`)));
  }
}
