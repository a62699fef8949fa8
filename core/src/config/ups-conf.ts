/**
 * ups.conf reader (reference/config-files.md §2, NUT 2.8.0 common/upsconf.c + drivers/main.c):
 * global keys, then `[name]` sections in file order; `key = value` uses only the third word,
 * a lone word is a flag, any other shape is ignored. Later duplicate keys override earlier ones.
 * Sections with the same name are merged, as every NUT program does.
 */
import { basename, join } from 'node:path';
import { problem, type ConfigProblem } from './problems.js';
import { readConfigFile } from './read-file.js';
import { tokenizeForReader } from './tokenize-file.js';

/** A value, or `true` for a flag (a key written alone on its line). */
export type ConfValue = string | true;

export interface UpsConfEntry {
  key: string;
  value: ConfValue;
  /** Line of the definition in effect (the last one). */
  line: number;
}

export interface UpsConfSection {
  name: string;
  /** Line of the first `[name]` header. */
  line: number;
  /** Every key as written, in first-seen order; a later duplicate overrides the value. */
  entries: Map<string, UpsConfEntry>;
  /** Same keys, values only (what most consumers need). */
  values: Map<string, ConfValue>;
  /** `override.<var>` (any case of the prefix), keyed by `<var>`. */
  overrides: Map<string, UpsConfEntry>;
  /** `default.<var>`, keyed by `<var>`. */
  defaults: Map<string, UpsConfEntry>;
  driver?: string;
  port?: string;
  desc?: string;
}

export interface UpsConf {
  file: string;
  global: Map<string, ConfValue>;
  globalEntries: Map<string, UpsConfEntry>;
  sections: UpsConfSection[];
  problems: ConfigProblem[];
}

const OVERRIDE = 'override.';
const DEFAULT = 'default.';

export function isSectionHeader(word: string): boolean {
  return word.length >= 2 && word.startsWith('[') && word.endsWith(']');
}

function newSection(name: string, line: number): UpsConfSection {
  return { name, line, entries: new Map(), values: new Map(), overrides: new Map(), defaults: new Map() };
}

/** Parses ups.conf text. `file` is the name used in problems (e.g. `ups.conf`). */
export function parseUpsConf(text: string | Uint8Array, file = 'ups.conf'): UpsConf {
  const { lines, problems } = tokenizeForReader(text, file);
  const conf: UpsConf = { file, global: new Map(), globalEntries: new Map(), sections: [], problems };
  const byName = new Map<string, UpsConfSection>();
  let current: UpsConfSection | undefined;

  const set = (key: string, value: ConfValue, line: number) => {
    const entries = current ? current.entries : conf.globalEntries;
    const values = current ? current.values : conf.global;
    const previous = entries.get(key);
    if (previous && previous.value !== value) {
      problems.push(
        problem('warning', file, line, `key '${key}' is set again; this value replaces the one from line ${previous.line}`, {
          section: current?.name,
          key,
        }),
      );
    }
    const entry: UpsConfEntry = { key, value, line };
    entries.set(key, entry);
    values.set(key, value);
    if (!current) return;
    const lower = key.toLowerCase();
    for (const [prefix, map] of [
      [OVERRIDE, current.overrides],
      [DEFAULT, current.defaults],
    ] as const) {
      if (!lower.startsWith(prefix)) continue;
      const variable = key.slice(prefix.length);
      if (variable === '') {
        problems.push(problem('warning', file, line, `'${key}' names no variable`, { section: current.name, key }));
      }
      if (value === true) {
        problems.push(
          problem('warning', file, line, `'${key}' needs a value ('${key} = value'); NUT publishes '(null)'`, {
            section: current.name,
            key,
          }),
        );
      }
      map.set(variable, entry);
    }
  };

  for (const { words, line } of lines) {
    const first = words[0];
    if (isSectionHeader(first)) {
      const name = first.slice(1, -1);
      if (words.length > 1) {
        problems.push(problem('warning', file, line, `words after the section header are ignored: ${words.slice(1).join(' ')}`, { section: name }));
      }
      if (name === '') problems.push(problem('warning', file, line, 'section with an empty name', { section: name }));
      const existing = byName.get(name);
      if (existing) {
        problems.push(
          problem('warning', file, line, `section [${name}] already started at line ${existing.line}; NUT merges both into one`, {
            section: name,
          }),
        );
        current = existing;
        continue;
      }
      const sameIgnoringCase = conf.sections.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (sameIgnoringCase) {
        problems.push(
          problem(
            'warning',
            file,
            line,
            `section name differs from [${sameIgnoringCase.name}] (line ${sameIgnoringCase.line}) only by case; upsd refuses it ("UPS name is already in use")`,
            { section: name },
          ),
        );
      }
      current = newSection(name, line);
      byName.set(name, current);
      conf.sections.push(current);
      continue;
    }
    if (words.length === 1) {
      set(first, true, line);
      continue;
    }
    if (words.length >= 3 && words[1] === '=') {
      if (words.length > 3) {
        problems.push(
          problem(
            'warning',
            file,
            line,
            `only the first word after '=' is used ('${words[2]}'); quote the value to keep all of it: ${first} = "${words.slice(2).join(' ')}"`,
            { section: current?.name, key: first },
          ),
        );
      }
      set(first, words[2], line);
      continue;
    }
    conf.problems.push(ignoredLine(file, line, words, current?.name));
  }
  for (const s of conf.sections) {
    for (const key of ['driver', 'port', 'desc'] as const) {
      const v = s.values.get(key);
      if (typeof v === 'string') s[key] = v;
    }
  }
  return conf;
}

function ignoredLine(file: string, line: number, words: string[], section: string | undefined): ConfigProblem {
  const text = words.join(' ');
  let hint = `expected 'key = value' or a single flag word`;
  if (words.length === 2 && words[1] === '=') hint = `no value after '='; write ${words[0]} = "" for an empty value`;
  else if (words[0].startsWith('[') && words[words.length - 1].endsWith(']')) hint = `a section name with spaces must be quoted: "${text}"`;
  else if (words.length === 2) hint = `missing '=': ${words[0]} = ${words[1]}`;
  return problem('warning', file, line, `line ignored (${text}): ${hint}`, { section, key: words[0] });
}

/** Reads `<confPath>/ups.conf`; throws an Error naming the file when it cannot be read. */
export function readUpsConf(confPath: string): UpsConf {
  const path = join(confPath, 'ups.conf');
  return parseUpsConf(readConfigFile(path), basename(path));
}
