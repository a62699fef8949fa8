/**
 * Host settings beyond NUT's files (plugin paths, limits, restart caps), found with
 * cosmiconfig from the working directory: nut-ts.config.*, .nut-tsrc*, or "nut-ts" in
 * package.json (a "nut-ts" field that declares a driver is a plugin manifest, not settings).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import { cosmiconfig } from 'cosmiconfig';
import type { RestartPolicy } from './restart-policy.js';

export interface HostSettings {
  /** Extra plugin locations; relative ones are resolved against the settings file. */
  pluginPaths?: string[];
  /** Budget for one call into plugin code (ms). */
  watchdogMs?: number;
  resourceLimits?: ResourceLimits;
  restart?: Partial<Pick<RestartPolicy, 'maxDelayMs' | 'minDelayMs' | 'stableAfterMs'>>;
}

export interface LoadedSettings {
  settings: HostSettings;
  file: string | undefined;
  problems: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(obj: Record<string, unknown>, key: string, problems: string[], where: string): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  problems.push(`${where}: "${key}" must be a non-negative number, got ${JSON.stringify(v)}`);
  return undefined;
}

/** Checks and normalises a settings object; bad keys are reported and dropped. */
export function normaliseSettings(raw: unknown, file: string | undefined): LoadedSettings {
  const problems: string[] = [];
  const where = file ?? 'host settings';
  const settings: HostSettings = {};
  if (!isRecord(raw)) {
    if (raw !== undefined && raw !== null) problems.push(`${where}: settings must be an object`);
    return { settings, file, problems };
  }
  const base = file ? dirname(file) : process.cwd();
  if (raw.pluginPaths !== undefined) {
    if (Array.isArray(raw.pluginPaths) && raw.pluginPaths.every((p) => typeof p === 'string')) {
      settings.pluginPaths = (raw.pluginPaths as string[]).map((p) => (isAbsolute(p) ? p : resolve(base, p)));
    } else problems.push(`${where}: "pluginPaths" must be an array of paths`);
  }
  settings.watchdogMs = num(raw, 'watchdogMs', problems, where);
  if (isRecord(raw.resourceLimits)) {
    const r = raw.resourceLimits;
    settings.resourceLimits = {
      maxOldGenerationSizeMb: num(r, 'maxOldGenerationSizeMb', problems, where),
      maxYoungGenerationSizeMb: num(r, 'maxYoungGenerationSizeMb', problems, where),
      stackSizeMb: num(r, 'stackSizeMb', problems, where),
    };
  }
  if (isRecord(raw.restart)) {
    const r = raw.restart;
    settings.restart = {
      maxDelayMs: num(r, 'maxDelayMs', problems, where),
      minDelayMs: num(r, 'minDelayMs', problems, where),
      stableAfterMs: num(r, 'stableAfterMs', problems, where),
    };
  }
  return { settings, file, problems };
}

export async function loadHostSettings(cwd: string = process.cwd()): Promise<LoadedSettings> {
  try {
    const explorer = cosmiconfig('nut-ts');
    const found = await explorer.search(cwd);
    if (!found || found.isEmpty) return { settings: {}, file: undefined, problems: [] };
    if (found.filepath.endsWith('package.json') && isRecord(found.config) && 'driver' in found.config) {
      return { settings: {}, file: undefined, problems: [] };
    }
    return normaliseSettings(found.config, found.filepath);
  } catch (e) {
    return { settings: {}, file: undefined, problems: [`host settings: ${(e as Error).message}`] };
  }
}

/** Drops undefined members so spreading over defaults keeps the defaults. */
export function defined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
