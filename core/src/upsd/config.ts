/**
 * What upsd reads from upsd.conf, upsd.users and ups.conf (reference/config-files.md §2-4),
 * parsed with the shared tokenizer. Problems are collected as messages naming file and line;
 * nothing here throws on bad content.
 */
import { readFileSync } from 'node:fs';
import { tokenizeConfig, type ConfigLine } from '../config/parseconf.js';

export const DEFAULT_PORT = 3493;

export interface ListenAddress {
  host: string;
  port: number;
}

export interface UpsdConf {
  /** In file order; empty means NUT's defaults (::1 and 127.0.0.1). */
  listen: ListenAddress[];
  maxAge: number;
  trackingDelay: number;
  allowNoDevice: boolean;
  maxConn: number | undefined;
  statePath: string | undefined;
  dataPath: string | undefined;
  certFile: string | undefined;
  certPath: string | undefined;
  disableWeakSsl: boolean;
  warnings: string[];
}

export interface UpsUser {
  name: string;
  password: string | undefined;
  /** Lower-cased action names (upsmon primary adds login, master, fsd). */
  actions: Set<string>;
  /** Lower-cased command names; "all" grants every command. */
  instcmds: Set<string>;
}

export interface UpsSection {
  name: string;
  driver: string | undefined;
  port: string | undefined;
  desc: string | undefined;
  line: number;
}

export interface FileText {
  path: string;
  text: string | Uint8Array;
}

function problem(file: string, l: ConfigLine | number, message: string): string {
  const line = typeof l === 'number' ? l : l.line;
  return `${file}:${line}: ${message}`;
}

function isDigitStart(v: string): boolean {
  return v.length > 0 && v.charCodeAt(0) >= 0x30 && v.charCodeAt(0) <= 0x39;
}

function parseBool(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (l === 'true' || l === 'on' || l === 'yes' || l === '1') return true;
  if (l === 'false' || l === 'off' || l === 'no' || l === '0') return false;
  return undefined;
}

export function defaultUpsdConf(): UpsdConf {
  return {
    listen: [],
    maxAge: 15,
    trackingDelay: 3600,
    allowNoDevice: false,
    maxConn: undefined,
    statePath: undefined,
    dataPath: undefined,
    certFile: undefined,
    certPath: undefined,
    disableWeakSsl: false,
    warnings: [],
  };
}

/** upsd.conf (server/conf.c): directive names case-sensitive except DEBUG_MIN. */
export function parseUpsdConf(input: FileText): UpsdConf {
  const conf = defaultUpsdConf();
  const { lines, errors } = tokenizeConfig(input.text, input.path);
  for (const e of errors) conf.warnings.push(problem(e.file, e.line, `Parse error: ${e.message}`));
  for (const l of lines) {
    const [key, ...args] = l.words;
    const invalid = (why?: string) =>
      conf.warnings.push(problem(input.path, l, (why ? why + '; ' : '') + `invalid directive ${l.words.join(' ')}`));
    const numeric = (apply: (n: number) => void) => {
      if (args.length < 1) return invalid();
      if (!isDigitStart(args[0])) return invalid(`${key} has non numeric value (${args[0]})!`);
      apply(Number.parseInt(args[0], 10));
    };
    switch (key) {
      case 'LISTEN':
        if (args.length < 1) invalid();
        else {
          const port = args.length >= 2 ? Number.parseInt(args[1], 10) : DEFAULT_PORT;
          if (!Number.isInteger(port) || port < 0 || port > 65535) invalid(`bad port ${args[1]}`);
          else conf.listen.push({ host: args[0], port });
        }
        break;
      case 'MAXAGE':
        numeric((n) => (conf.maxAge = n));
        break;
      case 'TRACKINGDELAY':
        numeric((n) => (conf.trackingDelay = n));
        break;
      case 'MAXCONN':
        numeric((n) => (conf.maxConn = n));
        break;
      case 'ALLOW_NO_DEVICE': {
        if (args.length < 1) {
          invalid();
          break;
        }
        const b = isDigitStart(args[0]) ? Number.parseInt(args[0], 10) !== 0 : parseBool(args[0]);
        if (b === undefined) invalid();
        else conf.allowNoDevice = b;
        break;
      }
      case 'STATEPATH':
        if (args.length < 1) invalid();
        else conf.statePath = args[0];
        break;
      case 'DATAPATH':
        if (args.length < 1) invalid();
        else conf.dataPath = args[0];
        break;
      case 'CERTFILE':
        if (args.length < 1) invalid();
        else conf.certFile = args[0];
        break;
      case 'CERTPATH':
        if (args.length < 1) invalid();
        else conf.certPath = args[0];
        break;
      case 'CERTIDENT':
      case 'CERTREQUEST':
        if (args.length < 1) invalid();
        break;
      case 'DISABLE_WEAK_SSL': {
        const b = args.length ? parseBool(args[0]) : undefined;
        if (b === undefined) invalid();
        else conf.disableWeakSsl = b;
        break;
      }
      case 'ACCEPT':
      case 'REJECT':
      case 'ACL':
        conf.warnings.push(problem(input.path, l, `${key} in upsd.conf is no longer supported - switch to LISTEN`));
        break;
      default:
        if (key.toUpperCase() === 'DEBUG_MIN') break;
        invalid();
    }
  }
  return conf;
}

