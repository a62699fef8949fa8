/**
 * upsmon.conf reader: NUT 2.8.0's parse_conf_arg() rules (reference/config-files.md §5) on
 * top of the shared tokenizer, returning typed data plus problems that name file, line and key.
 */
import { readFileSync } from 'node:fs';
import { tokenizeConfig } from './parseconf.js';
import { cAtoi, cAtoiInt as atoi } from './c-numbers.js';
import { parseUpsName } from './ups-address.js';
import { closest } from './suggest.js';
import { NOTIFY_TYPES, isNotifyType, parseNotifyFlags, type NotifyFlags, type NotifyType } from './notify-types.js';

export interface MonitorEntry {
  /** The system string exactly as written (`ups@host:port`); UPSNAME for notifications. */
  system: string;
  upsname: string;
  host: string;
  port: number;
  powerValue: number;
  username: string;
  password: string;
  primary: boolean;
  line: number;
}

export interface CertHost {
  host: string;
  certName: string;
  certVerify: number;
  forceSsl: number;
}

export interface UpsmonConfig {
  file: string;
  monitors: MonitorEntry[];
  minSupplies: number;
  shutdownCmd?: string;
  notifyCmd?: string;
  pollFreq: number;
  pollFreqAlert: number;
  hostSync: number;
  deadTime: number;
  powerDownFlag?: string;
  rbWarnTime: number;
  noCommWarnTime: number;
  finalDelay: number;
  runAsUser?: string;
  certPath?: string;
  certIdent?: { name: string; password: string };
  certHosts: CertHost[];
  certVerify: number;
  forceSsl: number;
  debugMin?: number;
  /** NOTIFYMSG overrides by type. */
  notifyMsg: Partial<Record<NotifyType, string>>;
  /** NOTIFYFLAG overrides by type. */
  notifyFlag: Partial<Record<NotifyType, NotifyFlags>>;
  /** Keys of NUT releases after 2.8.0, kept as read (words after the key). */
  later: Record<string, string[]>;
  /** Sum of the power values (NUT's totalpv). */
  totalPowerValue: number;
}

export type Severity = 'error' | 'warning' | 'fatal';

export interface ConfigProblem {
  file: string;
  line: number;
  key?: string;
  severity: Severity;
  message: string;
  suggestion?: string;
}

/** Where each typed property came from, for schema messages (see monitor-conf-schema.ts). */
export type Locate = (path: string[]) => { line: number; key?: string };
export const locations = new WeakMap<object, Locate>();

export interface UpsmonConfResult {
  config: UpsmonConfig;
  problems: ConfigProblem[];
}

/** Directive → the minimum number of words (key included) NUT needs before it looks at it. */
const DIRECTIVES: Record<string, number> = {
  SHUTDOWNCMD: 2,
  POWERDOWNFLAG: 2,
  NOTIFYCMD: 2,
  POLLFREQ: 2,
  POLLFREQALERT: 2,
  HOSTSYNC: 2,
  DEADTIME: 2,
  MINSUPPLIES: 2,
  RBWARNTIME: 2,
  NOCOMMWARNTIME: 2,
  FINALDELAY: 2,
  RUN_AS_USER: 2,
  CERTPATH: 2,
  CERTVERIFY: 2,
  FORCESSL: 2,
  NOTIFYMSG: 3,
  NOTIFYFLAG: 3,
  CERTIDENT: 3,
  CERTHOST: 5,
  MONITOR: 5,
};

/** Typed property → the directive it comes from (for messages). */
const PROPERTY_DIRECTIVE: Record<string, string> = {
  minSupplies: 'MINSUPPLIES',
  shutdownCmd: 'SHUTDOWNCMD',
  notifyCmd: 'NOTIFYCMD',
  pollFreq: 'POLLFREQ',
  pollFreqAlert: 'POLLFREQALERT',
  hostSync: 'HOSTSYNC',
  deadTime: 'DEADTIME',
  powerDownFlag: 'POWERDOWNFLAG',
  rbWarnTime: 'RBWARNTIME',
  noCommWarnTime: 'NOCOMMWARNTIME',
  finalDelay: 'FINALDELAY',
  runAsUser: 'RUN_AS_USER',
  certVerify: 'CERTVERIFY',
  forceSsl: 'FORCESSL',
  certHosts: 'CERTHOST',
  debugMin: 'DEBUG_MIN',
};

