/**
 * From a ups.conf section and its plugin to the InstanceSpec a worker runs
 * (reference/driver-core.md §3): core keys stay with the host, everything else is a driver
 * option; override.* / default.* in file order; pollinterval and synchronous fall back to the
 * global section.
 */
import type { RunnablePlugin } from '../plugins/registry.js';
import { int, str, type UpsConf, type UpsConfSection } from './ups-conf.js';
import type { InstanceSpec } from './worker-protocol.js';

/** Section keys the driver core or upsdrvctl handle; not passed as plugin options. */
export const CORE_SECTION_KEYS = new Set([
  'driver',
  'port',
  'desc',
  'sdorder',
  'user',
  'group',
  'synchronous',
  'debug_min',
  'pollinterval',
  'sddelay',
  'chroot',
  'maxstartdelay',
  'maxretry',
  'retrydelay',
  'nowait',
]);

export const DEFAULT_WATCHDOG_MS = 120_000;

export interface SpecContext {
  confPath: string;
  /** Debug level passed through by upsdrvctl -d (count of -D). */
  debugLevel?: number;
  watchdogMs?: number;
}

export function synchronousMode(v: string | undefined): 'auto' | 'yes' | 'no' {
  if (v === undefined) return 'auto';
  return v === 'yes' ? 'yes' : v === 'auto' ? 'auto' : 'no';
}

export function buildInstanceSpec(conf: UpsConf, section: UpsConfSection, runnable: RunnablePlugin, ctx: SpecContext): InstanceSpec {
  const v = section.values;
  const g = conf.global;
  const options: Record<string, string | true> = {};
  const overrides: Array<[string, string]> = [];
  const defaults: Array<[string, string]> = [];
  for (const [key, value] of v) {
    const lower = key.toLowerCase();
    if (lower.startsWith('override.')) {
      if (typeof value === 'string') overrides.push([key.slice('override.'.length), value]);
    } else if (lower.startsWith('default.')) {
      if (typeof value === 'string') defaults.push([key.slice('default.'.length), value]);
    } else if (!CORE_SECTION_KEYS.has(key)) {
      options[key] = value;
    }
  }
  const manifest = runnable.plugin.manifest;
  const engineOptions = runnable.engine.manifest.options?.properties ?? {};
  const ownOptions = manifest.options?.properties ?? {};
  const sensitive = Object.entries({ ...engineOptions, ...ownOptions })
    .filter(([, o]) => o.sensitive)
    .map(([name]) => name);
  const debugMin = Math.max(0, int(v.get('debug_min') ?? g.get('debug_min'), 0));
  return {
    upsname: section.name,
    driver: manifest.driver,
    entryPath: runnable.entryPath,
    pluginVersion: manifest.version,
    pluginName: manifest.description,
    port: str(v.get('port')) ?? '',
    confPath: ctx.confPath,
    pollinterval: int(v.get('pollinterval') ?? g.get('pollinterval'), 2),
    synchronous: synchronousMode(str(v.get('synchronous') ?? g.get('synchronous'))),
    debugLevel: Math.max(ctx.debugLevel ?? 0, debugMin),
    options,
    sensitive,
    overrides,
    defaults,
    watchdogMs: ctx.watchdogMs ?? DEFAULT_WATCHDOG_MS,
    mode: 'run',
    tables: runnable.tables,
    pluginDir: runnable.plugin.dir,
    experimental: manifest.experimental ?? runnable.engine.manifest.experimental ?? false,
  };
}