/** upsd.users (server/user.c): keys case-insensitive, user names case-sensitive, first wins. */
export function parseUpsdUsers(input: FileText): { users: Map<string, UpsUser>; warnings: string[] } {
  const users = new Map<string, UpsUser>();
  const warnings: string[] = [];
  const { lines, errors } = tokenizeConfig(input.text, input.path);
  for (const e of errors) warnings.push(problem(e.file, e.line, `Parse error: ${e.message}`));
  let current: UpsUser | undefined;
  for (const l of lines) {
    const w = l.words;
    const first = w[0];
    if (first.startsWith('[') && first.endsWith(']') && first.length >= 2) {
      const name = first.slice(1, -1);
      const existing = users.get(name);
      if (existing) {
        warnings.push(problem(input.path, l, `Ignoring duplicate user ${name}`));
        continue;
      }
      current = { name, password: undefined, actions: new Set(), instcmds: new Set() };
      users.set(name, current);
      continue;
    }
    if (!current) continue;
    const key = first.toLowerCase();
    // "key = v1 v2" and "key v1 v2" are both accepted
    const values = w[1] === '=' ? w.slice(2) : w.slice(1);
    switch (key) {
      case 'password':
        if (values.length < 1) break;
        if (current.password !== undefined) warnings.push(problem(input.path, l, `Ignoring duplicate password for ${current.name}`));
        else current.password = values[0];
        break;
      case 'actions':
        for (const v of values) current.actions.add(v.toLowerCase());
        break;
      case 'instcmds':
        for (const v of values) current.instcmds.add(v.toLowerCase());
        break;
      case 'upsmon': {
        const kind = (values[0] ?? '').toLowerCase();
        if (kind === 'primary' || kind === 'master') {
          current.actions.add('login').add('master').add('fsd');
        } else if (kind === 'secondary' || kind === 'slave') {
          current.actions.add('login');
        } else warnings.push(problem(input.path, l, `Unknown upsmon type ${values[0] ?? ''}`));
        break;
      }
      case 'allowfrom':
        warnings.push(problem(input.path, l, 'allowfrom in upsd.users is no longer used'));
        break;
      default:
        if (key !== 'user') warnings.push(problem(input.path, l, `Unrecognized user setting ${first}`));
    }
  }
  return { users, warnings };
}

/** The sections of ups.conf as upsd sees them (driver, port, desc); later keys override. */
export function parseUpsConfForUpsd(input: FileText): { sections: UpsSection[]; warnings: string[] } {
  const sections: UpsSection[] = [];
  const warnings: string[] = [];
  const { lines, errors } = tokenizeConfig(input.text, input.path);
  for (const e of errors) warnings.push(problem(e.file, e.line, `Parse error: ${e.message}`));
  let current: UpsSection | undefined;
  for (const l of lines) {
    const w = l.words;
    if (w[0].startsWith('[') && w[0].endsWith(']') && w[0].length >= 2) {
      current = { name: w[0].slice(1, -1), driver: undefined, port: undefined, desc: undefined, line: l.line };
      sections.push(current);
      continue;
    }
    if (!current || w.length < 3 || w[1] !== '=') continue;
    if (w[0] === 'driver') current.driver = w[2];
    else if (w[0] === 'port') current.port = w[2];
    else if (w[0] === 'desc') current.desc = w[2];
  }
  const usable: UpsSection[] = [];
  const seen = new Set<string>();
  for (const s of sections) {
    if (s.driver === undefined || s.port === undefined) {
      warnings.push(problem(input.path, s.line, `Warning: ignoring incomplete configuration for UPS [${s.name}]`));
      continue;
    }
    if (seen.has(s.name.toLowerCase())) {
      warnings.push(problem(input.path, s.line, `UPS name [${s.name}] is already in use!`));
      continue;
    }
    seen.add(s.name.toLowerCase());
    usable.push(s);
  }
  return { sections: usable, warnings };
}

export function readFileText(path: string): FileText {
  return { path, text: readFileSync(path) };
}
