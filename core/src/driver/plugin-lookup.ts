/** Which plugin runs `<driver>` for the standalone driver CLI (the host's registry). */
import { effectiveManifest } from '../plugins/effective-manifest.js';
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
  return { manifest: effectiveManifest(r), entryPath: r.entryPath, dir: r.plugin.dir, tables: r.tables };
}
