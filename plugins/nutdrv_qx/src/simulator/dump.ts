/** upsc-style dumps (`var: value` lines, `#` comments), as the NUT DDL stores them. */
import { readFileSync } from 'node:fs';

export function parseDump(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

export function readDump(path: string): Map<string, string> {
  return parseDump(readFileSync(path, 'latin1'));
}

/** The protocols the simulator speaks (nutdrv_qx's protocol= names). */
export const SIMULATED_PROTOCOLS = ['megatec', 'megatec/old', 'mustek', 'q1', 'zinto', 'hunnox', 'voltronic-qs', 'voltronic-qs-hex', 'mecer', 'bestups'] as const;
export type SimulatedProtocol = (typeof SIMULATED_PROTOCOLS)[number];

/**
 * The protocol a dump was taken with: driver.parameter.protocol, else the name in
 * driver.version.data ("Mustek 0.07"), else megatec for blazer_ser/blazer_usb/megatec dumps.
 */
export function protocolOfDump(dump: Map<string, string>): SimulatedProtocol {
  const known = (p: string | undefined) => SIMULATED_PROTOCOLS.find((s) => s === p?.toLowerCase());
  const fromParam = known(dump.get('driver.parameter.protocol'));
  if (fromParam) return fromParam;
  const fromData = known(dump.get('driver.version.data')?.split(' ')[0]);
  if (fromData) return fromData;
  return 'megatec';
}
