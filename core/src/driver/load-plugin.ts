/** Loads a driver plugin's entry module (TypeScript or JavaScript) with jiti. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import type { DriverFactory, DriverPlugin } from '../plugin-api/index.js';
import { DriverFatal, errorText } from './runtime.js';

/**
 * A plugin installed outside this repository (npm install of a vendor package) has no
 * @nut-ts/core of its own: its `import ... from '@nut-ts/core/plugin-api'` gets the host's copy.
 */
const PLUGIN_API_ALIAS = {
  '@nut-ts/core/plugin-api': join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'plugin-api', 'index.js'),
};

/**
 * Loads the module once and returns its factory: a factory export is called per instance; an
 * object export (stateless plugin) is handed to every instance as it is.
 */
export async function loadDriverFactory(entryPath: string): Promise<DriverFactory> {
  let mod: unknown;
  try {
    const jiti = createJiti(import.meta.url, { moduleCache: true, alias: PLUGIN_API_ALIAS });
    mod = await jiti.import(entryPath, { default: true });
  } catch (e) {
    throw new DriverFatal(`cannot load driver plugin ${entryPath}: ${errorText(e)}`);
  }
  if (typeof mod === 'function') {
    const factory = mod as DriverFactory;
    return (instance) => checkPlugin(factory(instance), entryPath);
  }
  const plugin = checkPlugin(mod, entryPath);
  return () => plugin;
}

function checkPlugin(value: unknown, entryPath: string): DriverPlugin {
  const plugin = value as Partial<DriverPlugin> | undefined;
  if (!plugin || typeof plugin !== 'object' || typeof plugin.updateinfo !== 'function') {
    throw new DriverFatal(
      `driver plugin ${entryPath} has no default export with an updateinfo() function (or a factory returning one)`,
    );
  }
  return plugin as DriverPlugin;
}

/** One instance's plugin object (loads the module; jiti caches it per thread). */
export async function loadDriverPlugin(entryPath: string, upsname = ''): Promise<DriverPlugin> {
  const factory = await loadDriverFactory(entryPath);
  return factory({ upsname });
}