/** Directives of later NUT releases: accepted and kept, so configs written for them load. */
const LATER_DIRECTIVES: Record<string, number> = {
  OFFDURATION: 2,
  SHUTDOWNEXIT: 2,
  POLLFAIL_LOG_THROTTLE_MAX: 2,
  OBLBDURATION: 2,
  OVERDURATION: 2,
  ALARMCRITICAL: 2,
  CERTFILE: 2,
};

export function defaultUpsmonConfig(file = 'upsmon.conf'): UpsmonConfig {
  return {
    file,
    monitors: [],
    minSupplies: 1,
    pollFreq: 5,
    pollFreqAlert: 5,
    hostSync: 15,
    deadTime: 15,
    rbWarnTime: 43200,
    noCommWarnTime: 300,
    finalDelay: 5,
    certHosts: [],
    certVerify: 0,
    forceSsl: 0,
    notifyMsg: {},
    notifyFlag: {},
    later: {},
    totalPowerValue: 0,
  };
}

/** "Did you mean": upsmon.conf words are upper case; the candidate is named as written. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  return closest(word, candidates);
}

const ALL_KEYS = [...Object.keys(DIRECTIVES), ...Object.keys(LATER_DIRECTIVES), 'DEBUG_MIN'];

export function parseUpsmonConf(text: string | Uint8Array, file = 'upsmon.conf'): UpsmonConfResult {
  const config = defaultUpsmonConfig(file);
  const problems: ConfigProblem[] = [];
  const tokens = tokenizeConfig(text, file);
  for (const e of tokens.errors) {
    problems.push({ file, line: e.line, severity: 'error', message: `Parse error: ${file}:${e.line}: ${e.message}` });
  }
  const problem = (line: number, key: string | undefined, severity: Severity, message: string, suggestion?: string) =>
    problems.push({ file, line, key, severity, message, ...(suggestion ? { suggestion } : {}) });

  const lastLine = new Map<string, number>();
  for (const { words, line } of tokens.lines) {
    const key = words[0];
    lastLine.set(key, line);
    const invalid = () => {
      const hint = suggest(key, ALL_KEYS);
      const known = key in DIRECTIVES || key in LATER_DIRECTIVES || key.toUpperCase() === 'DEBUG_MIN';
      problem(
        line,
        key,
        'warning',
        `${file} line ${line}: invalid directive ${words.join(' ')}` +
          (known ? ` (${key} needs ${(DIRECTIVES[key] ?? LATER_DIRECTIVES[key] ?? 2) - 1} argument(s))` : ''),
        known ? undefined : hint,
      );
    };
    if (key.toUpperCase() === 'DEBUG_MIN') {
      if (words.length < 2) invalid();
      else config.debugMin = atoi(words[1]);
      continue;
    }
    const need = DIRECTIVES[key] ?? LATER_DIRECTIVES[key];
    if (need === undefined || words.length < need) {
      invalid();
      continue;
    }
    const arg = words[1];
    const nonNegative = (set: (n: number) => void) => {
      const n = atoi(arg);
      if (n < 0) problem(line, key, 'warning', `${file} line ${line}: ${key} ${arg} is negative, ignored`);
      else set(n);
    };
    switch (key) {
      case 'SHUTDOWNCMD':
        config.shutdownCmd = arg;
        break;
      case 'POWERDOWNFLAG':
        config.powerDownFlag = arg;
        break;
      case 'NOTIFYCMD':
        config.notifyCmd = arg;
        break;
      case 'POLLFREQ':
        nonNegative((n) => (config.pollFreq = n));
        break;
      case 'POLLFREQALERT':
        nonNegative((n) => (config.pollFreqAlert = n));
        break;
      case 'HOSTSYNC':
        config.hostSync = atoi(arg);
        break;
      case 'DEADTIME':
        config.deadTime = atoi(arg);
        break;
      case 'MINSUPPLIES':
        nonNegative((n) => (config.minSupplies = n));
        break;
      case 'RBWARNTIME':
        config.rbWarnTime = atoi(arg);
        break;
      case 'NOCOMMWARNTIME':
        config.noCommWarnTime = atoi(arg);
        break;
      case 'FINALDELAY':
        nonNegative((n) => (config.finalDelay = n));
        break;
      case 'RUN_AS_USER':
        config.runAsUser = arg;
        break;
      case 'CERTPATH':
        config.certPath = arg;
        break;
      case 'CERTVERIFY':
        config.certVerify = atoi(arg);
        break;
      case 'FORCESSL':
        config.forceSsl = atoi(arg);
        break;
      case 'CERTIDENT':
        config.certIdent = { name: arg, password: words[2] };
        break;
      case 'CERTHOST':
        config.certHosts.push({ host: arg, certName: words[2], certVerify: atoi(words[3]), forceSsl: atoi(words[4]) });
        break;
      case 'NOTIFYMSG':
      case 'NOTIFYFLAG': {
        const type = arg.toUpperCase();
        if (!isNotifyType(type)) {
          problem(
            line,
            key,
            'warning',
            key === 'NOTIFYMSG'
              ? `${file} line ${line}: '${arg}' is not a valid notify event name`
              : `${file} line ${line}: invalid notify type [${arg}]`,
            suggest(arg, NOTIFY_TYPES),
          );
          break;
        }
        if (key === 'NOTIFYMSG') {
          config.notifyMsg[type] = words[2];
        } else {
          const { flags, invalid: bad } = parseNotifyFlags(words[2]);
          for (const b of bad) {
            problem(line, key, 'warning', `${file} line ${line}: Invalid notify flag: [${b}]`, suggest(b, ['SYSLOG', 'WALL', 'EXEC', 'IGNORE']));
          }
          config.notifyFlag[type] = flags;
        }
        break;
      }
      case 'MONITOR': {
        if (words.length === 5) {
          problem(
            line,
            key,
            'fatal',
            `${file} line ${line}: Unable to use old-style MONITOR line without a username (MONITOR <system> <powervalue> <username> <password> <primary|secondary>)`,
          );
          break;
        }
        const [, system, pvText, username, password, mode] = words;
        const pvNumber = cAtoi(pvText);
        if (pvNumber < 0 || pvNumber > 2147483647) {
          problem(line, key, 'warning', `${file} line ${line}: UPS [${system}]: ignoring invalid power value [${pvText}]`);
          break;
        }
        if (config.monitors.some((m) => m.system === system)) {
          problem(line, key, 'warning', `${file} line ${line}: Warning: ignoring duplicate UPS [${system}]`);
          break;
        }
        let addr;
        try {
          addr = parseUpsName(system);
        } catch (err) {
          problem(line, key, 'error', `${file} line ${line}: Error: unable to split UPS name [${system}]: ${(err as Error).message}`);
          break;
        }
        const lower = mode.toLowerCase();
        const primary = lower === 'primary' || lower === 'master';
        if (!primary && lower !== 'secondary' && lower !== 'slave') {
          problem(line, key, 'warning', `${file} line ${line}: MONITOR mode '${mode}' is neither primary nor secondary; treated as secondary (as NUT does)`, suggest(mode, ['PRIMARY', 'SECONDARY'])?.toLowerCase());
        }
        const powerValue = pvNumber;
        config.monitors.push({ system, upsname: addr.ups, host: addr.host, port: addr.port, powerValue, username, password, primary, line });
        config.totalPowerValue += powerValue;
        break;
      }
      default:
        config.later[key] = words.slice(1);
    }
  }
  locations.set(config, (path) => {
    if (path[0] === 'monitors') return { line: config.monitors[Number(path[1])]?.line ?? 0, key: 'MONITOR' };
    const directive = PROPERTY_DIRECTIVE[path[0]];
    return directive ? { line: lastLine.get(directive) ?? 0, key: directive } : { line: 0 };
  });
  return { config, problems };
}

/** Reads and parses a file; an unreadable file is one fatal problem. */
export function readUpsmonConf(path: string): UpsmonConfResult {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    const config = defaultUpsmonConfig(path);
    return { config, problems: [{ file: path, line: 0, severity: 'fatal', message: `Can't open ${path}: ${(err as NodeJS.ErrnoException).message}` }] };
  }
  return parseUpsmonConf(text, path);
}
