/**
 * Node's permission model for plugins run confined, out of process: read access to the
 * plugin's own package, the runtime it imports and the files its section names; no write, no
 * child processes, no worker threads, no native addons. (Node 20 has no network permission:
 * a confined plugin can still open sockets.)
 *
 * Node 20 follows a symbolic link inside an allowed folder wherever it points, so a plugin
 * package holding a link out of what it may read (to upsd.users, say) is not started confined
 * (escapingLinks).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { permissionDenial } from '../driver/denial.js';
import type { InstanceSpec } from './worker-protocol.js';

export interface ConfinementOptions {
  /** The plugin's package directory. */
  packageDir: string;
  /** What the plugin runs on (e.g. the core package's dist, node_modules it imports). */
  runtimeDirs?: readonly string[];
  /** Files the ups.conf section names (port, data files), already resolved. */
  sectionFiles?: readonly string[];
  /** Node's version; the flag is --experimental-permission before 22. */
  nodeVersion?: string;
}

export function permissionFlag(nodeVersion: string = process.version): string {
  const major = Number.parseInt(nodeVersion.replace(/^v/, ''), 10);
  return major >= 22 ? '--permission' : '--experimental-permission';
}

/** Node options that start a confined plugin process. */
export function confinedNodeArgs(o: ConfinementOptions): string[] {
  const reads = [o.packageDir, ...(o.runtimeDirs ?? []), ...(o.sectionFiles ?? [])].map((p) => resolve(p));
  return [
    permissionFlag(o.nodeVersion),
    // the refusals are the point; the "experimental feature" notice would only fill the log
    '--disable-warning=ExperimentalWarning',
    ...[...new Set(reads)].map((p) => `--allow-fs-read=${p}`),
  ];
}

/** A refusal by the permission model as the host logs it; undefined for other errors. */
export function describeDenial(plugin: string, err: unknown): string | undefined {
  const what = permissionDenial(err);
  return what === undefined ? undefined : `plugin ${plugin} (confined) was refused: ${what}`;
}

/** The package directory holding `file` (nearest package.json above it). */
function packageRoot(file: string): string | undefined {
  let dir = dirname(resolve(file));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** `name`'s package directory as Node resolves it from `fromDir`, and its dependencies', transitively. */
function dependencyDirs(fromDir: string, names: readonly string[], seen: Set<string>): void {
  const req = createRequire(join(fromDir, 'package.json'));
  for (const name of names) {
    let dir: string | undefined;
    try {
      dir = packageRoot(req.resolve(`${name}/package.json`));
    } catch {
      try {
        dir = packageRoot(req.resolve(name));
      } catch {
        continue; // not installed: the plugin's own import fails with a clear message
      }
    }
    if (!dir || seen.has(dir)) continue;
    seen.add(dir);
    const link = linkPath(fromDir, name);
    if (link) seen.add(link);
    dependencyDirs(dir, depsOf(dir), seen);
  }
}

/** node_modules/<name> as found from `fromDir` upwards (a workspace link the loader reads as it is). */
function linkPath(fromDir: string, name: string): string | undefined {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const p = join(dir, 'node_modules', name);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) return undefined;
  }
}

function depsOf(dir: string): string[] {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    return Object.keys(pkg.dependencies ?? {});
  } catch {
    return [];
  }
}

/** core/ (the package holding this module's dist). */
const CORE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What a confined instance may read: its plugin's package and the packages that one depends on,
 * its tables, core's dist and package.json with core's dependencies, and the file
 * its section's `port` names when that is a file (dummy-ups' .dev/.seq, relative to the config
 * directory as the driver resolves it). Nothing else of the config directory: not upsd.users.
 */
/**
 * Package folders found per plugin, once per process: resolving a few hundred packages takes
 * a tenth of a second or more, and a restarting instance must not pay it each time.
 */
const packageDirs = new Map<string, string[]>();

export function confinementFor(spec: InstanceSpec, coreDir: string = CORE_DIR): ConfinementOptions {
  const packageDir = spec.pluginDir ?? packageRoot(spec.entryPath) ?? dirname(spec.entryPath);
  const entryPackage = packageRoot(spec.entryPath);
  const key = `${packageDir}|${entryPackage}|${coreDir}`;
  let dirs = packageDirs.get(key);
  if (!dirs) {
    const seen = new Set<string>();
    if (entryPackage && entryPackage !== packageDir) seen.add(entryPackage);
    // plugins import @nut-ts/core/plugin-api (in a checkout through the workspace link)
    dependencyDirs(packageDir, [...depsOf(packageDir), '@nut-ts/core'], seen);
    if (entryPackage) dependencyDirs(entryPackage, depsOf(entryPackage), seen);
    // the runtime and the plugin API import core's dependencies (jiti, ajv, ...)
    dependencyDirs(coreDir, depsOf(coreDir), seen);
    seen.delete(coreDir); // core itself: only its dist and package.json (its link is kept)
    dirs = [...seen];
    packageDirs.set(key, dirs);
  }
  const sectionFiles: string[] = [...(spec.tables ?? [])];
  if (spec.port) {
    const candidate = isAbsolute(spec.port) ? spec.port : join(spec.confPath, spec.port);
    try {
      if (statSync(candidate).isFile()) sectionFiles.push(candidate, realpathSync(candidate));
    } catch {
      /* not a file (a device, a host name): nothing to read */
    }
  }
  return {
    packageDir,
    runtimeDirs: [join(coreDir, 'dist'), join(coreDir, 'package.json'), ...dirs],
    sectionFiles,
  };
}

