/**
 * NUT's "parseconf" grammar as a byte-level state machine. One machine serves every config
 * file, the driver socket and the network protocol.
 * Rules: reference/config-files.md §1 and net-protocol.md §2.
 */

export const WORD_LENGTH_LIMIT = 512;
export const WORD_COUNT_LIMIT = 32;

const LF = 0x0a;
const HASH = 0x23;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;

const enum State {
  FindWordStart,
  FindEndOfLine,
  QuoteCollect,
  QuoteLiteral,
  Collect,
  CollectLiteral,
  EndOfLine,
  ParseError,
}

export const enum Feed {
  More = 0,
  Line = 1,
  Error = -1,
}

function isSpace(ch: number): boolean {
  // C isspace() in the "C" locale, LF excluded (it ends the line)
  return ch === 0x20 || ch === 0x09 || ch === 0x0d || ch === 0x0b || ch === 0x0c;
}

export class ParseconfMachine {
  private state: State = State.FindWordStart;
  private word = new Uint8Array(WORD_LENGTH_LIMIT);
  private wordLength = 0;
  private argv: string[] = [];
  /** Characters outside 0x20–0x7F that were dropped (running count). */
  droppedChars = 0;
  /** Characters cut off words longer than the word limit (running count). */
  truncatedChars = 0;
  /** Words dropped beyond the per-line word limit (running count). */
  droppedWords = 0;
  errorMessage = '';

  constructor(
    private readonly wordLimit = WORD_LENGTH_LIMIT,
    private readonly argLimit = WORD_COUNT_LIMIT,
  ) {}

  /** Words of the line just completed (valid after feed() returned Line). */
  get words(): string[] {
    return this.argv;
  }

  /** True while part of a line has been read (words or a word in progress). */
  get midLine(): boolean {
    return (
      this.state !== State.FindWordStart && this.state !== State.EndOfLine && this.state !== State.ParseError
    ) || this.argv.length > 0 || this.wordLength > 0;
  }

  /** True inside a quoted word where a newline does not end the line (no backslash before it). */
  get inOpenQuote(): boolean {
    return this.state === State.QuoteCollect;
  }

  /** True while a word is being collected (so end of input must close it). */
  get inWord(): boolean {
    return this.wordLength > 0 || this.state === State.Collect || this.state === State.CollectLiteral;
  }

  reset(): void {
    this.state = State.FindWordStart;
    this.wordLength = 0;
    this.argv = [];
    this.errorMessage = '';
  }

  feed(ch: number): Feed {
    if (this.state === State.EndOfLine || this.state === State.ParseError) {
      this.argv = [];
      this.state = State.FindWordStart;
    }
    switch (this.state) {
      case State.FindWordStart:
        this.state = this.findWordStart(ch);
        break;
      case State.FindEndOfLine:
        if (ch === LF) this.state = State.EndOfLine;
        break;
      case State.QuoteCollect:
        this.state = this.quoteCollect(ch);
        break;
      case State.QuoteLiteral:
        if (ch !== LF) this.addChar(ch);
        this.state = State.QuoteCollect;
        break;
      case State.Collect:
        this.state = this.collect(ch);
        break;
      case State.CollectLiteral:
        if (ch !== LF) this.addChar(ch);
        this.state = State.Collect;
        break;
    }
    if (this.state === State.EndOfLine) return Feed.Line;
    if (this.state === State.ParseError) return Feed.Error;
    return Feed.More;
  }

  /** At end of input: close a word in progress; returns true if a line with words remains. */
  finish(): boolean {
    if (this.state === State.EndOfLine || this.state === State.ParseError) return false;
    if (this.inWord) this.endOfWord();
    const hasWords = this.argv.length > 0;
    this.state = State.EndOfLine;
    return hasWords;
  }

  private findWordStart(ch: number): State {
    if (ch === LF) return State.EndOfLine;
    if (ch === HASH) return State.FindEndOfLine;
    if (isSpace(ch)) return State.FindWordStart;
    if (ch === BACKSLASH) return State.CollectLiteral;
    if (ch === QUOTE) return State.QuoteCollect;
    this.addChar(ch);
    if (ch === EQUALS) {
      this.endOfWord();
      return State.FindWordStart;
    }
    return State.Collect;
  }

  private quoteCollect(ch: number): State {
    if (ch === HASH) {
      this.errorMessage = 'Unbalanced word due to unescaped # in quotes';
      this.endOfWord();
      return State.ParseError;
    }
    if (ch === QUOTE) {
      this.endOfWord();
      return State.FindWordStart;
    }
    if (ch === BACKSLASH) return State.QuoteLiteral;
    this.addChar(ch);
    return State.QuoteCollect;
  }

  private collect(ch: number): State {
    if (ch === HASH) {
      this.endOfWord();
      return State.FindEndOfLine;
    }
    if (ch === LF) {
      this.endOfWord();
      return State.EndOfLine;
    }
    if (isSpace(ch)) {
      this.endOfWord();
      return State.FindWordStart;
    }
    if (ch === BACKSLASH) return State.CollectLiteral;
    if (ch === EQUALS) {
      this.endOfWord();
      this.addChar(ch);
      this.endOfWord();
      return State.FindWordStart;
    }
    this.addChar(ch);
    return State.Collect;
  }

