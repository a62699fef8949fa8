/**
 * What upsd takes from upsd.conf, upsd.users and ups.conf (reference/config-files.md §2-4),
 * read with the config readers of core/src/config and reduced to what the server needs.
 * Problems come back as messages naming file and line; nothing here throws on bad content.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { parseUpsConf as readUpsConfText } from '../config/ups-conf.js';
import { parseUpsdConf as readUpsdConfText } from '../config/upsd-conf.js';
import { parseUpsdUsers as readUpsdUsersText } from '../config/upsd-users.js';
import { tcpServicePort } from '../config/tcp-service.js';

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

function warningText(p: ConfigProblem): string {
  return formatProblem(p);
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

/** upsd.conf through the config reader (core/src/config/upsd-conf.ts), as upsd uses it. */
export function parseUpsdConf(input: FileText, servicesText?: string): UpsdConf {
  const read = readUpsdConfText(input.text, basename(input.path));
  const conf = defaultUpsdConf();
  for (const l of read.listen) {
    const given = tcpServicePort(l.port, servicesText);
    // getaddrinfo() keeps the low 16 bits of a numeric port: NUT's upsd listens on 68029 as 2493
    const port = given === undefined ? undefined : given % 65536;
    if (port === undefined || port === 0) {
      conf.warnings.push(`${read.file}:${l.line}: LISTEN ${l.address} ${l.port}: invalid port, not listening there`);
      continue;
    }
    if (port !== given) conf.warnings.push(`${read.file}:${l.line}: LISTEN ${l.address} ${l.port}: port above 65535, listening on ${port} as NUT does`);
    conf.listen.push({ host: l.address, port });
  }
  if (read.maxAge) conf.maxAge = read.maxAge.value;
  if (read.trackingDelay) conf.trackingDelay = read.trackingDelay.value;
  if (read.allowNoDevice) conf.allowNoDevice = read.allowNoDevice.value;
  if (read.maxConn) conf.maxConn = read.maxConn.value;
  conf.statePath = read.statePath?.value;
  conf.dataPath = read.dataPath?.value;
  conf.certFile = read.certFile?.value;
  conf.certPath = read.certPath?.value;
  conf.disableWeakSsl = read.disableWeakSsl?.value ?? false;
  conf.warnings.push(...read.problems.map(warningText));
  return conf;
}

/** upsd.users through the config reader (core/src/config/upsd-users.ts). */
export function parseUpsdUsers(input: FileText): { users: Map<string, UpsUser>; warnings: string[] } {
  const read = readUpsdUsersText(input.text, basename(input.path));
  const users = new Map<string, UpsUser>();
  for (const u of read.users) {
    if (users.has(u.name)) continue;
    users.set(u.name, {
      name: u.name,
      password: u.password?.value,
      actions: new Set(u.actions.map((a) => a.value.toLowerCase())),
      instcmds: new Set(u.instcmds.map((c) => c.value.toLowerCase())),
    });
  }
  return { users, warnings: read.problems.map(warningText) };
}

/** The sections of ups.conf as upsd sees them (driver, port, desc), via the ups.conf reader. */
export function parseUpsConfForUpsd(input: FileText): { sections: UpsSection[]; warnings: string[] } {
  const read = readUpsConfText(input.text, basename(input.path));
  const warnings = read.problems.map(warningText);
  const usable: UpsSection[] = [];
  const seen = new Set<string>();
  for (const s of read.sections) {
    if (s.driver === undefined || s.port === undefined) {
      warnings.push(`${read.file}:${s.line}: Warning: ignoring incomplete configuration for UPS [${s.name}]`);
      continue;
    }
    if (seen.has(s.name.toLowerCase())) {
      warnings.push(`${read.file}:${s.line}: UPS name [${s.name}] is already in use!`);
      continue;
    }
    seen.add(s.name.toLowerCase());
    usable.push({ name: s.name, driver: s.driver, port: s.port, desc: s.desc, line: s.line });
  }
  return { sections: usable, warnings };
}

export function readFileText(path: string): FileText {
  return { path, text: readFileSync(path) };
}
