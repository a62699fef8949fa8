/**
 * ups.conf as the host needs it (reference/config-files.md §2): global keys, then sections in
 * file order. Interim reader on the shared tokenizer until core/src/config provides one;
 * everything else in the host goes through readUpsConf().
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizeConfig } from '../config/parseconf.js';

export type ConfValue = string | true;

export interface UpsConfSection {
  name: string;
  /** Line of the [name] header. */
  line: number;
  /** Keys in file order; a later duplicate overrides (Map keeps the first position). */
  values: Map<string, ConfValue>;
}

export interface UpsConf {
  file: string;
  global: Map<string, ConfValue>;
  sections: UpsConfSection[];
  /** file:line: message, for things NUT would warn about or refuse. */
  problems: string[];
}

export function parseUpsConf(text: string | Uint8Array, file: string): UpsConf {
  const tokenized = tokenizeConfig(text, file);
  const conf: UpsConf = { file, global: new Map(), sections: [], problems: [] };
  for (const e of tokenized.errors) conf.problems.push(`${e.file}:${e.line}: ${e.message}`);
  let current: Map<string, ConfValue> = conf.global;
  for (const { words, line } of tokenized.lines) {
    const first = words[0];
    if (first.length >= 2 && first.startsWith('[') && first.endsWith(']')) {
      const name = first.slice(1, -1);
      const section: UpsConfSection = { name, line, values: new Map() };
      conf.sections.push(section);
      current = section.values;
      continue;
    }
    if (words.length === 1) current.set(first, true);
    else if (words.length >= 3 && words[1] === '=') current.set(first, words[2]);
    else conf.problems.push(`${file}:${line}: ignored line "${words.join(' ')}" (expected "key = value" or a flag)`);
  }
  return conf;
}

/** Reads <confPath>/ups.conf; throws an Error naming the file when it cannot be read. */
export function readUpsConf(confPath: string): UpsConf {
  const file = join(confPath, 'ups.conf');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`Can't open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
  return parseUpsConf(bytes, file);
}

export function str(v: ConfValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** C atoi on an optional value, with a default for missing/non-numeric values. */
export function int(v: ConfValue | undefined, dflt: number): number {
  if (typeof v !== 'string') return dflt;
  const m = /^\s*([+-]?\d+)/.exec(v);
  return m ? Number.parseInt(m[1], 10) : dflt;
}
