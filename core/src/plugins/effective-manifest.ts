/**
 * The manifest an instance runs with: a plugin that feeds an engine (`extends`) accepts the
 * engine's options besides its own. A vendor may redefine an engine option, but never make a
 * sensitive one (a community string, a password) publishable.
 */
import type { OptionSchema, PluginManifest } from './manifest.js';
import type { RunnablePlugin } from './registry.js';

export function effectiveManifest(runnable: Pick<RunnablePlugin, 'plugin' | 'engine'>): PluginManifest {
  const own = runnable.plugin.manifest;
  if (runnable.engine === runnable.plugin) return own;
  const engineOptions = runnable.engine.manifest.options?.properties ?? {};
  const properties: Record<string, OptionSchema> = { ...engineOptions };
  for (const [name, option] of Object.entries(own.options?.properties ?? {})) {
    const sensitive = engineOptions[name]?.sensitive || option.sensitive;
    properties[name] = sensitive ? { ...option, sensitive: true } : option;
  }
  const open = runnable.engine.manifest.options?.additionalProperties === true || own.options?.additionalProperties === true;
  return { ...own, options: { type: 'object', properties, ...(open ? { additionalProperties: true } : {}) } };
}
