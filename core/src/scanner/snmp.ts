/**
 * SNMP scan of one address, NUT 2.8.0's way: GET sysObjectID.0; every table whose sysObjectID
 * equals it exactly is confirmed by its model OID (the value becomes `desc`); when none is,
 * every table's model OID is tried. No retries; the timeout is per request.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ensureDesCbc } from '../plugin-api/des-cbc.js';
import type { ScanDevice } from './device.js';
import type { SnmpMatchRow } from './snmp-match.js';

interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

interface Session {
  get(oids: string[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
  close(): void;
  on(event: 'error', listener: (err?: Error) => void): void;
}

/** The part of net-snmp (JavaScript without types) the scan uses. */
interface NetSnmp {
  createSession(target: string, community: string, options: object): Session;
  createV3Session(target: string, user: object, options: object): Session;
  isVarbindError(vb: Varbind): boolean;
  Version1: number;
  Version2c: number;
  Version3: number;
  SecurityLevel: Record<'noAuthNoPriv' | 'authNoPriv' | 'authPriv', number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
}

const snmp = createRequire(import.meta.url)('net-snmp') as NetSnmp;

const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';

export interface SnmpCredentials {
  /** `-c`; when set (or no secLevel), SNMPv1 is used. */
  community?: string;
  version?: 'v1' | 'v2c';
  secLevel?: string;
  secName?: string;
  authPassword?: string;
  privPassword?: string;
  authProtocol?: string;
  privProtocol?: string;
}

