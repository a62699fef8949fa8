/**
 * mDNS for NUT servers: the announcement our upsd makes (when the host setting enables it)
 * and the browse nut-scanner's `-A` does. Two service types: `_nut._tcp` (NUT's Avahi service
 * file, Home Assistant) and `_upsd._tcp` with a `device_list` TXT key (what NUT's scanner
 * browses). Uses multicast-dns (pure JavaScript).
 */
import { createRequire } from 'node:module';
import { hostname, networkInterfaces } from 'node:os';
import type { ScanDevice } from './device.js';

export const SERVICE_TYPES = ['_nut._tcp.local', '_upsd._tcp.local'] as const;

interface ResourceRecord {
  name: string;
  type: string;
  ttl?: number;
  data?: unknown;
}

interface Packet {
  questions?: Array<{ name: string; type: string }>;
  answers?: ResourceRecord[];
  additionals?: ResourceRecord[];
}

interface Mdns {
  on(event: 'query', l: (p: Packet, rinfo: { address: string; port: number }) => void): void;
  on(event: 'response', l: (p: Packet) => void): void;
  on(event: 'error' | 'warning', l: (e: Error) => void): void;
  on(event: 'ready', l: () => void): void;
  query(q: Packet): void;
  respond(r: Packet, rinfo?: { address: string; port: number }): void;
  destroy(cb?: () => void): void;
}

/** The host setting `mdns` and the scanner's browse use the same options. */
export interface MdnsOptions {
  /** Default 5353. */
  port?: number;
  /** Multicast group, default 224.0.0.251. */
  group?: string;
}

function open(options: MdnsOptions): Mdns {
  const factory = createRequire(import.meta.url)('multicast-dns') as (o: object) => Mdns;
  return factory({ port: options.port ?? 5353, ip: options.group ?? '224.0.0.251', reuseAddr: true, loopback: true });
}

export interface Announcement {
  port: number;
  /** Address announced (A record); a wildcard listener announces the first external IPv4. */
  address: string;
  upsNames: string[];
}

function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Answers queries for both service types until stop(). */
export class MdnsAnnouncer {
  private mdns: Mdns | undefined;
  private readonly host = `${hostname().replace(/\.local$/, '')}.local`;

  constructor(
    private readonly what: () => Announcement,
    private readonly options: MdnsOptions = {},
    private readonly log: (message: string) => void = () => {},
  ) {}

  start(): void {
    const mdns = open(this.options);
    this.mdns = mdns;
    mdns.on('error', (e) => this.log(`mDNS: ${e.message}`));
    mdns.on('warning', (e) => this.log(`mDNS: ${e.message}`));
    mdns.on('query', (q) => {
      for (const question of q.questions ?? []) {
        const type = SERVICE_TYPES.find((t) => t === question.name && (question.type === 'PTR' || question.type === 'ANY'));
        if (type) mdns.respond(this.records(type));
      }
    });
  }

  private records(type: string): Packet {
    const a = this.what();
    const address = a.address === '0.0.0.0' || a.address === '::' ? firstIPv4() : a.address;
    const instance = `nut-ts on ${this.host.replace(/\.local$/, '')}.${type}`;
    const txt = ['txtvers=1', 'protovers=1.0.0', `device_list=${a.upsNames.join(';')}`];
    return {
      answers: [{ name: type, type: 'PTR', ttl: 120, data: instance }],
      additionals: [
        { name: instance, type: 'SRV', ttl: 120, data: { port: a.port, target: this.host, priority: 0, weight: 0 } },
        { name: instance, type: 'TXT', ttl: 120, data: txt },
        { name: this.host, type: 'A', ttl: 120, data: address },
      ],
    };
  }

  stop(): Promise<void> {
    const mdns = this.mdns;
    this.mdns = undefined;
    return new Promise((resolve) => (mdns ? mdns.destroy(() => resolve()) : resolve()));
  }
}

interface Found {
  host?: string;
  address?: string;
  port?: number;
  devices?: string[];
}

function txtValue(data: unknown, key: string): string | undefined {
  const list = Array.isArray(data) ? data : [data];
  for (const item of list) {
    const text = Buffer.isBuffer(item) ? item.toString('utf8') : String(item);
    if (text.startsWith(`${key}=`)) return text.slice(key.length + 1).replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * Asks for both service types and collects answers for `waitMs`. A server with `device_list`
 * gives one `nutclient` device per name (`<ups>@<address>[:port]`, `desc` = IPv4); without it,
 * `fallback(address, port)` is asked (an old-NUT LIST UPS), else a bare `<address>[:port]` entry.
 */
export async function browseMdns(
  waitMs: number,
  options: MdnsOptions = {},
  fallback?: (address: string, port: number) => Promise<string[]>,
): Promise<ScanDevice[]> {
  const mdns = open(options);
  const instances = new Map<string, Found>();
  const addresses = new Map<string, string>();
  mdns.on('error', () => {});
  mdns.on('warning', () => {});
  mdns.on('response', (p) => {
    for (const r of [...(p.answers ?? []), ...(p.additionals ?? [])]) {
      if (r.type === 'PTR' && (SERVICE_TYPES as readonly string[]).includes(r.name)) {
        if (!instances.has(String(r.data))) instances.set(String(r.data), {});
      } else if (r.type === 'SRV') {
        const s = r.data as { port: number; target: string };
        const f = instances.get(r.name) ?? {};
        instances.set(r.name, { ...f, port: s.port, host: s.target });
      } else if (r.type === 'TXT') {
        const f = instances.get(r.name) ?? {};
        const list = txtValue(r.data, 'device_list');
        instances.set(r.name, { ...f, devices: list === undefined ? undefined : list.split(';').filter(Boolean) });
      } else if (r.type === 'A') addresses.set(r.name, String(r.data));
    }
  });
  await new Promise<void>((resolve) => mdns.on('ready', resolve));
  mdns.query({ questions: SERVICE_TYPES.map((name) => ({ name, type: 'PTR' })) });
  await new Promise((r) => setTimeout(r, waitMs));
  await new Promise<void>((resolve) => mdns.destroy(() => resolve()));

  const out: ScanDevice[] = [];
  const seen = new Set<string>();
  for (const f of instances.values()) {
    if (f.port === undefined || f.host === undefined) continue;
    const address = addresses.get(f.host) ?? f.host;
    const where = f.port === 3493 ? address : `${address}:${f.port}`;
    let names = f.devices;
    if (names === undefined && fallback) names = await fallback(address, f.port);
    const entries = names && names.length ? names.map((n) => `${n}@${where}`) : [where];
    for (const port of entries) {
      if (seen.has(port)) continue;
      seen.add(port);
      out.push({ type: 'AVAHI', driver: 'nutclient', port, options: [['desc', address.includes(':') ? 'IPv6' : 'IPv4']] });
    }
  }
  return out;
}
