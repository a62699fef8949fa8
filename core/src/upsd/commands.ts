/**
 * upsd's command table and handlers (server/netcmds.h, netget.c, netlist.c, netset.c,
 * netinstcmd.c, netuser.c, netmisc.c; reference/net-protocol.md §3-5). Each handler returns
 * the complete answer text, which the server writes at once. Check orders are NUT's.
 */
import type { Device } from '../dstate/device.js';
import { FLAG_RW, FLAG_STRING } from '../dstate/ops.js';
import { atoi } from '../driver-socket/codec.js';
import type { UserTable } from './acl.js';
import { DESCRIPTION_UNAVAILABLE, type Describer } from './descriptions.js';
import { DeviceListings } from './listing.js';
import {
  HELP_TEXT,
  PROTOCOL_VERSION,
  SERVER_INFO,
  SERVER_VERSION,
  clip,
  encodeBounded,
  err,
} from './protocol.js';
import type { TrackingTable } from './tracking.js';
import type { AuditEvent } from './audit.js';

/** Per-connection state a handler reads and changes. */
export interface Session {
  readonly addr: string;
  username: string | undefined;
  password: string | undefined;
  /** Canonical name of the UPS this connection LOGINed to. */
  loginUps: string | undefined;
  tracking: boolean;
  tls: boolean;
  /** Set by STARTTLS / LOGOUT for the server to act on after writing the answer. */
  after: 'starttls' | 'logout' | undefined;
}

export function newSession(addr: string): Session {
  return { addr, username: undefined, password: undefined, loginUps: undefined, tracking: false, tls: false, after: undefined };
}

/** What the handlers need from the server. */
export interface CommandContext {
  /** Case-insensitive lookup. */
  findDevice(name: string): Device | undefined;
  /** Devices in LIST UPS order. */
  devices(): readonly Device[];
  listings(device: Device): DeviceListings;
  users: UserTable;
  tracking: TrackingTable;
  describer: Describer;
  /** Seconds without a message from the driver after which data is stale. */
  maxAge: number;
  /** CERTFILE loaded: STARTTLS can proceed. */
  tlsReady: boolean;
  fsd: Set<string>;
  numLogins(device: Device): number;
  login(session: Session, device: Device): void;
  /** Addresses of connections logged into the device, newest first. */
  clientsOf(device: Device): string[];
  now(): number;
  /** The audit trail (logins, logouts, FSD, SET, INSTCMD). */
  audit?(event: AuditEvent): void;
  /** A command checked the session's password; `ok` is false when it was wrong. */
  passwordChecked?(s: Session, ok: boolean, command: string, ups: string): void;
}

/** `allowed` as computed by the caller, after telling the server whether the password was right. */
function checked(ctx: CommandContext, s: Session, command: string, ups: string, allowed: boolean): boolean {
  ctx.passwordChecked?.(s, allowed || ctx.users.authenticates(s.username, s.password), command, ups);
  return allowed;
}

/** An answer: text, or bytes already encoded (cached GET VAR answers). */
export type Answer = string | Buffer;

/** A handler gets the whole request; its arguments are w[1] … w[w.length - 1]. */
type Handler = (ctx: CommandContext, s: Session, w: readonly string[]) => Answer;

interface Command {
  handler: Handler;
  /** FLAG_USER: needs USERNAME and PASSWORD first. */
  user: boolean;
}

const INVALID = err('INVALID-ARGUMENT');

function noArgs(text: string): Handler {
  const line = text + '\n';
  return (_c, _s, w) => (w.length !== 1 ? INVALID : line);
}

/** ups_available(): connected, then fresh. Returns an error line or undefined. */
export function availability(ctx: CommandContext, d: Device): string | undefined {
  if (!d.connected) return err('DRIVER-NOT-CONNECTED');
  if (d.tree.stale || ctx.now() - d.lastHeard > ctx.maxAge * 1000) return err('DATA-STALE');
  return undefined;
}

/** Looks a UPS up and checks availability: the device, or the error line. */
function usable(ctx: CommandContext, name: string): Device | string {
  const d = ctx.findDevice(name);
  if (!d) return err('UNKNOWN-UPS');
  return availability(ctx, d) ?? d;
}

function isFsd(ctx: CommandContext, d: Device): boolean {
  return ctx.fsd.size > 0 && ctx.fsd.has(d.name.toLowerCase());
}

// ---- GET ----