const AUTH: Record<string, string> = { MD5: 'md5', SHA: 'sha', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const PRIV: Record<string, string> = { DES: 'des', AES: 'aes', AES256: 'aes256b' };

/** The v3 settings' problem as NUT prints it (once per address), or undefined when usable. */
export function v3Problem(c: SnmpCredentials): string | undefined {
  if (!isV3(c)) return undefined;
  const level = c.secLevel ?? '';
  if (!['noAuthNoPriv', 'authNoPriv', 'authPriv'].includes(level)) return `Bad SNMPv3 securityLevel: ${level}\n`;
  if (c.secName === undefined) return 'securityName is required for SNMPv3\n';
  if (level === 'authNoPriv' && c.authPassword === undefined) return `authPassword is required for SNMPv3 in ${level} mode\n`;
  if (level === 'authPriv' && (c.authPassword === undefined || c.privPassword === undefined)) {
    return `authPassword and privPassword are required for SNMPv3 in ${level} mode\n`;
  }
  if (level !== 'noAuthNoPriv' && c.authProtocol !== undefined && !AUTH[c.authProtocol]) return `Bad SNMPv3 authProtocol: ${c.authProtocol}\n`;
  if (level === 'authPriv' && c.privProtocol !== undefined && !PRIV[c.privProtocol]) return `Bad SNMPv3 privProtocol: ${c.privProtocol}\n`;
  return undefined;
}

function isV3(c: SnmpCredentials): boolean {
  return c.community === undefined && c.secLevel !== undefined;
}

/** net-snmp's `defaultPort` from `$SNMPCONFPATH/snmp.conf`, as NUT's scanner honours it; else 161. */
export function defaultSnmpPort(env: NodeJS.ProcessEnv = process.env): number {
  for (const dir of (env.SNMPCONFPATH ?? '').split(':').filter(Boolean)) {
    try {
      const m = /^\s*defaultPort\s+([0-9]+)/m.exec(readFileSync(join(dir, 'snmp.conf'), 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      // no snmp.conf there
    }
  }
  return 161;
}

function openSession(ip: string, port: number, timeoutMs: number, c: SnmpCredentials): Session {
  const options = { port, retries: 0, timeout: timeoutMs, transport: 'udp4' as const, idBitsSize: 32 as const };
  if (!isV3(c)) {
    return snmp.createSession(ip, c.community ?? 'public', { ...options, version: c.version === 'v2c' ? snmp.Version2c : snmp.Version1 });
  }
  const level = c.secLevel as 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  const user: Record<string, unknown> = { name: c.secName, level: snmp.SecurityLevel[level] };
  if (level !== 'noAuthNoPriv') {
    user.authProtocol = snmp.AuthProtocols[AUTH[c.authProtocol ?? 'MD5']];
    user.authKey = c.authPassword;
  }
  if (level === 'authPriv') {
    if ((c.privProtocol ?? 'DES') === 'DES') ensureDesCbc();
    user.privProtocol = snmp.PrivProtocols[PRIV[c.privProtocol ?? 'DES']];
    user.privKey = c.privPassword;
  }
  return snmp.createV3Session(ip, user, { ...options, version: snmp.Version3 });
}

function get(session: Session, oid: string): Promise<Varbind | undefined> {
  return new Promise((resolve) => {
    try {
      session.get([oid], (err: Error | null, varbinds?: Varbind[]) => {
        const vb = varbinds?.[0];
        if (err || !vb || snmp.isVarbindError(vb) || vb.oid !== oid) resolve(undefined);
        else resolve(vb);
      });
    } catch {
      resolve(undefined);
    }
  });
}

/** An OID as net-snmp spells it: no leading dot. */
function bare(oid: string): string {
  return oid.replace(/^\./, '');
}

/** The value as NUT prints it: the bytes up to the first NUL. */
function valueText(vb: Varbind): string {
  const v = vb.value;
  const text = Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

export async function scanSnmpHost(
  ip: string,
  port: number,
  timeoutMs: number,
  creds: SnmpCredentials,
  rows: readonly SnmpMatchRow[],
): Promise<ScanDevice[]> {
  const session = openSession(ip, port, timeoutMs, creds);
  session.on('error', () => {});
  const found: ScanDevice[] = [];
  const add = (row: SnmpMatchRow, desc: string | undefined): void => {
    const options: ScanDevice['options'] = [];
    if (desc !== undefined) options.push(['desc', desc]);
    options.push(['mibs', row.mib]);
    if (isV3(creds)) {
      options.push(['snmp_version', 'v3']);
      for (const k of ['secLevel', 'secName', 'authPassword', 'privPassword', 'authProtocol', 'privProtocol'] as const) {
        const v = creds[k];
        if (v !== undefined) options.push([k, v]);
      }
    } else {
      if (creds.version === 'v2c') options.push(['snmp_version', 'v2c']);
      options.push(['community', creds.community ?? 'public']);
    }
    found.push({ type: 'SNMP', driver: row.driver, port: ip, options });
  };
  const refused = portRefused(ip, port);
  try {
    const sys = await Promise.race([getAnswer(session, SYS_OBJECT_ID), refused.promise]);
    if (!sys.answered) return found;
    let matched = false;
    const sysOID = sys.vb && !snmp.isVarbindError(sys.vb) ? String(sys.vb.value) : undefined;
    for (const row of rows) {
      if (sysOID === undefined || bare(row.sysOID) !== sysOID) continue;
      if (!row.modelOID) {
        add(row, undefined);
        matched = true;
        continue;
      }
      const vb = await get(session, bare(row.modelOID));
      if (vb) {
        add(row, valueText(vb));
        matched = true;
      }
    }
    if (!matched) {
      for (const row of rows) {
        if (!row.modelOID) continue;
        const vb = await get(session, bare(row.modelOID));
        if (vb) add(row, valueText(vb));
      }
    }
  } finally {
    refused.cancel();
    session.close();
  }
  return found;
}

/**
 * Resolves (as "no answer") when the host says no agent listens on the port (ICMP port
 * unreachable on a connected socket, sent for an empty datagram agents ignore): such a host
 * is done at once instead of after the timeout. Hosts that stay silent are left to the GET.
 */
function portRefused(ip: string, port: number): { promise: Promise<{ answered: false }>; cancel(): void } {
  const socket = createSocket('udp4');
  let closed = false;
  const cancel = (): void => {
    if (closed) return;
    closed = true;
    socket.close();
  };
  const promise = new Promise<{ answered: false }>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') resolve({ answered: false });
      cancel();
    });
    socket.connect(port, ip, () => {
      if (!closed) socket.send(Buffer.alloc(0));
    });
  });
  return { promise, cancel };
}

/** Whether the agent answered at all (an error reply counts, as in NUT), and the varbind. */
function getAnswer(session: Session, oid: string): Promise<{ answered: boolean; vb?: Varbind }> {
  return new Promise((resolve) => {
    try {
      session.get([oid], (err: Error | null, varbinds?: Varbind[]) => {
        if (err) resolve({ answered: err.name === 'RequestFailedError' });
        else resolve({ answered: true, vb: varbinds?.[0] });
      });
    } catch {
      resolve({ answered: false });
    }
  });
}
