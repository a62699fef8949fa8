/** Loads a driver plugin's entry module (TypeScript or JavaScript) with jiti. */
import { createJiti } from 'jiti';
import type { DriverPlugin } from '../plugin-api/index.js';
import { DriverFatal, errorText } from './runtime.js';

export async function loadDriverPlugin(entryPath: string): Promise<DriverPlugin> {
  let mod: unknown;
  try {
    const jiti = createJiti(import.meta.url, { moduleCache: true });
    mod = await jiti.import(entryPath, { default: true });
  } catch (e) {
    throw new DriverFatal(`cannot load driver plugin ${entryPath}: ${errorText(e)}`);
  }
  const plugin = mod as Partial<DriverPlugin> | undefined;
  if (!plugin || typeof plugin !== 'object' || typeof plugin.updateinfo !== 'function') {
    throw new DriverFatal(`driver plugin ${entryPath} has no default export with an updateinfo() function`);
  }
  return plugin as DriverPlugin;
}