function getVar(ctx: CommandContext, ups: string, name: string): Answer {
  if (name.length >= 7 && (name.charCodeAt(6) === 0x2e) && name.slice(0, 7).toLowerCase() === 'server.') {
    const l = name.toLowerCase();
    if (l === 'server.info') return clip(`VAR ${ups} server.info "${SERVER_INFO}"\n`);
    if (l === 'server.version') return clip(`VAR ${ups} server.version "${SERVER_VERSION}"\n`);
    return err('VAR-NOT-SUPPORTED');
  }
  const d = usable(ctx, ups);
  if (typeof d === 'string') return d;
  return ctx.listings(d).varAnswer(ups, name, isFsd(ctx, d)) ?? err('VAR-NOT-SUPPORTED');
}

function getType(ctx: CommandContext, ups: string, name: string): string {
  const d = usable(ctx, ups);
  if (typeof d === 'string') return d;
  const node = d.tree.get(name);
  if (!node) return err('VAR-NOT-SUPPORTED');
  let line = `TYPE ${ups} ${name}`;
  if (node.flags & FLAG_RW) line += ' RW';
  if (node.enums.length) line += ' ENUM';
  if (node.ranges.length) line += ' RANGE';
  line += node.flags & FLAG_STRING ? ` STRING:${node.aux}` : ' NUMBER';
  return clip(line + '\n');
}

function getDesc(ctx: CommandContext, ups: string, name: string, cmd: boolean): string {
  const d = usable(ctx, ups);
  if (typeof d === 'string') return d;
  const text = (cmd ? ctx.describer.describeCmd(name) : ctx.describer.describeVar(name)) ?? DESCRIPTION_UNAVAILABLE;
  return clip(`${cmd ? 'CMDDESC' : 'DESC'} ${ups} ${name} "${text}"\n`);
}

const get: Handler = (ctx, s, w) => {
  const n = w.length - 1;
  if (n < 1) return INVALID;
  const sub = w[1] === 'VAR' ? 'VAR' : w[1].toUpperCase();
  if (n >= 3 && sub === 'VAR') return getVar(ctx, w[2], w[3]);
  if (sub === 'TRACKING') {
    if (n < 2) return s.tracking ? 'ON\n' : 'OFF\n';
    return s.tracking ? ctx.tracking.describe(w[2]) + '\n' : err('FEATURE-NOT-CONFIGURED');
  }
  if (n < 2) return INVALID;
  if (sub === 'NUMLOGINS') {
    const d = usable(ctx, w[2]);
    if (typeof d === 'string') return d;
    return clip(`NUMLOGINS ${w[2]} ${ctx.numLogins(d)}\n`);
  }
  if (sub === 'UPSDESC') {
    const d = ctx.findDevice(w[2]);
    if (!d) return err('UNKNOWN-UPS');
    return clip(`UPSDESC ${w[2]} "${d.desc === undefined ? 'Unavailable' : encodeBounded(d.desc, ANSWER_DESC_MAX)}"\n`);
  }
  if (n < 3) return INVALID;
  switch (sub) {
    case 'TYPE':
      return getType(ctx, w[2], w[3]);
    case 'DESC':
      return getDesc(ctx, w[2], w[3], false);
    case 'CMDDESC':
      return getDesc(ctx, w[2], w[3], true);
  }
  return INVALID;
};

/** UPS descriptions are escaped into a 512-byte buffer. */
const ANSWER_DESC_MAX = 511;

// ---- LIST ----

function listUps(ctx: CommandContext): string {
  let text = 'BEGIN LIST UPS\n';
  for (const d of ctx.devices()) {
    const desc = d.desc === undefined ? DESCRIPTION_UNAVAILABLE : encodeBounded(d.desc, ANSWER_DESC_MAX);
    text += clip(`UPS ${d.name} "${desc}"\n`);
  }
  return text + 'END LIST UPS\n';
}

function listEnumOrRange(ctx: CommandContext, ups: string, name: string, range: boolean): string {
  const d = usable(ctx, ups);
  if (typeof d === 'string') return d;
  const node = d.tree.get(name);
  if (!node) return err('VAR-NOT-SUPPORTED');
  const kind = range ? 'RANGE' : 'ENUM';
  let text = clip(`BEGIN LIST ${kind} ${ups} ${name}\n`);
  if (range) for (const r of node.ranges) text += clip(`RANGE ${ups} ${name} "${r.min}" "${r.max}"\n`);
  else for (const e of node.enums) text += clip(`ENUM ${ups} ${name} "${e}"\n`);
  return text + clip(`END LIST ${kind} ${ups} ${name}\n`);
}

