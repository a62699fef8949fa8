import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverPlugins, findDriverPlugin, listPlugins, PluginError } from '../../src/plugins/registry.js';
import { validateManifest } from '../../src/plugins/validate.js';

let dir: string;

function pkg(at: string, json: unknown, files: string[] = []): string {
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), typeof json === 'string' ? json : JSON.stringify(json));
  for (const f of files) {
    mkdirSync(join(at, f, '..'), { recursive: true });
    writeFileSync(join(at, f), 'export default {};\n');
  }
  return at;
}

const manifest = (driver: string, extra: Record<string, unknown> = {}) => ({
  driver,
  kind: 'software',
  description: `${driver} test driver`,
  version: '0.01',
  entry: 'index.js',
  ...extra,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nut-ts-registry-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const isolated = { builtin: false } as const;

describe('manifest validation', () => {
  it('accepts a minimal manifest', () => {
    expect(validateManifest(manifest('x')).ok).toBe(true);
  });
  it('names the key, the allowed values and the likely intended key', () => {
    const r = validateManifest({ driver: 'x', kind: 'usb', description: 'd', version: '1', entyr: 'a.js' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.join('\n');
    expect(text).toContain('unknown key "entyr" (did you mean "entry"?)');
    expect(text).toContain('/kind: must be one of "hid", "snmp", "serial", "software"');
    expect(text).toContain('needs "entry"');
  });
  it('checks option schemas', () => {
    const r = validateManifest(manifest('x', { options: { type: 'object', properties: { community: { type: 'secret' } } } }));
    expect(r.ok).toBe(false);
  });
});

describe('discovery', () => {
  it('finds plugins in node_modules upward from cwd, including scoped packages, and skips other packages', () => {
    const project = join(dir, 'project');
    pkg(join(project, 'node_modules', 'acme-ups'), { name: 'acme-ups', version: '1.2.3', 'nut-ts': manifest('acme-ups') }, ['index.js']);
    pkg(join(project, 'node_modules', '@vendor', 'vendor-hid'), { name: '@vendor/vendor-hid', 'nut-ts': manifest('vendor-hid') }, ['index.js']);
    pkg(join(project, 'node_modules', 'left-pad'), { name: 'left-pad' });
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    const plugins = listPlugins({ ...isolated, cwd: join(project, 'src', 'deep') });
    expect(plugins.map((p) => [p.driver, p.packageName, p.source])).toEqual([
      ['vendor-hid', '@vendor/vendor-hid', 'node_modules'],
      ['acme-ups', 'acme-ups', 'node_modules'],
    ]);
    expect(plugins[1].packageVersion).toBe('1.2.3');
    expect(plugins[1].entryPath).toBe(join(plugins[1].dir, 'index.js'));
  });

  it('finds plugins in pluginPaths (a package or a folder of packages) before node_modules', () => {
    const project = join(dir, 'project');
    pkg(join(project, 'node_modules', 'acme-ups'), { name: 'acme-ups', 'nut-ts': manifest('acme-ups') }, ['index.js']);
    pkg(join(dir, 'extra', 'my-acme'), { name: 'my-acme', 'nut-ts': manifest('acme-ups') }, ['index.js']);
    pkg(join(dir, 'single'), { name: 'single', 'nut-ts': manifest('single') }, ['index.js']);
    const { plugins, problems } = discoverPlugins({ ...isolated, cwd: project, pluginPaths: [join(dir, 'extra'), join(dir, 'single')] });
    expect(plugins.map((p) => `${p.driver}:${p.packageName}`)).toEqual(['acme-ups:my-acme', 'single:single']);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toContain('"acme-ups" (');
    expect(problems[0].message).toContain('also provides driver "acme-ups"; using "my-acme"');
  });

  it('visits a symlinked package once', () => {
    const real = pkg(join(dir, 'plugins', 'linked'), { name: 'linked', 'nut-ts': manifest('linked') }, ['index.js']);
    mkdirSync(join(dir, 'node_modules', '@s'), { recursive: true });
    symlinkSync(real, join(dir, 'node_modules', '@s', 'linked'));
    const { plugins, problems } = discoverPlugins({ ...isolated, cwd: dir, pluginPaths: [join(dir, 'plugins')] });
    expect(plugins).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('reports invalid manifests, broken JSON and missing files naming the package', () => {
    pkg(join(dir, 'node_modules', 'bad-kind'), { name: 'bad-kind', 'nut-ts': manifest('bad', { kind: 'usb' }) }, ['index.js']);
    pkg(join(dir, 'node_modules', 'no-entry'), { name: 'no-entry', 'nut-ts': manifest('noentry') });
    pkg(join(dir, 'node_modules', 'broken-json'), '{ "name": "broken-json", "nut-ts": ');
    pkg(join(dir, 'node_modules', 'good'), { name: 'good', 'nut-ts': manifest('good') }, ['index.js']);
    const { plugins, problems } = discoverPlugins({ ...isolated, cwd: dir });
    expect(plugins.map((p) => p.driver)).toEqual(['good']);
    const messages = problems.map((p) => p.message).join('\n');
    expect(messages).toMatch(/plugin package "bad-kind" \(.*\): invalid manifest: "nut-ts"\/kind: must be one of/);
    expect(messages).toMatch(/plugin package "no-entry" \(.*\): entry "index.js" does not exist/);
    expect(messages).toMatch(/broken-json.*package\.json: invalid JSON/);
  });
});

describe('findDriverPlugin', () => {
  it('returns undefined when nothing provides the driver', () => {
    expect(findDriverPlugin('nope', { ...isolated, cwd: dir })).toBeUndefined();
  });

  it('throws a PluginError naming the package whose manifest for that driver is broken', () => {
    pkg(join(dir, 'node_modules', 'acme'), { name: 'acme', 'nut-ts': manifest('acme', { kind: 'usb' }) }, ['index.js']);
    expect(() => findDriverPlugin('acme', { ...isolated, cwd: dir })).toThrow(PluginError);
    expect(() => findDriverPlugin('acme', { ...isolated, cwd: dir })).toThrow(/plugin package "acme"/);
  });

  it('resolves an extends chain to the engine entry, engine tables first', () => {
    pkg(join(dir, 'node_modules', 'engine'), { name: 'engine', 'nut-ts': manifest('usbhid-ups', { kind: 'hid', tables: ['t/base.json'] }) }, ['index.js', 't/base.json']);
    pkg(join(dir, 'node_modules', 'vendor'), {
      name: 'vendor',
      'nut-ts': { driver: 'acme-hid', kind: 'hid', description: 'ACME', version: '1', extends: 'usbhid-ups', tables: ['acme.json'] },
    }, ['acme.json']);
    const r = findDriverPlugin('acme-hid', { ...isolated, cwd: dir });
    expect(r?.engine.driver).toBe('usbhid-ups');
    expect(r?.entryPath).toMatch(/engine\/index\.js$/);
    expect(r?.tables.map((t) => t.split('/').pop())).toEqual(['base.json', 'acme.json']);
  });

  it('names the package when its engine is missing, with a suggestion', () => {
    pkg(join(dir, 'node_modules', 'engine'), { name: 'engine', 'nut-ts': manifest('usbhid-ups', { kind: 'hid' }) }, ['index.js']);
    pkg(join(dir, 'node_modules', 'vendor'), {
      name: 'vendor',
      'nut-ts': { driver: 'acme-hid', kind: 'hid', description: 'ACME', version: '1', extends: 'usbhid-usp' },
    });
    expect(() => findDriverPlugin('acme-hid', { ...isolated, cwd: dir })).toThrow(
      /plugin package "vendor" .*extends driver "usbhid-usp", but no installed plugin provides it \(did you mean "usbhid-ups"\?\)/,
    );
  });
});
