/**
 * Plugin discovery: finds packages whose package.json has a "nut-ts" field, validates their
 * manifests and answers "which plugin runs driver X". Reads JSON only; plugin code is never
 * loaded here (it runs in workers).
 *
 * Search order (first provider of a driver name wins, later ones are reported as shadowed):
 *  1. each of settings.pluginPaths: the path itself if it is a plugin package, else the
 *     packages directly inside it;
 *  2. node_modules directories upward from cwd (nearest first), then upward from each plugin path;
 *  3. the plugins shipped in this repository (plugins/*).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { PluginManifest, PluginMatch } from './manifest.js';
import { coreVersion, coreVersionProblem } from './core-version.js';
import { tableMatch } from './table-match.js';
import { closest, schemasDir, validateManifest } from './validate.js';

export interface PluginSearchSettings {
  /** Extra places to look (host settings `pluginPaths`); relative paths resolve against cwd. */
  pluginPaths?: readonly string[];
  /** Where the node_modules search starts; default process.cwd(). */
  cwd?: string;
  /** Search the repository's plugins/ directory (default true). */
  builtin?: boolean;
  /** Search node_modules upward (default true). */
  nodeModules?: boolean;
}

export type PluginSource = 'pluginPath' | 'node_modules' | 'builtin';

export interface PluginInfo {
  driver: string;
  manifest: PluginManifest;
  /** npm package name (or the directory name when package.json has none). */
  packageName: string;
  packageVersion: string;
  /** Real path of the package directory. */
  dir: string;
  source: PluginSource;
  /** Absolute path of the manifest's entry, if it has one. */
  entryPath?: string;
  /** Absolute paths of the manifest's tables. */
  tables: string[];
  /** Absolute path of the manifest's converters module, if it has one. */
  convertersPath?: string;
  /** What discovery recognises: the manifest's match, with match.snmp read from the tables. */
  match: PluginMatch;
}

export interface PluginProblem {
  packageName: string;
  dir: string;
  message: string;
}

export interface PluginListing {
  plugins: PluginInfo[];
  /** Invalid manifests, missing files, shadowed duplicates. */
  problems: PluginProblem[];
}

/** A plugin that exists but cannot be used; the message names the package. */
export class PluginError extends Error {
  constructor(
    message: string,
    readonly packageName: string,
    readonly dir: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'PluginError';
  }
}

/** A table and the package that brought it. */
export interface TableSource {
  file: string;
  packageName: string;
  /** The package's converters module, for the engine to load next to the table. */
  convertersPath?: string;
}

/**
 * What a worker needs to run a driver: the module and all tables, the engine's own first, then
 * those of the packages in the `extends` chain and, when the driver is the engine itself, those
 * of every installed package that extends it (how each engine ranks them is its own rule).
 */
export interface RunnablePlugin {
  plugin: PluginInfo;
  /** Plugin that provides the code (the plugin itself, or the end of its `extends` chain). */
  engine: PluginInfo;
  entryPath: string;
  tables: string[];
  /** The same tables with the package each comes from. */
  tableSources: TableSource[];
}

/** The repository root (parent of schemas/ and plugins/). */
export function repoRoot(): string {
  return dirname(schemasDir());
}

interface Candidate {
  dir: string;
  source: PluginSource;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function packagesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    if (name.startsWith('@')) {
      for (const sub of (() => {
        try {
          return readdirSync(full).sort();
        } catch {
          return [];
        }
      })()) {
        if (isDir(join(full, sub))) out.push(join(full, sub));
      }
    } else if (isDir(full)) {
      out.push(full);
    }
  }
  return out;
}

