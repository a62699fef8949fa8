import { describe, expect, it } from 'vitest';
import { defaultHostSettings } from '../../src/config/host-settings.js';
import { loadSchema, validatorFor, type JsonSchema, type SchemaName } from '../../src/config/schemas.js';

const NAMES: SchemaName[] = ['ups.conf', 'upsd.conf', 'upsd.users', 'nut.conf', 'host-settings'];

describe('schemas/', () => {
  it.each(NAMES)('%s.schema.json compiles in strict mode', (name) => {
    expect(typeof validatorFor(name)).toBe('function');
    expect(validatorFor(name)).toBe(validatorFor(name)); // compiled once
  });

  it('ups.conf schema describes the whole file as a document', () => {
    const v = validatorFor('ups.conf');
    expect(v({ global: { maxretry: 3, nowait: true }, sections: { x: { driver: 'dummy-ups', port: 'x.dev', 'override.ups.mfr': 'ACME', mode: 'dummy-loop' } } })).toBe(true);
    expect(v({ global: {}, sections: { x: { driver: 'dummy-ups' } } })).toBe(false);
    expect(v({ global: { pollinterval: 0 }, sections: {} })).toBe(false);
    expect(v({ global: { bogus: '1' }, sections: {} })).toBe(false);
  });

  it('host-settings schema states the same defaults as the code', () => {
    const s = loadSchema('host-settings');
    const props = s.properties as Record<string, JsonSchema>;
    const d = defaultHostSettings();
    expect(props.pluginPaths.default).toEqual(d.pluginPaths);
    expect(props.workersPerInstance.default).toBe(d.workersPerInstance);
    expect(props.watchdogMs.default).toBe(d.watchdogMs);
    const restart = props.restart.properties as Record<string, JsonSchema>;
    for (const [k, v] of Object.entries(d.restart)) expect(restart[k].default, k).toBe(v);
    const limits = props.resourceLimits.properties as Record<string, JsonSchema>;
    for (const [k, v] of Object.entries(d.resourceLimits)) expect(limits[k].default, k).toBe(v);
  });

  it('every ups.conf option is documented', () => {
    const defs = loadSchema('ups.conf').$defs as Record<string, JsonSchema>;
    for (const def of ['global', 'driverCore']) {
      for (const [k, v] of Object.entries(defs[def].properties ?? {})) expect(v.description, `${def}.${k}`).toBeTruthy();
    }
  });
});
