/** Usage codes by name from every shipped table (for rebuilding descriptors from logged paths). */
import { readFileSync } from 'node:fs';
import { builtinTableFiles } from './table.js';

let cache: Map<string, number> | undefined;

export function defaultUsage(name: string): number | undefined {
  if (!cache) {
    cache = new Map();
    // The generic names first: logs render paths with them unless a vendor table names the node.
    const files = builtinTableFiles().sort((a, b) => Number(!a.endsWith('usbhid-ups.json')) - Number(!b.endsWith('usbhid-ups.json')));
    for (const f of files) {
      const t = JSON.parse(readFileSync(f, 'utf8')) as { usages?: Array<[string, string]> };
      for (const [n, code] of t.usages ?? []) {
        const k = n.toLowerCase();
        if (!cache.has(k)) cache.set(k, Number.parseInt(code, 16) >>> 0);
      }
    }
  }
  return cache.get(name.toLowerCase());
}
