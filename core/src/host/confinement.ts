/**
 * Node's permission model for plugins run confined, out of process: read access to the
 * plugin's own package, the runtime it imports and the files its section names; no write, no
 * child processes, no worker threads, no native addons. (Node 20 has no network permission:
 * a confined plugin can still open sockets.)
 */
import { resolve } from 'node:path';

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
  return [permissionFlag(o.nodeVersion), ...[...new Set(reads)].map((p) => `--allow-fs-read=${p}`)];
}

/** A refusal by the permission model as the host logs it; undefined for other errors. */
export function describeDenial(plugin: string, err: unknown): string | undefined {
  const e = err as { code?: string; permission?: string; resource?: string };
  if (e?.code !== 'ERR_ACCESS_DENIED') return undefined;
  const what: Record<string, string> = {
    FileSystemRead: 'read',
    FileSystemWrite: 'write',
    ChildProcess: 'start a process',
    WorkerThreads: 'start a worker thread',
  };
  const action = what[e.permission ?? ''] ?? e.permission ?? 'do something';
  return `plugin ${plugin} (confined) was refused: ${action}${e.resource ? ` ${e.resource}` : ''}`;
}
