/**
 * upsd.conf reader (reference/config-files.md §3, NUT 2.8.0 server/conf.c): directive names are
 * case-sensitive except DEBUG_MIN; an unusable line is `invalid directive` (a warning: upsd goes
 * on without it); extra words after the expected arguments are ignored.
 */
import { basename, join } from 'node:path';
import { cAtoi, cBoolean, isCleanInteger, startsWithDigit } from './c-numbers.js';
import { problem, type ConfigProblem } from './problems.js';
import { closest } from './suggest.js';
import { readConfigFile } from './read-file.js';
import { tokenizeForReader } from './tokenize-file.js';

export interface Setting<T> {
  value: T;
  line: number;
}

export interface ListenEntry {
  address: string;
  /** As written (a number or a service name); `3493` when omitted. */
  port: string;
  line: number;
}

export interface UpsdConf {
  file: string;
  listen: ListenEntry[];
  maxAge?: Setting<number>;
  trackingDelay?: Setting<number>;
  allowNoDevice?: Setting<boolean>;
  allowNotAllListeners?: Setting<boolean>;
  maxConn?: Setting<number>;
  statePath?: Setting<string>;
  dataPath?: Setting<string>;
  certFile?: Setting<string>;
  certPath?: Setting<string>;
  certIdent?: Setting<{ name: string; password: string }>;
  certRequest?: Setting<number>;
  disableWeakSsl?: Setting<boolean>;
  debugMin?: Setting<number>;
  problems: ConfigProblem[];
}

export const UPSD_DEFAULT_PORT = '3493';

/** Directive → minimum number of words (the directive included). */
export const UPSD_DIRECTIVES: Readonly<Record<string, number>> = {
  LISTEN: 2,
  MAXAGE: 2,
  TRACKINGDELAY: 2,
  ALLOW_NO_DEVICE: 2,
  ALLOW_NOT_ALL_LISTENERS: 2,
  MAXCONN: 2,
  STATEPATH: 2,
  DATAPATH: 2,
  CERTFILE: 2,
  CERTPATH: 2,
  CERTIDENT: 3,
  CERTREQUEST: 2,
  DISABLE_WEAK_SSL: 2,
  DEBUG_MIN: 2,
  ACCEPT: 2,
  REJECT: 2,
  ACL: 3,
};

const USAGE: Readonly<Record<string, string>> = {
  LISTEN: 'LISTEN <address> [<port>]',
  CERTIDENT: 'CERTIDENT <certificate name> <database password>',
  ACL: 'ACL <name> <ip block>',
};

export function parseUpsdConf(text: string | Uint8Array, file = 'upsd.conf'): UpsdConf {
  const { lines, problems } = tokenizeForReader(text, file);
  const conf: UpsdConf = { file, listen: [], problems };
  const warn = (line: number, key: string, message: string, extra: { allowed?: string; suggestion?: string } = {}) =>
    problems.push(problem('warning', file, line, message, { key, ...extra }));

  for (const { words, line } of lines) {
    const [word, arg1, arg2] = words;
    const directive = word.toUpperCase() === 'DEBUG_MIN' ? 'DEBUG_MIN' : word;
    const invalid = (why?: string) =>
      warn(line, word, `${why ? why + '; ' : ''}invalid directive '${words.join(' ')}', upsd ignores it`);
    const minWords = UPSD_DIRECTIVES[directive];
    if (minWords === undefined) {
      const suggestion = closest(word, Object.keys(UPSD_DIRECTIVES));
      const caseOnly = suggestion !== undefined && suggestion.toUpperCase() === word.toUpperCase();
      warn(
        line,
        word,
        caseOnly
          ? `invalid directive '${word}': directive names are case-sensitive, upsd ignores this line`
          : `invalid directive '${word}', upsd ignores this line`,
        suggestion !== undefined ? { suggestion } : { allowed: Object.keys(UPSD_DIRECTIVES).join(', ') },
      );
      continue;
    }
    if (words.length < minWords) {
      invalid(`${directive} needs ${minWords - 1} argument(s): ${USAGE[directive] ?? `${directive} <value>`}`);
      continue;
    }
    const digits = (apply: (n: number) => void) => {
      if (!startsWithDigit(arg1)) return invalid(`${directive} has non numeric value (${arg1})`);
      if (!isCleanInteger(arg1)) warn(line, word, `${directive} value '${arg1}' has trailing characters; upsd reads ${cAtoi(arg1)}`);
      apply(cAtoi(arg1));
    };
    const boolean = (digitsAllowed: boolean, apply: (b: boolean) => void) => {
      if (digitsAllowed && startsWithDigit(arg1)) return apply(cAtoi(arg1) !== 0);
      const b = cBoolean(arg1);
      if (b === undefined) return invalid(`${directive} has a non boolean value (${arg1}): use true/on/yes/1 or false/off/no/0`);
      apply(b);
    };
    switch (directive) {
      case 'LISTEN':
        conf.listen.push({ address: arg1, port: arg2 ?? UPSD_DEFAULT_PORT, line });
        break;
      case 'MAXAGE':
        digits((n) => (conf.maxAge = { value: n, line }));
        break;
      case 'TRACKINGDELAY':
        digits((n) => (conf.trackingDelay = { value: n, line }));
        break;
      case 'MAXCONN':
        digits((n) => (conf.maxConn = { value: n, line }));
        break;
      case 'CERTREQUEST':
        digits((n) => (conf.certRequest = { value: n, line }));
        break;
      case 'ALLOW_NO_DEVICE':
        boolean(true, (b) => (conf.allowNoDevice = { value: b, line }));
        break;
      case 'ALLOW_NOT_ALL_LISTENERS':
        boolean(true, (b) => (conf.allowNotAllListeners = { value: b, line }));
        break;
      case 'DISABLE_WEAK_SSL':
        boolean(false, (b) => (conf.disableWeakSsl = { value: b, line }));
        break;
      case 'STATEPATH':
        conf.statePath = { value: arg1, line };
        break;
      case 'DATAPATH':
        conf.dataPath = { value: arg1, line };
        break;
      case 'CERTFILE':
        conf.certFile = { value: arg1, line };
        break;
      case 'CERTPATH':
        conf.certPath = { value: arg1, line };
        break;
      case 'CERTIDENT':
        conf.certIdent = { value: { name: arg1, password: arg2 }, line };
        break;
      case 'DEBUG_MIN':
        if (isCleanInteger(arg1) && cAtoi(arg1) >= 0) conf.debugMin = { value: cAtoi(arg1), line };
        else warn(line, word, `DEBUG_MIN has non numeric or negative value (${arg1}), upsd ignores it`);
        break;
      case 'ACCEPT':
      case 'REJECT':
      case 'ACL':
        warn(line, word, `${directive} in upsd.conf is no longer supported - switch to LISTEN (and upsd.users for access rights)`);
        break;
    }
  }
  return conf;
}

/** Reads `<confPath>/upsd.conf`; throws an Error naming the file when it cannot be read. */
export function readUpsdConf(confPath: string): UpsdConf {
  const path = join(confPath, 'upsd.conf');
  return parseUpsdConf(readConfigFile(path), basename(path));
}