/** Entries scanned per package at most (a plugin package is small; node_modules may not be). */
const SCAN_LIMIT = 20_000;

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Symbolic links under `dirs` that lead out of `allowed` (Node's permission model would follow
 * them): "link -> target" for each. A folder too large to scan counts as one finding.
 */
export function escapingLinks(dirs: readonly string[], allowed: readonly string[]): string[] {
  const roots = allowed.map((a) => {
    try {
      return realpathSync(a);
    } catch {
      return resolve(a);
    }
  });
  const found: string[] = [];
  for (const dir of dirs) {
    let seen = 0;
    const stack = [resolve(dir)];
    while (stack.length > 0) {
      const d = stack.pop()!;
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        continue;
      }
      for (const name of names) {
        if (++seen > SCAN_LIMIT) {
          found.push(`${dir} (more than ${SCAN_LIMIT} entries; not checked for links)`);
          stack.length = 0;
          break;
        }
        const p = join(d, name);
        let st;
        try {
          st = lstatSync(p);
        } catch {
          continue;
        }
        if (st.isSymbolicLink()) {
          let target: string;
          try {
            target = realpathSync(p);
          } catch {
            continue; // dangling: leads nowhere
          }
          if (!roots.some((r) => inside(r, target))) found.push(`${p} -> ${target}`);
        } else if (st.isDirectory()) stack.push(p);
      }
    }
  }
  return found;
}

/**
 * The Node options for a confined instance of `spec`, or why it cannot run confined (its
 * plugin package holds a link out of what it may read).
 */
export function confinedLaunch(spec: InstanceSpec): { execArgv: string[] } | { refused: string } {
  const o = confinementFor(spec);
  const allowed = [o.packageDir, ...(o.runtimeDirs ?? []), ...(o.sectionFiles ?? [])];
  const links = escapingLinks([o.packageDir], allowed);
  if (links.length > 0) {
    return {
      refused: `cannot run [${spec.upsname}] confined: plugin ${spec.driver} holds symbolic links out of what it may read (Node's permission model would follow them): ${links.slice(0, 5).join(', ')}${links.length > 5 ? ', ...' : ''}`,
    };
  }
  return { execArgv: confinedNodeArgs(o) };
}

/** ups.conf keys that choose a USB device (NUT's USB matching options). */
const USB_MATCH_KEYS = ['vendorid', 'productid', 'vendor', 'product', 'serial', 'bus', 'device', 'busport'] as const;

/** The USB matching options the section sets, if any. */
function sectionUsbMatch(spec: Pick<InstanceSpec, 'options'>): Record<string, string> | undefined {
  const match: Record<string, string> = {};
  for (const key of USB_MATCH_KEYS) {
    const named = spec.options[key];
    if (typeof named === 'string') match[key] = named;
  }
  return Object.keys(match).length > 0 ? match : undefined;
}

/**
 * A device open by a confined instance, held to what its ups.conf section names: a serial open
 * only of the section's `port`; a USB or HID open with every matching option the section sets
 * (added where the request leaves it out, refused where the request names another value); a
 * USB listing of only the devices those options match.
 * Returns the arguments to pass on, or why the open is refused.
 */
export function narrowConfinedOpen(spec: Pick<InstanceSpec, 'upsname' | 'port' | 'options'>, method: string, args: readonly unknown[]): { args: unknown[] } | { refused: string } {
  if (method === 'openSerial') {
    if (args[0] === spec.port) return { args: [...args] };
    return { refused: `[${spec.upsname}] is confined: it may open only its section's port ${spec.port}, not ${String(args[0])}` };
  }
  if (method === 'listUsb') {
    const match = sectionUsbMatch(spec);
    if (!match) return { args: [...args] };
    const options = typeof args[0] === 'object' && args[0] !== null ? args[0] : {};
    return { args: [{ ...options, match }, ...args.slice(1)] };
  }
  if (method !== 'openUsb' && method !== 'openHid') return { args: [...args] };
  const asked = (typeof args[0] === 'object' && args[0] !== null ? args[0] : {}) as Record<string, unknown>;
  const narrowed: Record<string, unknown> = { ...asked };
  for (const [key, named] of Object.entries(sectionUsbMatch(spec) ?? {})) {
    const wanted = asked[key];
    if (wanted !== undefined && String(wanted).toLowerCase() !== named.toLowerCase()) {
      return { refused: `[${spec.upsname}] is confined: it may open only USB devices its section matches (${key} = ${named}), not ${key} ${String(wanted)}` };
    }
    narrowed[key] = named;
  }
  return { args: [narrowed, ...args.slice(1)] };
}
