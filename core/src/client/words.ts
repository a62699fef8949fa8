/** One protocol line → words, with the shared parseconf grammar (as libupsclient's pconf_line). */
import { Feed, ParseconfMachine } from '../config/parseconf.js';

export interface ParsedLine {
  words: string[];
  /** Bytes the grammar discarded (outside 0x20-0x7E inside words), in order. */
  dropped: number[];
  /** parseconf's message when the line does not parse (e.g. `#` inside quotes). */
  error?: string;
}

export function splitLine(line: string): ParsedLine {
  const machine = new ParseconfMachine();
  const bytes = Buffer.from(line, 'latin1');
  const dropped: number[] = [];
  for (const ch of bytes) {
    const before = machine.droppedChars;
    if (machine.feed(ch) === Feed.Error) return { words: [], dropped, error: machine.errorMessage };
    if (machine.droppedChars !== before) dropped.push(ch);
  }
  const end = machine.feed(0x0a);
  if (end === Feed.Error) return { words: [], dropped, error: machine.errorMessage };
  if (end !== Feed.Line) machine.finish(); // an unclosed quote: keep what was read
  return { words: machine.words, dropped };
}

/** Quotes a request argument the way libupsclient's build_cmd does. */
export function quoteArg(arg: string): string {
  const enc = arg.replace(/[\\"#]/g, (c) => '\\' + c);
  return arg === '' || /\s/.test(arg) ? `"${enc}"` : enc;
}

/** What NUT's parseconf prints on stderr for a discarded byte (a signed char, as C prints it). */
export function discardedCharMessage(byte: number): string {
  const hex = byte.toString(16).padStart(2, '0');
  return `addchar: discarding invalid character (0x${byte >= 0x80 ? 'ffffff' + hex : hex})!`;
}
