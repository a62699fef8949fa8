/**
 * nut.conf reader (reference/config-files.md §7): a POSIX shell fragment of `NAME=value`
 * assignments sourced by init scripts, not a parseconf file. We read the subset such files use:
 * comments, `NAME=value` with '…' / "…" quoting and backslashes, `export NAME[=value]`.
 */
import { basename, join } from 'node:path';
import { problem, type ConfigProblem } from './problems.js';
import { readConfigFile } from './read-file.js';
import { closest } from './suggest.js';

export type NutMode = 'none' | 'standalone' | 'netserver' | 'netclient';
export const NUT_MODES: readonly NutMode[] = ['none', 'standalone', 'netserver', 'netclient'];

/** Variables the NUT packages read from nut.conf. */
export const NUT_CONF_VARIABLES = [
  'MODE',
  'UPSD_OPTIONS',
  'UPSMON_OPTIONS',
  'POWEROFF_WAIT',
  'POWEROFF_QUIET',
  'ALLOW_NO_DEVICE',
  'ALLOW_NOT_ALL_LISTENERS',
  'NUT_DEBUG_LEVEL',
  'NUT_IGNORE_NOWAIT',
  'NUT_STATEPATH',
  'NUT_CONFPATH',
  'NUT_ALTPIDPATH',
] as const;

export interface Setting<T> {
  value: T;
  line: number;
}

export interface NutConf {
  file: string;
  /** MODE when it is one of the four modes; absent otherwise (NUT then starts nothing). */
  mode?: Setting<NutMode>;
  /** Every assignment, last one wins. */
  variables: Map<string, Setting<string>>;
  problems: ConfigProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits one shell line into words, honouring quotes; returns undefined for an unclosed quote. */
function shellWords(line: string): { words: string[]; raw: string[] } | undefined {
  const words: string[] = [];
  const raw: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length || line[i] === '#') break;
    let word = '';
    const start = i;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      const c = line[i];
      if (c === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) return undefined;
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        for (;;) {
          if (i >= line.length) return undefined;
          if (line[i] === '"') break;
          if (line[i] === '\\' && i + 1 < line.length && '$`"\\'.includes(line[i + 1])) i++;
          word += line[i++];
        }
        i++;
      } else if (c === '\\' && i + 1 < line.length) {
        word += line[i + 1];
        i += 2;
      } else if (c === ';') {
        break;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
    raw.push(line.slice(start, i));
    if (line[i] === ';') i++;
  }
  return { words, raw };
}

export function parseNutConf(text: string | Uint8Array, file = 'nut.conf'): NutConf {
  const source = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  const conf: NutConf = { file, variables: new Map(), problems: [] };
  const problems = conf.problems;
  const physical = source.split('\n');
  for (let n = 0; n < physical.length; n++) {
    const line = n + 1;
    // a CR stays: the shell keeps it in the value (MODE=standalone<CR> matches no mode)
    let content = physical[n];
    while (content.endsWith('\\') && n + 1 < physical.length) content = content.slice(0, -1) + physical[++n];
    let parsed = shellWords(content);
    // a quote left open continues on the next lines, as in the shell
    while (!parsed && n + 1 < physical.length) {
      content += '\n' + physical[++n];
      parsed = shellWords(content);
    }
    if (!parsed) {
      problems.push(problem('error', file, line, 'unterminated quote; the shell refuses this file'));
      continue;
    }
    const isExport = parsed.words[0] === 'export';
    const words = isExport ? parsed.words.slice(1) : parsed.words;
    const raw = isExport ? parsed.raw.slice(1) : parsed.raw;
    for (let k = 0; k < raw.length; k++) {
      const w = raw[k];
      const eq = w.indexOf('=');
      if (eq > 0 && NAME.test(w.slice(0, eq))) {
        assign(conf, w.slice(0, eq), words[k].slice(words[k].indexOf('=') + 1), line);
        if (/[$`]/.test(w.replace(/'[^']*'/g, ''))) {
          problems.push(
            problem('warning', file, line, `shell expansion ($…, \`…\`) in '${w}' is not evaluated here; the value is read literally`, {
              key: w.slice(0, eq),
            }),
          );
        }
        continue;
      }
      if (isExport && NAME.test(w)) continue;
      if (NAME.test(w) && raw[k + 1]?.startsWith('=')) {
        const value = raw[k + 1] === '=' ? (raw[k + 2] ?? '') : raw[k + 1].slice(1);
        problems.push(problem('error', file, line, `no spaces are allowed around '=': write ${w}=${value}`, { key: w }));
        break;
      }
      problems.push(
        problem('error', file, line, `'${parsed.raw.join(' ')}' is not an assignment (NAME=value); the shell would run '${w}' as a command`, {
          key: w,
        }),
      );
      break;
    }
  }
  const mode = conf.variables.get('MODE');
  if (!mode) {
    problems.push(problem('warning', file, 0, 'MODE is not set: NUT starts nothing (same as MODE=none)', { key: 'MODE', allowed: NUT_MODES.join(', ') }));
  } else if ((NUT_MODES as readonly string[]).includes(mode.value)) {
    conf.mode = { value: mode.value as NutMode, line: mode.line };
  }
  return conf;
}

function assign(conf: NutConf, name: string, value: string, line: number): void {
  conf.variables.set(name, { value, line });
  if (value.endsWith('\r')) {
    conf.problems.push(
      problem('warning', conf.file, line, `the value of ${name} ends with a carriage return (a Windows line end); the shell keeps it in the value`, {
        key: name,
      }),
    );
  }
  if ((NUT_CONF_VARIABLES as readonly string[]).includes(name)) return;
  const suggestion = closest(name, NUT_CONF_VARIABLES);
  if (suggestion) {
    conf.problems.push(problem('warning', conf.file, line, `variable '${name}' is not one NUT reads`, { key: name, suggestion }));
  }
}

/** Reads `<confPath>/nut.conf`; throws an Error naming the file when it cannot be read. */
export function readNutConf(confPath: string): NutConf {
  const path = join(confPath, 'nut.conf');
  return parseNutConf(readConfigFile(path), basename(path));
}
