/** Which plugin runs `<driver>` for the standalone driver CLI (the host's registry). */
import { findDriverPlugin } from '../plugins/registry.js';
import type { PluginManifest } from '../plugins/manifest.js';

export interface CliPlugin {
  manifest: PluginManifest;
  entryPath: string;
  dir: string;
  tables: string[];
}

export function findDriverPluginForCli(driver: string): CliPlugin | undefined {
  const r = findDriverPlugin(driver);
  if (!r) return undefined;
  // A plugin that feeds an engine (`extends`) accepts the engine's options besides its own.
  const own = r.plugin.manifest.options?.properties ?? {};
  const engine = r.engine === r.plugin ? {} : (r.engine.manifest.options?.properties ?? {});
  const manifest: PluginManifest =
    r.engine === r.plugin ? r.plugin.manifest : { ...r.plugin.manifest, options: { type: 'object', properties: { ...engine, ...own } } };
  return { manifest, entryPath: r.entryPath, dir: r.plugin.dir, tables: r.tables };
}