  private addChar(ch: number): void {
    // NUT 2.8.0 keeps DEL (0x7F); checked with dummy-ups in test/compat/config-parseconf-oracle.test.ts
    if (ch < 0x20 || ch > 0x7f) {
      this.droppedChars++;
      return;
    }
    if (this.wordLength >= this.wordLimit) {
      this.truncatedChars++;
      return;
    }
    this.word[this.wordLength++] = ch;
  }

  private endOfWord(): void {
    if (this.argv.length < this.argLimit) {
      this.argv.push(latin1(this.word, this.wordLength));
    } else {
      this.droppedWords++;
    }
    this.wordLength = 0;
  }
}

function latin1(bytes: Uint8Array, length: number): string {
  if (length === 0) return '';
  if (length < 64) {
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('latin1');
}

export interface ConfigLine {
  /** Words of one logical line. */
  words: string[];
  /** Physical line (1-based) where the logical line started. */
  line: number;
}

export interface ParseProblem {
  file: string;
  line: number;
  message: string;
}

/** Input the grammar silently loses, per physical line where the logical line started. */
export interface LossNote {
  line: number;
  /** Bytes outside 0x20–0x7F dropped. */
  droppedChars: number;
  /** Characters cut off words longer than 512. */
  truncatedChars: number;
  /** Words beyond the 32nd. */
  droppedWords: number;
  /** Newlines inside an unclosed quote: NUT drops them and reads the next line into the same word. */
  quotedNewlines?: number;
  /** The file ended inside a quote opened on this logical line. */
  quoteOpenAtEnd?: boolean;
}

export interface TokenizedFile {
  lines: ConfigLine[];
  errors: ParseProblem[];
  /** Count of bytes outside 0x20–0x7F that the grammar drops silently. */
  droppedChars: number;
  /** Where input was dropped or truncated (one entry per affected logical line). */
  losses: LossNote[];
}

/**
 * Splits a whole config file into logical lines of words. Line numbers are physical (more
 * useful than NUT's logical count); after a parse error the rest of the physical line is read
 * as a new line, as NUT does.
 */
export function tokenizeConfig(input: string | Uint8Array, file = '<input>'): TokenizedFile {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const machine = new ParseconfMachine();
  const lines: ConfigLine[] = [];
  const errors: ParseProblem[] = [];
  const losses: LossNote[] = [];
  let physicalLine = 1;
  let lineStart = 1;
  let started = false;
  let seen = { droppedChars: 0, truncatedChars: 0, droppedWords: 0 };
  let quotedNewlines = 0;
  const noteLosses = (line: number, quoteOpenAtEnd = false) => {
    const now = {
      droppedChars: machine.droppedChars,
      truncatedChars: machine.truncatedChars,
      droppedWords: machine.droppedWords,
    };
    const delta: LossNote = {
      line,
      droppedChars: now.droppedChars - seen.droppedChars,
      truncatedChars: now.truncatedChars - seen.truncatedChars,
      droppedWords: now.droppedWords - seen.droppedWords,
    };
    if (quotedNewlines) delta.quotedNewlines = quotedNewlines;
    if (quoteOpenAtEnd) delta.quoteOpenAtEnd = true;
    if (delta.droppedChars || delta.truncatedChars || delta.droppedWords || quoteOpenAtEnd) losses.push(delta);
    seen = now;
    quotedNewlines = 0;
  };
  for (let i = 0; i < bytes.length; i++) {
    const ch = bytes[i];
    if (!started) {
      lineStart = physicalLine;
      started = true;
    }
    if (ch === LF && machine.inOpenQuote) quotedNewlines++;
    const result = machine.feed(ch);
    if (ch === LF) physicalLine++;
    if (result === Feed.Line) {
      if (machine.words.length > 0) lines.push({ words: machine.words, line: lineStart });
      noteLosses(lineStart);
      started = false;
    } else if (result === Feed.Error) {
      errors.push({ file, line: physicalLine, message: machine.errorMessage });
      noteLosses(lineStart);
      started = false;
    }
  }
  // NUT's pconf_file_next: a last line without LF counts only if a word was already complete
  // (a lone unterminated word is lost, as with `nolock` on the last line without LF).
  const quoteOpenAtEnd = started && machine.inOpenQuote;
  if (started && machine.words.length > 0 && machine.finish()) lines.push({ words: machine.words, line: lineStart });
  if (started) noteLosses(lineStart, quoteOpenAtEnd);
  return { lines, errors, droppedChars: machine.droppedChars, losses };
}

/** NUT's pconf_encode: backslash before `\`, `"` and `#`, nothing else. */
export function encodeValue(value: string): string {
  if (!/[\\"#]/.test(value)) return value;
  return value.replace(/[\\"#]/g, (c) => '\\' + c);
}
