/**
 * LISTEN's port may be a service name, as NUT's upsd hands it to getaddrinfo(): "nut" is 3493
 * through /etc/services. Node has no getservbyname, so the file is read here.
 */
import { readFileSync } from 'node:fs';

export const SERVICES_FILE = '/etc/services';

/** The TCP port of a numeric port or a service name (or alias); undefined when unknown. */
export function tcpServicePort(port: string, servicesText?: string): number | undefined {
  if (/^\d+$/.test(port)) return Number(port);
  let text = servicesText;
  if (text === undefined) {
    try {
      text = readFileSync(SERVICES_FILE, 'latin1');
    } catch {
      return undefined;
    }
  }
  for (const raw of text.split('\n')) {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (words.length < 2) continue;
    const m = /^(\d+)\/tcp$/i.exec(words[1]);
    if (!m) continue;
    if (words[0] === port || words.slice(2).includes(port)) return Number(m[1]);
  }
  return undefined;
}
