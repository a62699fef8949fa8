/** NUT 2.8.0's two result formats (values are printed as they are, unescaped), plus JSON. */
import type { ScanDevice } from './device.js';

/** `[nutdevN]` sections; N continues from `first`. */
export function formatNutConf(devices: readonly ScanDevice[], first = 1): string {
  let out = '';
  let n = first;
  for (const d of devices) {
    out += `[nutdev${n++}]\n\tdriver = "${d.driver}"\n\tport = "${d.port}"\n`;
    for (const [k, v] of d.options) out += v === undefined ? `\t${k}\n` : `\t${k} = "${v}"\n`;
  }
  return out;
}

/** Avahi results print as NUT's. */
function parsableType(d: ScanDevice): string {
  return d.type === 'AVAHI' ? 'NUT' : d.type;
}

export function formatParsable(devices: readonly ScanDevice[]): string {
  let out = '';
  for (const d of devices) {
    out += `${parsableType(d)}:driver="${d.driver}",port="${d.port}"`;
    for (const [k, v] of d.options) out += v === undefined ? `,${k}` : `,${k}="${v}"`;
    out += '\n';
  }
  return out;
}

export function formatJson(devices: readonly ScanDevice[]): string {
  const list = devices.map((d, i) => ({
    name: `nutdev${i + 1}`,
    type: parsableType(d),
    driver: d.driver,
    port: d.port,
    ...(d.subdriver ? { subdriver: d.subdriver } : {}),
    options: Object.fromEntries(d.options.map(([k, v]) => [k, v ?? true])),
  }));
  return JSON.stringify({ devices: list }, null, 2) + '\n';
}
