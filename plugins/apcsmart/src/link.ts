/**
 * The serial conversation with the unit: single-byte commands, CR LF terminated answers, and
 * the asynchronous alert characters that may arrive at any time (apcsmart.c's apc_read/
 * apc_write family). Never throws for device trouble: a failed exchange returns null.
 */
import { isTransportError, TransportError, type DriverContext, type SerialHandle } from '@nut-ts/core/plugin-api';

const LF = 0x0a;

/** Characters the unit sends unasked; each changes one status bit. */
export const ALERT_CHARS = '$!%+#?=';
/** Ignored while reading an answer: CR, EEPROM changed, Measure-UPS alarm register. */
const IGNORED_ALWAYS = '\r|&';
/** Ignored while reading the capability record (it starts with '#', which is not an alert there). */
const IGNORED_IN_CAPABILITIES = '\r|&$!%+?=';

export interface ReadMode {
  /** Milliseconds to wait for the answer (NUT: 3 s, 1.5 s for Y and shutdown replies, 6 s for a and ^Z). */
  timeoutMs: number;
  /** Act on alert characters met in the answer (otherwise they are dropped). */
  alerts?: boolean;
  /** Reading the capability record: keep '#'. */
  capabilities?: boolean;
  /** Reading the command set: keep every character. */
  commandSet?: boolean;
  /** A '*' means OK (the unit is about to switch off). */
  asteriskIsOk?: boolean;
}

/** What a read gave: the answer ('' on timeout or an empty line), or null when the line failed. */
export type Answer = string | null;

export class ApcLink {
  private handle: SerialHandle | undefined;
  private busy = 0;
  private unsubscribe: Array<() => void> = [];
  private lost = false;
  /**
   * Received bytes not yet consumed. Everything arrives through onData (this link never calls
   * the handle's read(), so no byte can fall between a read and a listener); inside an exchange
   * the bytes wait here for the answer, between exchanges they are alerts.
   */
  private rx: number[] = [];
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: DriverContext,
    /** Alert character seen (in an answer or unasked). */
    private readonly onAlert: (ch: string, unasked: boolean) => void,
    /** ttymode=raw: a line cut by a timeout is an error (canonical mode never delivers it). */
    private readonly rawTty = false,
  ) {}

  get isOpen(): boolean {
    return this.handle !== undefined && !this.lost;
  }

  attach(handle: SerialHandle): void {
    this.detach();
    this.handle = handle;
    this.lost = false;
    this.rx = [];
    // Whatever the port held before anyone listened is of no use.
    void handle.flushInput().catch(() => undefined);
    this.unsubscribe.push(
      handle.onData((data) => {
        if (this.busy > 0) {
          this.rx.push(...data);
          this.wake?.();
          return;
        }
        for (const b of data) {
          const ch = String.fromCharCode(b);
          if (ALERT_CHARS.includes(ch)) this.onAlert(ch, true);
        }
      }),
      handle.onClose(() => {
        this.lost = true;
        this.wake?.();
      }),
    );
  }

  detach(): SerialHandle | undefined {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    const h = this.handle;
    this.handle = undefined;
    this.wake?.();
    return h;
  }

  async close(): Promise<void> {
    const h = this.detach();
    if (h) await h.close().catch(() => undefined);
  }

  /** Runs one exchange: bytes arriving meanwhile are kept for its reads. */
  async exchange<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
    }
  }

  private failed(e: unknown, what: string): null {
    if (isTransportError(e, 'ELOST') || isTransportError(e, 'ECLOSED')) this.lost = true;
    this.ctx.log.debug(1, `serial port ${what} error: ${(e as Error).message}`);
    return null;
  }

  /** One byte; false when the write failed. */
  async write(ch: string): Promise<boolean> {
    const h = this.handle;
    if (!h || this.lost) return false;
    try {
      await h.write(Buffer.from(ch, 'latin1'));
      return true;
    } catch (e) {
      this.failed(e, 'write');
      return false;
    }
  }

  /**
   * Drops pending input; with alerts, alert characters in it are acted upon first (NUT's
   * apc_flush(SER_AA)).
   */
  async flush(alerts: boolean): Promise<void> {
    const pending = this.rx;
    this.rx = [];
    if (alerts) {
      for (const b of pending) {
        const ch = String.fromCharCode(b);
        if (ALERT_CHARS.includes(ch)) this.onAlert(ch, false);
      }
    }
  }

  /** Resolves when bytes arrive, the line goes away, the instance stops, or after ms. */
  private waitForBytes(ms: number): Promise<void> {
    const signal = this.ctx.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, signal.aborted ? 0 : Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** Reads one answer line as apc_read() does. */
  async read(mode: ReadMode): Promise<Answer> {
    if (!this.handle || this.lost) return null;
    const ignored = mode.commandSet ? '' : mode.capabilities ? IGNORED_IN_CAPABILITIES : mode.alerts ? IGNORED_ALWAYS : IGNORED_ALWAYS + ALERT_CHARS;
    const actOnAlerts = mode.alerts === true && !mode.commandSet && !mode.capabilities;
    let text = '';
    let sawBytes = false;
    const deadline = Date.now() + mode.timeoutMs;
    for (;;) {
      while (this.rx.length) {
        const b = this.rx.shift()!;
        const ch = String.fromCharCode(b);
        sawBytes = true;
        // What follows the line end waits for the next read, as in the canonical tty.
        if (b === LF) return text;
        if (ch === '*' && mode.asteriskIsOk) {
          // The unit may follow '*' with OK and a line end: swallow that for a second.
          await this.waitForBytes(1000);
          await this.waitForBytes(100);
          this.rx = [];
          return 'OK';
        }
        // The canonical tty NUT sets up drops CR (IGNCR) before anything reads it.
        if (ch === '\r' && !this.rawTty) continue;
        if (ignored.includes(ch) || ch === '*') continue;
        if (actOnAlerts && ALERT_CHARS.includes(ch)) {
          this.onAlert(ch, false);
          continue;
        }
        text += ch;
        if (text.length >= 511) {
          this.rx = [];
          return this.failed(new Error('answer longer than 511 bytes'), 'read overflow');
        }
      }
      if (!this.handle || this.lost) return this.failed(new TransportError('ELOST', 'the port went away'), 'read');
      const left = this.ctx.signal.aborted ? 0 : deadline - Date.now();
      if (left <= 0) {
        // A line cut short: the canonical tty never hands it over (a plain timeout); raw mode sees it.
        if (sawBytes && this.rawTty) return null;
        return '';
      }
      await this.waitForBytes(left);
    }
  }

  /** Byte, then a 200 ms look for an unexpected answer, then the rest paced 50 ms apart. */
  async writeLong(text: string): Promise<boolean> {
    if (!(await this.write(text[0]))) return false;
    const peek = await this.read({ timeoutMs: 200 });
    if (peek !== '') return false;
    for (const ch of text.slice(1)) {
      if (!(await this.write(ch))) return false;
      await this.ctx.sleep(50);
    }
    return true;
  }

  /** Byte, 200 ms of expected silence, 1.3 s pause, byte again. */
  async writeTwice(ch: string): Promise<boolean> {
    if (!(await this.write(ch))) return false;
    const peek = await this.read({ timeoutMs: 200 });
    if (peek !== '') return false;
    await this.ctx.sleep(1300);
    return this.write(ch);
  }
}
