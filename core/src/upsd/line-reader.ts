/**
 * Request lines out of received bytes. A plain line (words of printable ASCII without `"`,
 * `\`, `#` or `=`, separated by blanks, ending within the bytes at hand) is split straight
 * into a reused word array; anything else, and any line that continues in a later read, goes
 * through NUT's parseconf machine byte by byte, which gives the same words.
 */
import { Feed, ParseconfMachine, WORD_COUNT_LIMIT, WORD_LENGTH_LIMIT } from '../config/parseconf.js';

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

/** Recently seen words, by a hash of their bytes: clients repeat the same few words. */
const INTERN_SLOTS = 1024;
const INTERN_MAX_LENGTH = 40;
const interned: Array<string | undefined> = new Array(INTERN_SLOTS).fill(undefined);

/** The word in buf[start, end) as a string, without a new string when it was seen recently. */
function word(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > INTERN_MAX_LENGTH) return latin1(buf, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]) | 0;
  const slot = (h ^ (h >>> 10)) & (INTERN_SLOTS - 1);
  const known = interned[slot];
  if (known !== undefined && known.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (known.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const s = latin1(buf, start, end);
  interned[slot] = s;
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
  private current: string[] = [];
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
    const words: string[] = [];
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
          if (words.length === WORD_COUNT_LIMIT || i - wordStart > WORD_LENGTH_LIMIT) return false;
          words.push(word(buf, wordStart, i));
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
