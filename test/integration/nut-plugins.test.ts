/** `nut plugins` lists what the host would find from a directory, and manifest problems. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');

describe('nut plugins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-plugins-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists shipped, settings and node_modules plugins, and names a broken package', async () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'site', private: true }));
    writeFileSync(join(dir, '.nut-tsrc.json'), JSON.stringify({ pluginPaths: [testPlugins] }));
    const broken = join(dir, 'node_modules', 'acme-broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'package.json'), JSON.stringify({ name: 'acme-broken', 'nut-ts': { driver: 'acme', kind: 'usb', description: 'x', version: '1', entry: 'i.js' } }));
    const r = await runCli('nut', ['plugins', '--json'], { env: process.env, cwd: dir });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { plugins: Array<{ driver: string; source: string }>; problems: string[] };
    const drivers = out.plugins.map((p) => `${p.driver}:${p.source}`);
    expect(drivers).toContain('test-good:pluginPath');
    expect(drivers).toContain('dummy-ups:builtin');
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]).toMatch(/^plugin package "acme-broken" \(.*\): invalid manifest: "nut-ts"\/kind: must be one of "hid", "snmp", "serial", "software"/);
  });
});
