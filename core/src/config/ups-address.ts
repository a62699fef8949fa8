/**
 * `upsname[@hostname[:port]]` and `hostname[:port]` as libupsclient splits them
 * (upscli_splitname / upscli_splitaddr): `[v6]:port` literals, strtol-style port (trailing
 * junk ignored), default host `localhost`, default port 3493.
 */

import { cAtoi } from './c-numbers.js';

export const DEFAULT_PORT = 3493;
export const DEFAULT_HOST = 'localhost';

export interface HostAddress {
  host: string;
  port: number;
}

export interface UpsAddress extends HostAddress {
  ups: string;
}

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

/** strtol(s, NULL, 10); NaN when there are no digits. */
function strtol(s: string): number {
  return /^[\t\n\v\f\r ]*[+-]?\d/.test(s) ? cAtoi(s) : NaN;
}

/** Splits `hostname[:port]` or `[v6addr][:port]`; throws AddressError with libupsclient's text. */
export function parseHostPort(text: string): HostAddress {
  if (text === '') throw new AddressError("upscli_splitaddr: can't parse empty string");
  let host: string;
  let rest: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new AddressError('upscli_splitaddr: missing closing bracket in [domain literal]');
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (!after.startsWith(':')) return { host, port: DEFAULT_PORT };
    rest = after.slice(1);
  } else {
    const colon = text.indexOf(':');
    host = (colon < 0 ? text : text.slice(0, colon)).replace(/^:+/, '');
    if (colon < 0) return { host, port: DEFAULT_PORT };
    rest = text.slice(colon + 1);
  }
  const port = strtol(rest);
  if (rest === '' || !(port >= 1 && port <= 65535)) {
    throw new AddressError("upscli_splitaddr: no port specified after ':' separator");
  }
  return { host, port };
}

/** Splits `upsname[@hostname[:port]]`. */
export function parseUpsName(text: string): UpsAddress {
  if (text === '') throw new AddressError("upscli_splitname: can't parse empty string");
  const at = text.indexOf('@');
  // strtok(tmp, "@") skips leading '@'s: "@host" names the UPS "host"
  const ups = text.split('@').find((p) => p !== '') ?? '';
  if (at < 0) return { ups, host: DEFAULT_HOST, port: DEFAULT_PORT };
  return { ups, ...parseHostPort(text.slice(at + 1)) };
}

/** The inverse, for messages: `ups@host:port` (IPv6 literals bracketed). */
export function formatUpsName(a: UpsAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.ups}@${host}${a.port === DEFAULT_PORT ? '' : `:${a.port}`}`;
}
