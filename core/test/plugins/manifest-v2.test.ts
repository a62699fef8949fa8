/** Manifest v2: several kinds, USB/serial/SNMP match data, the core-version range; v1 manifests stay valid. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreVersion, coreVersionProblem } from '../../src/plugins/core-version.js';
import { pluginKinds } from '../../src/plugins/manifest.js';
import { discoverPlugins, findDriverPlugin, PluginError } from '../../src/plugins/registry.js';
import { parseRange, satisfies } from '../../src/plugins/semver.js';
import { validateManifest } from '../../src/plugins/validate.js';

const base = { driver: 'x', kind: 'serial', description: 'd', version: '1', entry: 'index.js' };

describe('manifest v2 schema', () => {
  it('keeps v1 manifests valid (one kind, vendorId/productId, probe text)', () => {
    const v1 = { ...base, match: { usb: [{ vendorId: '0665', productId: '5161' }], serial: [{ probe: 'Q1\r' }], snmp: [{ sysObjectId: '.1.3.6.1.2.1.33' }] } };
    expect(validateManifest(v1)).toMatchObject({ ok: true });
  });

  it('takes several kinds, USB string patterns and subdrivers, a serial probe spec, a core range', () => {
    const m = {
      ...base,
      kind: ['serial', 'hid'],
      core: '^0.1.0',
      match: {
        usb: [{ vendorId: '0665', productId: '5161', manufacturer: '^(INNO TECH|Voltronic)', product: 'UPS', subdriver: 'cypress' }],
        serial: [{ baudRate: 2400, dataBits: 8, parity: 'none', stopBits: 1, send: 'Q1\\r', expect: '^\\(\\d{3}\\.\\d', timeoutMs: 1000, subdriver: 'Q1' }],
      },
    };
    const r = validateManifest(m);
    expect(r).toMatchObject({ ok: true });
    expect(pluginKinds(m as never)).toEqual(['serial', 'hid']);
    expect(pluginKinds(base as never)).toEqual(['serial']);
  });

  it('refuses what does not fit, saying what is allowed', () => {
    const bad = (over: object) => {
      const r = validateManifest({ ...base, ...over });
      return r.ok ? '' : r.problems.join('\n');
    };
    expect(bad({ kind: 'usb' })).toContain('/kind: must be one of "hid", "snmp", "serial", "software"');
    expect(bad({ kind: ['serial', 'usb'] })).toContain('/kind/1: must be one of');
    expect(bad({ match: { serial: [{ baudRate: 2400 }] } })).not.toBe('');
    expect(bad({ match: { serial: [{ send: 'Q1', expect: '(' }] } })).toContain('/match/serial/0/expect');
    expect(bad({ match: { usb: [{ vendorId: '0665', serial: 'x' }] } })).toContain('unknown key "serial"');
    expect(bad({ match: { serial: [{ send: 'Q1', expect: 'x', then: [{ send: 'I\\r' }] }] } })).toContain('/match/serial/0/then/0');
    expect(bad({ match: { serial: [{ send: 'Q1', expect: 'x', options: { protocol: 1 } }] } })).toContain('/match/serial/0/options/protocol');
  });

  it('a serial probe of several commands, a clearing byte and the ups.conf settings a match implies', () => {
    const probe = { clear: '\\r', send: 'Q1\\r', expect: '^\\(', then: [{ send: 'I\\r', expect: '^#', timeoutMs: 500 }], options: { protocol: 'megatec' } };
    expect(validateManifest({ ...base, match: { serial: [probe] } })).toMatchObject({ ok: true });
  });
});

describe('semver ranges (core)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['0.1.0', '^0.1.0', true],
    ['0.1.9', '^0.1.0', true],
    ['0.2.0', '^0.1.0', false],
    ['1.4.2', '^1.2', true],
    ['2.0.0', '^1.2', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['0.1.0', '>=0.1.0 <1', true],
    ['1.0.0', '>=0.1.0 <1', false],
    ['0.3.1', '0.1.x || 0.3.x', true],
    ['0.2.1', '0.1.x || 0.3.x', false],
    ['1.3.5', '1.2 - 1.4', true],
    ['1.5.0', '1.2 - 1.4', false],
    ['5.0.0', '*', true],
    ['0.1.0', '0.1.0', true],
    ['0.1.1', '=0.1.0', false],
    ['0.2.0-rc.1', '^0.1.0', false],
    ['0.2.0-rc.2', '>=0.2.0-rc.1 <0.3', true],
    ['0.2.0-rc.1', '>=0.2.0-rc.2', false],
    ['0.2.0', '>0.1', true],
    ['0.1.5', '<=0.1', true],
    ['0.2.0', '<=0.1', false],
  ];
  for (const [version, range, expected] of cases) {
    it(`${version} ${expected ? 'satisfies' : 'does not satisfy'} "${range}"`, () => expect(satisfies(version, range)).toBe(expected));
  }
  it('refuses a range it cannot read', () => {
    expect(() => parseRange('>=banana')).toThrow(/not a version range element/);
    expect(coreVersionProblem('>=banana', '0.1.0')).toMatch(/"core": invalid version range ">=banana"/);
    expect(coreVersionProblem('^9', '0.1.0')).toBe('needs nut-ts core ^9, but this is core 0.1.0');
    expect(coreVersionProblem(undefined, '0.1.0')).toBeUndefined();
  });
});

describe('the host checks the core range before loading a plugin', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-manifest-v2-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function plugin(name: string, manifest: object, files: Record<string, string> = { 'index.js': 'export default {};\n' }): void {
    const at = join(dir, 'node_modules', name);
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'package.json'), JSON.stringify({ name, version: '1.0.0', 'nut-ts': manifest }));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(at, f), text);
  }

  it('a plugin for another core is refused, with a message naming it', () => {
    plugin('future-ups', { ...base, driver: 'future-ups', core: '>=7' });
    plugin('present-ups', { ...base, driver: 'present-ups', core: `^${coreVersion()}` });
    const listing = discoverPlugins({ cwd: dir, builtin: false });
    expect(listing.plugins.map((p) => p.driver)).toEqual(['present-ups']);
    expect(listing.problems.map((p) => p.message).join('\n')).toMatch(/plugin package "future-ups" \(.*\): needs nut-ts core >=7, but this is core \d/);
    expect(() => findDriverPlugin('future-ups', { cwd: dir, builtin: false })).toThrow(PluginError);
    expect(() => findDriverPlugin('future-ups', { cwd: dir, builtin: false })).toThrow(/"future-ups".*needs nut-ts core >=7/);
  });

  it('reads match.snmp from the tables and refuses a manifest that disagrees with them', () => {
    const table = JSON.stringify({ mibs: [{ name: 'acme', version: '1', sysOID: '.1.3.6.1.4.1.99999.1' }], rows: [] });
    plugin('acme-engine', { ...base, driver: 'acme-engine', kind: 'snmp' });
    plugin('acme-mib', { driver: 'acme-mib', kind: 'snmp', description: 'd', version: '1', extends: 'acme-engine', tables: ['t.json'] }, { 't.json': table });
    plugin('wrong-mib', { driver: 'wrong-mib', kind: 'snmp', description: 'd', version: '1', extends: 'acme-engine', tables: ['t.json'], match: { snmp: [{ sysObjectId: '.1.2.3' }] } }, { 't.json': table });
    const listing = discoverPlugins({ cwd: dir, builtin: false });
    const acme = listing.plugins.find((p) => p.driver === 'acme-mib')!;
    expect(acme.match.snmp).toEqual([{ sysObjectId: '.1.3.6.1.4.1.99999.1', table: 'acme' }]);
    expect(listing.problems.map((p) => p.message).join('\n')).toMatch(/"wrong-mib".*"match.snmp" disagrees with the tables.*not in any table: \.1\.2\.3.*in the tables but not listed: \.1\.3\.6\.1\.4\.1\.99999\.1/);
    // driver = acme-engine gets the tables of the packages that extend it, naming each package
    const runnable = findDriverPlugin('acme-engine', { cwd: dir, builtin: false })!;
    expect(runnable.tableSources.map((t) => t.packageName)).toEqual(['acme-mib']);
  });

  it('a converters module named in the manifest must exist', () => {
    plugin('conv-mib', { driver: 'conv-mib', kind: 'snmp', description: 'd', version: '1', extends: 'x', tables: ['t.json'], converters: 'conv.js' }, { 't.json': '{}' });
    const listing = discoverPlugins({ cwd: dir, builtin: false });
    expect(listing.problems.map((p) => p.message).join('\n')).toMatch(/converters "conv.js" does not exist/);
  });
});
