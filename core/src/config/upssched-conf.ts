/**
 * upssched.conf reader (reference/config-files.md §6). NUT evaluates the file line by line
 * while parsing, so the result keeps file order: the path directives and the AT rules as
 * they come, each with its line number.
 */
import { readFileSync } from 'node:fs';
import { tokenizeConfig } from './parseconf.js';
import { locations, suggest, type ConfigProblem } from './upsmon-conf.js';

export type AtAction =
  | { kind: 'START-TIMER'; name: string; seconds?: string }
  | { kind: 'CANCEL-TIMER'; name: string; command?: string }
  | { kind: 'EXECUTE'; command: string };

export type UpsschedDirective =
  | { key: 'CMDSCRIPT' | 'PIPEFN' | 'LOCKFN'; value: string; line: number }
  | { key: 'AT'; notifyType: string; upsname: string; action: AtAction; line: number };

export interface UpsschedConfig {
  file: string;
  directives: UpsschedDirective[];
}

export interface UpsschedConfResult {
  config: UpsschedConfig;
  problems: ConfigProblem[];
}

const KEYS = ['CMDSCRIPT', 'PIPEFN', 'LOCKFN', 'AT'];
const ACTIONS = ['START-TIMER', 'CANCEL-TIMER', 'EXECUTE'];

export function parseUpsschedConf(text: string | Uint8Array, file = 'upssched.conf'): UpsschedConfResult {
  const directives: UpsschedDirective[] = [];
  const problems: ConfigProblem[] = [];
  const tokens = tokenizeConfig(text, file);
  for (const e of tokens.errors) problems.push({ file, line: e.line, severity: 'error', message: `Parse error: ${file}:${e.line}: ${e.message}` });
  for (const { words, line } of tokens.lines) {
    const key = words[0];
    const invalid = (why = '') =>
      problems.push({
        file,
        line,
        key,
        severity: 'warning',
        message: `${file} line ${line}: invalid directive ${words.join(' ')}${why}`,
        ...(KEYS.includes(key) ? {} : { suggestion: suggest(key, KEYS) }),
      });
    if (key === 'CMDSCRIPT' || key === 'PIPEFN' || key === 'LOCKFN') {
      if (words.length < 2) invalid(` (${key} needs a path)`);
      else directives.push({ key, value: words[1], line });
      continue;
    }
    if (key !== 'AT' || words.length < 5) {
      invalid(key === 'AT' ? ' (AT <notifytype> <upsname|*> <command> <args>)' : '');
      continue;
    }
    const [, notifyType, upsname, cmd, a1, a2] = words;
    let action: AtAction;
    if (cmd === 'START-TIMER') action = { kind: 'START-TIMER', name: a1, ...(a2 !== undefined ? { seconds: a2 } : {}) };
    else if (cmd === 'CANCEL-TIMER') action = { kind: 'CANCEL-TIMER', name: a1, ...(a2 !== undefined ? { command: a2 } : {}) };
    else if (cmd === 'EXECUTE') action = { kind: 'EXECUTE', command: a1 };
    else {
      problems.push({ file, line, key: cmd, severity: 'error', message: `${file} line ${line}: Invalid command: ${cmd}`, suggestion: suggest(cmd, ACTIONS) });
      continue;
    }
    if (action.kind === 'START-TIMER' && action.seconds === undefined) {
      problems.push({ file, line, key: cmd, severity: 'warning', message: `${file} line ${line}: START-TIMER ${a1} has no seconds; the timer daemon will refuse it` });
    }
    directives.push({ key: 'AT', notifyType, upsname, action, line });
  }
  const config = { file, directives };
  locations.set(config, (path) => ({ line: directives[Number(path[1])]?.line ?? 0 }));
  return { config, problems };
}

export function readUpsschedConf(path: string): UpsschedConfResult {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    return {
      config: { file: path, directives: [] },
      problems: [{ file: path, line: 0, severity: 'fatal', message: `Can't open ${path}: ${(err as NodeJS.ErrnoException).message}` }],
    };
  }
  return parseUpsschedConf(text, path);
}