function listClient(ctx: CommandContext, ups: string): string {
  const d = ctx.findDevice(ups);
  if (!d) return err('UNKNOWN-UPS');
  let text = clip(`BEGIN LIST CLIENT ${ups}\n`);
  for (const addr of ctx.clientsOf(d)) text += clip(`CLIENT ${d.name} ${addr}\n`);
  return text + clip(`END LIST CLIENT ${ups}\n`);
}

const list: Handler = (ctx, _s, w) => {
  const n = w.length - 1;
  if (n < 1) return INVALID;
  const sub = w[1] === 'VAR' ? 'VAR' : w[1].toUpperCase();
  if (sub === 'UPS') return listUps(ctx);
  if (n < 2) return INVALID;
  const ups = w[2];
  switch (sub) {
    case 'VAR': {
      const d = usable(ctx, ups);
      return typeof d === 'string' ? d : ctx.listings(d).listVar(ups, isFsd(ctx, d));
    }
    case 'RW': {
      const d = usable(ctx, ups);
      return typeof d === 'string' ? d : ctx.listings(d).listRw(ups);
    }
    case 'CMD': {
      const d = usable(ctx, ups);
      return typeof d === 'string' ? d : ctx.listings(d).listCmd(ups);
    }
    case 'CLIENT':
      return listClient(ctx, ups);
  }
  if (n < 3) return INVALID;
  if (sub === 'ENUM') return listEnumOrRange(ctx, ups, w[3], false);
  if (sub === 'RANGE') return listEnumOrRange(ctx, ups, w[3], true);
  return INVALID;
};

// ---- SET / INSTCMD ----

function setVar(ctx: CommandContext, s: Session, ups: string, name: string, value: string): string {
  const d = usable(ctx, ups);
  if (typeof d === 'string') return d;
  if (!checked(ctx, s, 'SET', d.name, ctx.users.checkAction(s.username, s.password, 'SET'))) return err('ACCESS-DENIED');
  const node = d.tree.get(name);
  if (!node) return err('VAR-NOT-SUPPORTED');
  if (!(node.flags & FLAG_RW)) return err('READONLY');
  if (node.flags & FLAG_STRING) {
    if (node.aux < 1) return err('SET-FAILED');
    if (value.length > node.aux) return err('TOO-LONG');
  }
  // NUT compares the raw value with the stored (escaped) enum text, case-sensitively
  if (node.enums.length && !node.enums.includes(value)) return err('INVALID-VALUE');
  if (node.ranges.length) {
    const n = atoi(value);
    if (!node.ranges.some((r) => n >= r.min && n <= r.max)) return err('INVALID-VALUE');
  }
  const id = s.tracking ? ctx.tracking.create(ctx.now()) : undefined;
  ctx.audit?.({ kind: 'set', user: s.username!, addr: s.addr, ups: d.name, name, value, tracking: id });
  if (!d.setvar(name, value, id)) return err('SET-FAILED');
  return id ? `OK TRACKING ${id}\n` : 'OK\n';
}

const set: Handler = (ctx, s, w) => {
  const n = w.length - 1;
  if (n < 2) return INVALID;
  const sub = w[1] === 'VAR' ? 'VAR' : w[1].toUpperCase();
  if (sub === 'VAR') {
    if (n < 4) return INVALID;
    return setVar(ctx, s, w[2], w[3], w[4]);
  }
  if (sub === 'TRACKING') {
    const v = w[2].toUpperCase();
    if (v === 'ON') s.tracking = true;
    else if (v === 'OFF') s.tracking = false;
    else return INVALID;
    return 'OK\n';
  }
  return INVALID;
};

const instcmd: Handler = (ctx, s, w) => {
  const n = w.length - 1;
  if (n < 2) return INVALID;
  const ups = w[1];
  const cmd = w[2];
  const param = n === 3 ? w[3] : undefined;
  const d = usable(ctx, ups);
  if (typeof d === 'string') return d;
  if (!d.tree.hasCommand(cmd)) return err('CMD-NOT-SUPPORTED');
  if (!checked(ctx, s, 'INSTCMD', d.name, ctx.users.checkInstcmd(s.username, s.password, cmd))) return err('ACCESS-DENIED');
  const id = s.tracking ? ctx.tracking.create(ctx.now()) : undefined;
  ctx.audit?.({ kind: 'instcmd', user: s.username!, addr: s.addr, ups: d.name, cmd, param, tracking: id });
  if (!d.instcmd(cmd, param, id)) return err('INSTCMD-FAILED');
  return id ? `OK TRACKING ${id}\n` : 'OK\n';
};

// ---- users, LOGIN, PRIMARY, FSD, misc ----

