/** Address ranges as NUT's scanner takes them: inclusive `-s`/`-e` (either alone = one address) or CIDR. */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';

export class NetmaskError extends Error {}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** A host name or IPv4 address → dotted IPv4; undefined when it does not resolve. */
export async function resolveIPv4(host: string): Promise<string | undefined> {
  if (isIPv4(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return undefined;
  }
}

/**
 * `a.b.c.d/len` → first and last address, network and broadcast included. No `/len`: undefined
 * with a warning (NUT then scans nothing). A length of 0 or not a number: NetmaskError.
 */
export function cidrToRange(cidr: string, warn: (s: string) => void): { start: string; end: string } | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) {
    warn(`WARNING: nutscan_cidr_to_ip failed to parse mask from cidr=${cidr} (first_ip=${cidr})\n`);
    return undefined;
  }
  const ip = cidr.slice(0, slash);
  const maskText = cidr.slice(slash + 1);
  const len = /^[0-9]+$/.test(maskText) ? Number(maskText) : 0;
  if (len <= 0) throw new NetmaskError(`Bad netmask: ${maskText}`);
  if (!isIPv4(ip)) return undefined;
  const bits = Math.min(len, 32);
  const size = 2 ** (32 - bits);
  const first = Math.floor(toInt(ip) / size) * size;
  return { start: toIp(first), end: toIp(first + size - 1) };
}

/** Every IPv4 address from start to end inclusive (a reversed range is swapped). */
export function* addressRange(start: string, end: string): Generator<string> {
  let a = toInt(start);
  let b = toInt(end);
  if (a > b) [a, b] = [b, a];
  for (let n = a; n <= b; n++) yield toIp(n);
}
