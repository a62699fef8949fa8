/**
 * The SNMP transport: one net-snmp session per instance, used the way NUT uses Net-SNMP's
 * synchronous API (one GET/GETNEXT/SET at a time, numeric OIDs only).
 */
import snmp from 'net-snmp';
import type { Session, Varbind } from 'net-snmp';
import { ensureDesCbc } from '@nut-ts/core/plugin-api';

/** ASN.1 tags as NUT's decoders see them. */
export const Asn = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  ObjectId: 6,
  IpAddress: 64,
  Counter: 65,
  Gauge: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

export interface SnmpValue {
  /** Numeric OID of the answer, with a leading dot (Net-SNMP's -On rendering). */
  oid: string;
  type: number;
  /** Integers as number (bigint for Counter64), strings as Buffer, OIDs as dotted text. */
  value: number | bigint | Buffer | string | null;
}

export interface SnmpTransport {
  /** GET; undefined when the agent returned an error (noSuchName under v1) or did not answer. */
  get(oid: string): Promise<SnmpValue | undefined>;
  getNext(oid: string): Promise<SnmpValue | undefined>;
  /** SET; true when the agent answered without error. */
  set(oid: string, type: 'i' | 's' | 't', value: string): Promise<boolean>;
  close(): void;
}

export type SecLevel = 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';

export interface SessionConfig {
  host: string;
  port: number;
  version: 'v1' | 'v2c' | 'v3';
  community: string;
  retries: number;
  /** Seconds per try. */
  timeout: number;
  secLevel?: SecLevel;
  secName?: string;
  authPassword?: string;
  privPassword?: string;
  authProtocol?: string;
  privProtocol?: string;
}

export interface TransportLog {
  debug(level: number, message: string): void;
}

const AUTH: Record<string, keyof typeof snmp.AuthProtocols> = {
  MD5: 'md5',
  SHA: 'sha',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};
const PRIV: Record<string, keyof typeof snmp.PrivProtocols> = {
  DES: 'des',
  AES: 'aes',
  AES128: 'aes',
  AES256: 'aes256b',
};

/** NUT's `port`: host, host:port, [v6]:port; default UDP port 161. */
export function parsePeer(port: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(port);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : 161 };
  const m = /^([^:]+):(\d+)$/.exec(port);
  if (m) return { host: m[1], port: Number(m[2]) };
  return { host: port, port: 161 };
}

/** Names NUT 2.8.0 accepts, matched as its strncmp/strcmp chain does. */
export function authProtocolKey(name: string): keyof typeof snmp.AuthProtocols | undefined {
  if (name.startsWith('MD5')) return 'md5';
  if (name === 'SHA256' || name === 'SHA384' || name === 'SHA512') return AUTH[name];
  if (name.startsWith('SHA')) return 'sha';
  return undefined;
}

export function privProtocolKey(name: string): keyof typeof snmp.PrivProtocols | undefined {
  if (name.startsWith('DES')) return 'des';
  if (name === 'AES192') return undefined;
  if (name === 'AES256') return PRIV.AES256;
  if (name.startsWith('AES')) return 'aes';
  return undefined;
}

function toValue(vb: Varbind): SnmpValue {
  const oid = '.' + vb.oid.replace(/^\./, '');
  const v = vb.value;
  if (Buffer.isBuffer(v)) {
    if (vb.type === Asn.Counter64) {
      let n = 0n;
      for (const b of v) n = (n << 8n) | BigInt(b);
      return { oid, type: vb.type, value: n };
    }
    return { oid, type: vb.type, value: v };
  }
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return { oid, type: vb.type, value: v };
  return { oid, type: vb.type, value: null };
}

export class NetSnmpTransport implements SnmpTransport {
  private readonly session: Session;
  private closed = false;

  constructor(
    cfg: SessionConfig,
    private readonly log?: TransportLog,
  ) {
    const options = {
      port: cfg.port,
      retries: cfg.retries,
      timeout: Math.max(1, cfg.timeout * 1000),
      transport: cfg.host.includes(':') ? ('udp6' as const) : ('udp4' as const),
      version: cfg.version === 'v1' ? snmp.Version1 : cfg.version === 'v2c' ? snmp.Version2c : snmp.Version3,
    };
    if (cfg.version === 'v3') {
      const level = snmp.SecurityLevel[cfg.secLevel ?? 'noAuthNoPriv'];
      const user: import('net-snmp').V3User = { name: cfg.secName ?? '', level };
      if (cfg.secLevel === 'authNoPriv' || cfg.secLevel === 'authPriv') {
        user.authProtocol = snmp.AuthProtocols[authProtocolKey(cfg.authProtocol ?? 'MD5') ?? 'md5'];
        user.authKey = cfg.authPassword ?? '';
      }
      if (cfg.secLevel === 'authPriv') {
        if (privProtocolKey(cfg.privProtocol ?? 'DES') === 'des') ensureDesCbc();
        user.privProtocol = snmp.PrivProtocols[privProtocolKey(cfg.privProtocol ?? 'DES') ?? 'des'];
        user.privKey = cfg.privPassword ?? '';
      }
      this.session = snmp.createV3Session(cfg.host, user, options);
    } else {
      this.session = snmp.createSession(cfg.host, cfg.community, options);
    }
    // Undecodable datagrams and socket errors end up here; they must never crash the worker.
    this.session.on('error', (err) => this.log?.debug(2, `SNMP session error: ${err?.message ?? err}`));
  }

  private request(kind: 'get' | 'getNext', oid: string): Promise<SnmpValue | undefined> {
    const bare = oid.replace(/^\./, '');
    if (this.closed || !/^\d+(\.\d+)*$/.test(bare)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      try {
        this.session[kind]([bare], (error, varbinds) => {
          if (error || !varbinds || varbinds.length === 0) {
            this.log?.debug(3, `${kind}(${oid}): ${error?.message ?? 'no varbind'}`);
            resolve(undefined);
            return;
          }
          resolve(toValue(varbinds[0]));
        });
      } catch (e) {
        this.log?.debug(2, `${kind}(${oid}): ${(e as Error).message}`);
        resolve(undefined);
      }
    });
  }

  get(oid: string): Promise<SnmpValue | undefined> {
    return this.request('get', oid);
  }

  getNext(oid: string): Promise<SnmpValue | undefined> {
    return this.request('getNext', oid);
  }

  set(oid: string, type: 'i' | 's' | 't', value: string): Promise<boolean> {
    const bare = oid.replace(/^\./, '');
    if (this.closed || !/^\d+(\.\d+)*$/.test(bare)) return Promise.resolve(false);
    let vb: Varbind;
    if (type === 's') vb = { oid: bare, type: Asn.OctetString, value: Buffer.from(value, 'latin1') };
    else {
      const n = Number.parseInt(value, 10);
      if (!Number.isFinite(n)) return Promise.resolve(false);
      vb = type === 't' ? { oid: bare, type: Asn.TimeTicks, value: n >>> 0 } : { oid: bare, type: Asn.Integer, value: n | 0 };
    }
    return new Promise((resolve) => {
      try {
        this.session.set([vb], (error) => {
          if (error) this.log?.debug(1, `set(${oid}): ${error.message}`);
          resolve(!error);
        });
      } catch (e) {
        this.log?.debug(1, `set(${oid}): ${(e as Error).message}`);
        resolve(false);
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.session.close();
    } catch {
      /* already closed */
    }
  }
}