const username: Handler = (_c, s, w) => {
  if (w.length !== 2) return INVALID;
  if (s.username !== undefined) return err('ALREADY-SET-USERNAME');
  s.username = w[1];
  return 'OK\n';
};

const password: Handler = (_c, s, w) => {
  if (w.length !== 2) return INVALID;
  if (s.password !== undefined) return err('ALREADY-SET-PASSWORD');
  s.password = w[1];
  return 'OK\n';
};

const login: Handler = (ctx, s, w) => {
  if (w.length !== 2) return INVALID;
  if (s.loginUps !== undefined) return err('ALREADY-LOGGED-IN');
  const d = ctx.findDevice(w[1]);
  if (!d) return err('UNKNOWN-UPS');
  if (!checked(ctx, s, 'LOGIN', d.name, ctx.users.checkAction(s.username, s.password, 'LOGIN'))) return err('ACCESS-DENIED');
  ctx.login(s, d);
  ctx.audit?.({ kind: 'login', user: s.username!, addr: s.addr, ups: s.loginUps!, tls: s.tls });
  return 'OK\n';
};

function primary(granted: string): Handler {
  return (ctx, s, w) => {
    if (w.length !== 2) return INVALID;
    const d = ctx.findDevice(w[1]);
    if (!d) return err('UNKNOWN-UPS');
    const allowed = ctx.users.checkAction(s.username, s.password, 'PRIMARY') || ctx.users.checkAction(s.username, s.password, 'MASTER');
    if (!checked(ctx, s, granted.includes('MASTER') ? 'MASTER' : 'PRIMARY', d.name, allowed)) {
      return err('ACCESS-DENIED');
    }
    return granted;
  };
}

const fsd: Handler = (ctx, s, w) => {
  if (w.length !== 2) return INVALID;
  const d = ctx.findDevice(w[1]);
  if (!d) return err('UNKNOWN-UPS');
  if (!checked(ctx, s, 'FSD', d.name, ctx.users.checkAction(s.username, s.password, 'FSD'))) return err('ACCESS-DENIED');
  ctx.audit?.({ kind: 'fsd', user: s.username!, addr: s.addr, ups: d.name });
  ctx.fsd.add(d.name.toLowerCase());
  return 'OK FSD-SET\n';
};

const logout: Handler = (ctx, s, w) => {
  if (w.length !== 1) return INVALID;
  if (s.loginUps !== undefined) ctx.audit?.({ kind: 'logout', user: s.username ?? '', addr: s.addr, ups: s.loginUps, tls: s.tls });
  s.after = 'logout';
  return 'OK Goodbye\n';
};

const starttls: Handler = (ctx, s) => {
  if (s.tls) return err('ALREADY-SSL-MODE');
  if (!ctx.tlsReady) return err('FEATURE-NOT-CONFIGURED');
  s.after = 'starttls';
  return 'OK STARTTLS\n';
};

const COMMANDS = new Map<string, Command>([
  ['VER', { handler: noArgs(SERVER_INFO), user: false }],
  ['NETVER', { handler: noArgs(PROTOCOL_VERSION), user: false }],
  ['PROTVER', { handler: noArgs(PROTOCOL_VERSION), user: false }],
  ['HELP', { handler: noArgs(HELP_TEXT), user: false }],
  ['STARTTLS', { handler: starttls, user: false }],
  ['GET', { handler: get, user: false }],
  ['LIST', { handler: list, user: false }],
  ['USERNAME', { handler: username, user: false }],
  ['PASSWORD', { handler: password, user: false }],
  ['LOGOUT', { handler: logout, user: false }],
  ['LOGIN', { handler: login, user: true }],
  ['PRIMARY', { handler: primary('OK PRIMARY-GRANTED\n'), user: true }],
  ['MASTER', { handler: primary('OK MASTER-GRANTED\n'), user: true }],
  ['FSD', { handler: fsd, user: true }],
  ['SET', { handler: set, user: true }],
  ['INSTCMD', { handler: instcmd, user: true }],
]);

/** One request line (already tokenized) → the whole answer. */
export function execute(ctx: CommandContext, s: Session, words: readonly string[]): Answer {
  if (words.length < 1) return err('UNKNOWN-COMMAND');
  // clients send commands in capitals: look the word up as sent before upper-casing it
  const cmd = COMMANDS.get(words[0]) ?? COMMANDS.get(words[0].toUpperCase());
  if (!cmd) return err('UNKNOWN-COMMAND');
  if (cmd.user) {
    if (s.username === undefined) return err('USERNAME-REQUIRED');
    if (s.password === undefined) return err('PASSWORD-REQUIRED');
  }
  return cmd.handler(ctx, s, words);
}