function nodeModulesUpward(start: string): string[] {
  const out: string[] = [];
  let dir = resolve(start);
  for (;;) {
    const nm = join(dir, 'node_modules');
    if (isDir(nm)) out.push(nm);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

function candidates(settings: PluginSearchSettings): Candidate[] {
  const cwd = settings.cwd ?? process.cwd();
  const list: Candidate[] = [];
  const paths = (settings.pluginPaths ?? []).map((p) => (isAbsolute(p) ? p : resolve(cwd, p)));
  for (const p of paths) {
    if (existsSync(join(p, 'package.json'))) list.push({ dir: p, source: 'pluginPath' });
    else for (const d of packagesIn(p)) list.push({ dir: d, source: 'pluginPath' });
  }
  if (settings.nodeModules !== false) {
    const nms = [...nodeModulesUpward(cwd), ...paths.flatMap(nodeModulesUpward)];
    for (const nm of [...new Set(nms)]) for (const d of packagesIn(nm)) list.push({ dir: d, source: 'node_modules' });
  }
  if (settings.builtin !== false) {
    let root: string | undefined;
    try {
      root = repoRoot();
    } catch {
      root = undefined;
    }
    if (root) for (const d of packagesIn(join(root, 'plugins'))) list.push({ dir: d, source: 'builtin' });
  }
  return list;
}

function resolveInside(dir: string, rel: string): string {
  return isAbsolute(rel) ? rel : resolve(dir, rel);
}

/** Reads one package; undefined when it is not a plugin (no "nut-ts" field). */
export function readPluginPackage(dir: string, source: PluginSource = 'pluginPath'): PluginInfo | PluginProblem | undefined {
  const pkgFile = join(dir, 'package.json');
  let text: string;
  try {
    text = readFileSync(pkgFile, 'utf8');
  } catch {
    return undefined;
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    // Only a package that looks like a plugin is worth a complaint.
    if (!text.includes('"nut-ts"')) return undefined;
    return { packageName: dir, dir, message: `${pkgFile}: invalid JSON (${(e as Error).message})` };
  }
  if (!pkg || typeof pkg !== 'object' || !('nut-ts' in pkg)) return undefined;
  const packageName = typeof pkg.name === 'string' ? pkg.name : dir;
  const label = `plugin package "${packageName}" (${dir})`;
  const check = validateManifest(pkg['nut-ts']);
  if (!check.ok) return { packageName, dir, message: `${label}: invalid manifest: ${check.problems.join('; ')}` };
  const manifest = check.manifest;
  const missing: string[] = [];
  let entryPath: string | undefined;
  if (manifest.entry) {
    entryPath = resolveInside(dir, manifest.entry);
    if (!existsSync(entryPath)) missing.push(`entry "${manifest.entry}" does not exist (${entryPath})`);
  }
  const tables = (manifest.tables ?? []).map((t) => resolveInside(dir, t));
  tables.forEach((t, i) => {
    if (!existsSync(t)) missing.push(`table "${manifest.tables![i]}" does not exist (${t})`);
  });
  let convertersPath: string | undefined;
  if (manifest.converters) {
    convertersPath = resolveInside(dir, manifest.converters);
    if (!existsSync(convertersPath)) missing.push(`converters "${manifest.converters}" does not exist (${convertersPath})`);
  }
  if (missing.length > 0) return { packageName, dir, message: `${label}: ${missing.join('; ')}` };
  const fit = coreVersionProblem(manifest.core, coreVersion());
  if (fit) return { packageName, dir, message: `${label}: ${fit}` };
  const match = tableMatch(manifest, tables);
  if (typeof match === 'string') return { packageName, dir, message: `${label}: ${match}` };
  return {
    driver: manifest.driver,
    manifest,
    packageName,
    packageVersion: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    dir,
    source,
    entryPath,
    tables,
    convertersPath,
    match,
  };
}

/** All plugins and all problems found, in search order. */
export function discoverPlugins(settings: PluginSearchSettings = {}): PluginListing {
  const seenDirs = new Set<string>();
  let builtinDir: string | undefined;
  try {
    builtinDir = join(realpathSync(repoRoot()), 'plugins') + '/';
  } catch {
    builtinDir = undefined;
  }
  const byDriver = new Map<string, PluginInfo>();
  const plugins: PluginInfo[] = [];
  const problems: PluginProblem[] = [];
  for (const c of candidates(settings)) {
    let real: string;
    try {
      real = realpathSync(c.dir);
    } catch {
      continue;
    }
    if (seenDirs.has(real)) continue;
    seenDirs.add(real);
    const found = readPluginPackage(real, builtinDir && real.startsWith(builtinDir) ? 'builtin' : c.source);
    if (!found) continue;
    if (!('driver' in found)) {
      problems.push(found);
      continue;
    }
    const prior = byDriver.get(found.driver);
    if (prior) {
      problems.push({
        packageName: found.packageName,
        dir: found.dir,
        message: `plugin package "${found.packageName}" (${found.dir}) also provides driver "${found.driver}"; using "${prior.packageName}" (${prior.dir})`,
      });
      continue;
    }
    byDriver.set(found.driver, found);
    plugins.push(found);
  }
  return { plugins, problems };
}

/** Valid plugins, in search order. */
export function listPlugins(settings: PluginSearchSettings = {}): PluginInfo[] {
  return discoverPlugins(settings).plugins;
}

function invalidFor(driver: string, listing: PluginListing): PluginProblem | undefined {
  // A package whose broken manifest still names the driver: the user meant that one.
  for (const p of listing.problems) {
    try {
      const pkg = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      const m = pkg['nut-ts'] as Record<string, unknown> | undefined;
      if (m && m.driver === driver) return p;
    } catch {
      /* unreadable: not attributable */
    }
  }
  return undefined;
}

/**
 * The plugin that runs `driver`, with its engine chain resolved. Undefined when no package
 * provides it (the host then looks for NUT's C driver). Throws PluginError when the provider
 * is broken (invalid manifest, missing entry or engine), naming the package.
 */
export function findDriverPlugin(driver: string, settings: PluginSearchSettings = {}, listing?: PluginListing): RunnablePlugin | undefined {
  const all = listing ?? discoverPlugins(settings);
  const byDriver = new Map(all.plugins.map((p) => [p.driver, p]));
  const plugin = byDriver.get(driver);
  if (!plugin) {
    const broken = invalidFor(driver, all);
    if (broken) throw new PluginError(broken.message, broken.packageName, broken.dir);
    return undefined;
  }
  const chain: PluginInfo[] = [plugin];
  let current = plugin;
  while (!current.entryPath) {
    const target = current.manifest.extends;
    const label = `plugin package "${current.packageName}" (${current.dir})`;
    if (!target) throw new PluginError(`${label}: has neither "entry" nor "extends"`, current.packageName, current.dir);
    const next = byDriver.get(target);
    if (!next) {
      const hint = closest(target, [...byDriver.keys()]);
      throw new PluginError(
        `${label}: extends driver "${target}", but no installed plugin provides it${hint ? ` (did you mean "${hint}"?)` : ''}`,
        current.packageName,
        current.dir,
      );
    }
    if (chain.includes(next)) {
      throw new PluginError(`${label}: "extends" chain loops (${[...chain, next].map((p) => p.driver).join(' -> ')})`, current.packageName, current.dir);
    }
    chain.push(next);
    current = next;
  }
  const contributors = chain.slice().reverse();
  if (plugin === current) contributors.push(...extensionsOf(plugin, all.plugins));
  const tableSources = contributors.flatMap((p) =>
    p.tables.map((file) => ({ file, packageName: p.packageName, ...(p.convertersPath ? { convertersPath: p.convertersPath } : {}) })),
  );
  return { plugin, engine: current, entryPath: current.entryPath, tables: tableSources.map((t) => t.file), tableSources };
}

/** Installed packages that feed `engine` directly (`extends: <engine>`) with tables of their own. */
export function extensionsOf(engine: PluginInfo, plugins: readonly PluginInfo[]): PluginInfo[] {
  return plugins.filter((p) => p !== engine && p.manifest.extends === engine.driver && p.tables.length > 0);
}
