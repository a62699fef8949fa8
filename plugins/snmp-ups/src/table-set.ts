/**
 * The tables an instance runs with: the shipped ones and those of installed packages that feed
 * this engine, each package's rows with the converters its manifest names (`converters`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinConverters, withPackageConverters, type Converters } from './converters.js';
import { isBuiltinTable, loadMibs, TableError, type MibEntry } from './table.js';

/** The converters module named by the manifest of the package a table file belongs to. */
function convertersModuleOf(file: string): string | undefined {
  for (let dir = dirname(resolve(file)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const manifest = (JSON.parse(readFileSync(pkg, 'utf8')) as { 'nut-ts'?: { converters?: string } })['nut-ts'];
      return manifest?.converters ? resolve(dir, manifest.converters) : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export async function loadTableSet(files: readonly string[]): Promise<MibEntry[]> {
  const byFile = new Map<string, Converters>();
  const modules = new Map<string, Converters>();
  for (const file of files) {
    if (isBuiltinTable(file)) continue;
    const module = convertersModuleOf(file);
    if (!module) continue;
    let converters = modules.get(module);
    if (!converters) {
      try {
        converters = withPackageConverters((await import(pathToFileURL(module).href)) as Record<string, unknown>);
      } catch (e) {
        throw new TableError(file, 'converters', `cannot load ${module}: ${(e as Error).message}`);
      }
      modules.set(module, converters);
    }
    byFile.set(resolve(file), converters);
  }
  return loadMibs(files, (file) => byFile.get(resolve(file)) ?? builtinConverters);
}
