/**
 * Host settings as the host uses them: core/src/config/host-settings.ts finds and validates
 * them (cosmiconfig, schemas/host-settings.schema.json); callers that build settings in code
 * (tests, embedding) may give any part, merged over the same defaults.
 */
import type { ResourceLimits } from 'node:worker_threads';
import {
  defaultHostSettings,
  loadHostSettings as loadFromFiles,
  type HostSettings,
  type RestartSettings,
  type WorkerResourceLimits,
} from '../config/host-settings.js';
import { formatProblem } from '../config/problems.js';

export type { HostSettings };

export type HostSettingsInput = Partial<Omit<HostSettings, 'restart' | 'resourceLimits'>> & {
  restart?: Partial<RestartSettings>;
  resourceLimits?: Partial<WorkerResourceLimits>;
};

export interface LoadedSettings {
  settings: HostSettings;
  file: string | undefined;
  problems: string[];
}

/** Drops undefined members so spreading over defaults keeps the defaults. */
export function defined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export function mergeSettings(input: HostSettingsInput | undefined): HostSettings {
  const d = defaultHostSettings();
  if (!input) return d;
  return {
    ...d,
    ...defined(input),
    restart: { ...d.restart, ...defined(input.restart) },
    resourceLimits: { ...d.resourceLimits, ...defined(input.resourceLimits) },
  } as HostSettings;
}

export function workerResourceLimits(settings: HostSettings): ResourceLimits {
  return defined(settings.resourceLimits) as ResourceLimits;
}

/** nut-ts.config.json in `confPath` (next to ups.conf) wins over a search from `cwd`. */
export async function loadHostSettings(cwd: string = process.cwd(), confPath?: string): Promise<LoadedSettings> {
  const r = await loadFromFiles(cwd, confPath);
  return { settings: r.settings, file: r.filepath, problems: r.problems.map(formatProblem) };
}
