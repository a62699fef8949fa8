import { describe, expect, it } from 'vitest';
import { effectiveManifest } from '../../src/plugins/effective-manifest.js';
import type { PluginManifest } from '../../src/plugins/manifest.js';

const engine: PluginManifest = {
  driver: 'snmp-ups',
  kind: 'snmp',
  description: 'engine',
  version: '1',
  options: {
    type: 'object',
    properties: {
      community: { type: 'string', description: 'community', sensitive: true },
      pollfreq: { type: 'integer', description: 'poll' },
    },
  },
};

function vendor(properties: PluginManifest['options']): PluginManifest {
  return { driver: 'acme-snmp', kind: 'snmp', description: 'vendor', version: '1', extends: 'snmp-ups', options: properties };
}

const asRunnable = (plugin: PluginManifest, eng: PluginManifest) => ({ plugin: { manifest: plugin }, engine: { manifest: eng } }) as never;

describe('effectiveManifest', () => {
  it('is the plugin itself when it extends nothing', () => {
    const self = { manifest: engine };
    expect(effectiveManifest({ plugin: self, engine: self } as never)).toBe(engine);
  });

  it("gives an extending plugin the engine's options besides its own", () => {
    const m = effectiveManifest(asRunnable(vendor({ type: 'object', properties: { zone: { type: 'string', description: 'z' } } }), engine));
    expect(Object.keys(m.options!.properties).sort()).toEqual(['community', 'pollfreq', 'zone']);
    expect(m.driver).toBe('acme-snmp');
  });

  it('lets a vendor redefine an engine option but never un-mark a sensitive one', () => {
    const m = effectiveManifest(
      asRunnable(vendor({ type: 'object', properties: { community: { type: 'string', description: 'vendor text' } } }), engine),
    );
    expect(m.options!.properties.community).toEqual({ type: 'string', description: 'vendor text', sensitive: true });
  });

  it('keeps additionalProperties open when either side allows it', () => {
    const openEngine = { ...engine, options: { ...engine.options!, additionalProperties: true } };
    expect(effectiveManifest(asRunnable(vendor(undefined), openEngine)).options!.additionalProperties).toBe(true);
    expect(effectiveManifest(asRunnable(vendor(undefined), engine)).options!.additionalProperties).toBeUndefined();
  });
});
