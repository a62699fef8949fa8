/**
 * From a ups.conf section and its plugin to the InstanceSpec a worker runs. The section is
 * read exactly as a standalone driver reads it (core/src/driver/settings.ts: core keys,
 * override.* / default.*, declared options only, pollinterval checks), so an instance in the
 * host and `driver -a <ups>` agree; the host adds its watchdog budget and the tables.
 */
import { applyUpsConf, emptySettings, SettingsError, toInstanceSpec } from '../driver/settings.js';
import { effectiveManifest } from '../plugins/effective-manifest.js';
import type { RunnablePlugin } from '../plugins/registry.js';
import type { UpsConf, UpsConfSection } from './ups-conf.js';
import type { InstanceSpec } from './worker-protocol.js';

export { SettingsError, effectiveManifest };

export const DEFAULT_WATCHDOG_MS = 30_000;

export interface SpecContext {
  confPath: string;
  /** Debug level passed through by upsdrvctl -d (count of -D). */
  debugLevel?: number;
  watchdogMs?: number;
}

/** Throws SettingsError (with NUT's text and exit status) when the section is not acceptable. */
export function buildInstanceSpec(conf: UpsConf, section: UpsConfSection, runnable: RunnablePlugin, ctx: SpecContext): InstanceSpec {
  const manifest = effectiveManifest(runnable);
  const settings = emptySettings(manifest.driver, section.name);
  applyUpsConf(settings, conf, section, manifest);
  const spec = toInstanceSpec(
    settings,
    manifest,
    { entryPath: runnable.entryPath, confPath: ctx.confPath, pluginDir: runnable.plugin.dir, tables: runnable.tables },
    ctx.debugLevel ?? 0,
  );
  return {
    ...spec,
    watchdogMs: ctx.watchdogMs ?? DEFAULT_WATCHDOG_MS,
    experimental: manifest.experimental ?? runnable.engine.manifest.experimental ?? false,
  };
}
