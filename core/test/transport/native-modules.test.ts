/**
 * The native device modules load only in the transport process: nothing a plugin worker
 * imports (statically or with import()) reaches serialport, usb or node-hid.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const NATIVE = /^(serialport|@serialport\/|usb$|node-hid$)/;
const dist = join(import.meta.dirname, '..', '..', 'dist');

/** Every bare specifier reachable from `entry` through relative imports. */
function reachable(entry: string): Map<string, string> {
  const bare = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else bare.set(spec, file);
    }
  };
  visit(entry);
  return bare;
}

describe('native device modules', () => {
  it('are out of reach of the driver worker', () => {
    const worker = reachable(join(dist, 'driver', 'worker-main.js'));
    expect([...worker.keys()].filter((s) => NATIVE.test(s))).toEqual([]);
    expect([...worker.keys()]).toContain('node:worker_threads');
  });

  it('are reached from the transport process', () => {
    const transport = reachable(join(dist, 'transport', 'process-main.js'));
    expect([...transport.keys()].filter((s) => NATIVE.test(s))).toEqual(['serialport']);
  });
});
