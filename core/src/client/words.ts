/** One protocol line → words, with the shared parseconf grammar (as libupsclient's pconf_line). */
import { Feed, ParseconfMachine } from '../config/parseconf.js';

export interface ParsedLine {
  words: string[];
  /** parseconf's message when the line does not parse (e.g. `#` inside quotes). */
  error?: string;
}

export function splitLine(line: string): ParsedLine {
  const machine = new ParseconfMachine();
  const bytes = Buffer.from(line, 'latin1');
  for (const ch of bytes) {
    if (machine.feed(ch) === Feed.Error) return { words: [], error: machine.errorMessage };
  }
  const end = machine.feed(0x0a);
  if (end === Feed.Error) return { words: [], error: machine.errorMessage };
  if (end !== Feed.Line) machine.finish(); // an unclosed quote: keep what was read
  return { words: machine.words };
}

/** Quotes a request argument the way libupsclient's build_cmd does. */
export function quoteArg(arg: string): string {
  const enc = arg.replace(/[\\"#]/g, (c) => '\\' + c);
  return arg === '' || /\s/.test(arg) ? `"${enc}"` : enc;
}
