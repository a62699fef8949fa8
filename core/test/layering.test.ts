/**
 * Imports run one way (DESIGN.md, Layering): config/ and dstate/ at the bottom; then client/,
 * driver-socket/, plugins/ and plugin-api/; then driver/ (what runs in a worker), transport/ (the
 * device access a worker's runtime gets, and the host's broker behind it), upsd/, http/ and
 * mqtt/ (the network services beside upsd);
 * then host/, monitor/, scanner/; cli/ at the top. A module may import its own layer and the
 * layers below, never one above.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const LAYERS: Record<string, number> = {
  config: 0,
  dstate: 0,
  client: 1,
  'driver-socket': 1,
  plugins: 1,
  'plugin-api': 1,
  driver: 2,
  upsd: 2,
  transport: 2,
  host: 3,
  http: 2,
  mqtt: 2,
  monitor: 3,
  scanner: 3,
  cli: 4,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const folderOf = (file: string) => relative(SRC, file).split(sep)[0];

describe('layering of core/src', () => {
  it('every folder has a layer', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    expect(folders.filter((f) => !(f in LAYERS))).toEqual([]);
  });

  it('no module imports a layer above its own', () => {
    const wrong: string[] = [];
    for (const file of files(SRC)) {
      const from = folderOf(file);
      if (!(from in LAYERS)) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
        const target = resolve(file, '..', m[1] ?? m[2]);
        const to = folderOf(target);
        if (to in LAYERS && LAYERS[to] > LAYERS[from]) wrong.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} is below ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
