/**
 * Request lines out of received bytes. A plain line (words of printable ASCII without `"`,
 * `\`, `#` or `=`, separated by blanks, ending within the bytes at hand) is split straight
 * into a reused word array; anything else, and any line that continues in a later read, goes
 * through NUT's parseconf machine byte by byte, which gives the same words.
 */
import { Feed, ParseconfMachine, WORD_COUNT_LIMIT } from '../config/parseconf.js';

const LF = 0x0a;

/** Per byte: 1 word character, 2 blank (C isspace() without LF), 0 needs the machine. */
const CLASS = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) CLASS[c] = 1;
for (const c of [0x22, 0x23, 0x5c, 0x3d]) CLASS[c] = 0;
for (const c of [0x20, 0x09, 0x0d, 0x0b, 0x0c]) CLASS[c] = 2;

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

export const enum Scan {
  /** A line is complete: words() holds it; next() tells where the following byte is. */
  Line = 1,
  /** A parse error (NUT drops the rest of that read). */
  Error = -1,
  /** The bytes ran out inside a line. */
  More = 0,
}

export class LineReader {
  private machine = new ParseconfMachine();
  /** The machine holds part of a line (started in an earlier read). */
  private inMachine = false;
  private readonly fast: string[] = [];
  private current: string[] = this.fast;
  /** Offset after the last scan. */
  next = 0;

  /** Words of the line just completed (valid until the next scan). */
  get words(): readonly string[] {
    return this.current;
  }

  get errorMessage(): string {
    return this.machine.errorMessage;
  }

  /** Forgets any partial line (a new TLS session starts clean). */
  reset(): void {
    this.machine = new ParseconfMachine();
    this.inMachine = false;
  }

  /** Reads from buf[start] up to end: one line, an error, or all bytes consumed (More). */
  scan(buf: Uint8Array, start: number, end: number): Scan {
    if (!this.inMachine) {
      const r = this.plain(buf, start, end);
      if (r) return Scan.Line;
    }
    const m = this.machine;
    for (let i = start; i < end; i++) {
      const r = m.feed(buf[i]);
      if (r === Feed.Line) {
        this.inMachine = false;
        this.current = m.words;
        this.next = i + 1;
        return Scan.Line;
      }
      if (r === Feed.Error) {
        this.inMachine = false;
        this.next = i + 1;
        return Scan.Error;
      }
    }
    this.inMachine = true;
    this.next = end;
    return Scan.More;
  }

  private plain(buf: Uint8Array, start: number, end: number): boolean {
    const words = this.fast;
    words.length = 0;
    let wordStart = -1;
    for (let i = start; i < end; i++) {
      const b = buf[i];
      const k = CLASS[b];
      if (k === 1) {
        if (wordStart < 0) wordStart = i;
        continue;
      }
      if (k === 2 || b === LF) {
        if (wordStart >= 0) {
          if (words.length === WORD_COUNT_LIMIT) return false;
          words.push(latin1(buf, wordStart, i));
          wordStart = -1;
        }
        if (b === LF) {
          this.current = words;
          this.next = i + 1;
          return true;
        }
        continue;
      }
      return false;
    }
    return false;
  }
}
