import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultHostSettings, loadHostSettings } from '../../src/config/host-settings.js';
import { formatProblem } from '../../src/config/problems.js';

const dirs: string[] = [];
/** A project directory (package.json stops the upward search) with the given files. */
function project(files: Record<string, string>, pkg: object = { name: 'p' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-settings-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('host settings (cosmiconfig, module nut-ts)', () => {
  it('uses the defaults when there is no settings file', async () => {
    const r = await loadHostSettings(project({}));
    expect(r.filepath).toBeUndefined();
    expect(r.problems).toEqual([]);
    expect(r.settings).toEqual(defaultHostSettings());
    expect(r.settings).toMatchObject({ workersPerInstance: 'auto', watchdogMs: 30000, pluginPaths: [] });
  });

  const FORMS: Array<[string, string]> = [
    ['nut-ts.config.json', '{ "watchdogMs": 1234 }'],
    ['nut-ts.config.js', 'export default { watchdogMs: 1234 };'],
    ['nut-ts.config.mjs', 'export default { watchdogMs: 1234 };'],
    ['nut-ts.config.cjs', 'module.exports = { watchdogMs: 1234 };'],
    ['nut-ts.config.ts', 'const ms: number = 1234;\nexport default { watchdogMs: ms };'],
    ['.nut-tsrc', '{ "watchdogMs": 1234 }'],
    ['.nut-tsrc.json', '{ "watchdogMs": 1234 }'],
    ['.nut-tsrc.yaml', 'watchdogMs: 1234\n'],
    ['.nut-tsrc.ts', 'export default { watchdogMs: 1234 as number };'],
    ['.config/nut-tsrc.json', '{ "watchdogMs": 1234 }'],
  ];
  it.each(FORMS)('reads %s', async (name, text) => {
    const dir = project({ [name]: text }, { name: 'p', type: 'module' });
    const r = await loadHostSettings(dir);
    expect(r.problems).toEqual([]);
    expect(r.filepath).toBe(join(dir, name));
    expect(r.settings.watchdogMs).toBe(1234);
  });

  it('reads the "nut-ts" field of package.json, searching up from a subdirectory', async () => {
    const dir = project({ 'sub/deeper/.keep': '' }, { name: 'p', 'nut-ts': { workersPerInstance: 'plugin', pluginPaths: ['vendor', '/abs'] } });
    const r = await loadHostSettings(join(dir, 'sub/deeper'));
    expect(r.filepath).toBe(join(dir, 'package.json'));
    expect(r.settings.workersPerInstance).toBe('plugin');
    expect(r.settings.pluginPaths).toEqual([join(dir, 'vendor'), '/abs']);
  });

  it('merges restart and resourceLimits over the defaults', async () => {
    const r = await loadHostSettings(project({ 'nut-ts.config.json': '{ "restart": { "maxDelayMs": 5000, "maxRestarts": 3 }, "resourceLimits": { "maxOldGenerationSizeMb": 64 } }' }));
    expect(r.problems).toEqual([]);
    expect(r.settings.restart).toEqual({ initialDelayMs: 1000, maxDelayMs: 5000, factor: 2, resetAfterMs: 60000, maxRestarts: 3 });
    expect(r.settings.resourceLimits).toEqual({ maxOldGenerationSizeMb: 64, stackSizeMb: 4 });
  });

  it('reports invalid values and unknown keys with line and suggestion, and keeps the defaults for them', async () => {
    const text = '{\n  "watchdgMs": 10,\n  "workersPerInstance": "plugins",\n  "restart": { "factor": 0.5, "initialDelayMs": 10 },\n  "watchdogMs": 5\n}\n';
    const r = await loadHostSettings(project({ 'nut-ts.config.json': text }));
    expect(r.problems.map(formatProblem)).toEqual([
      "nut-ts.config.json:2: unknown setting 'watchdgMs'; did you mean 'watchdogMs'?",
      `nut-ts.config.json:3: 'workersPerInstance' must be equal to one of the allowed values (got "plugins"); using the default; did you mean 'plugin'?`,
      "nut-ts.config.json:4: 'restart.factor' must be >= 1 (got 0.5); using the default (allowed: >= 1)",
      "nut-ts.config.json:5: 'watchdogMs' must be >= 100 (got 5); using the default (allowed: >= 100)",
    ]);
    expect(r.settings.workersPerInstance).toBe('auto');
    expect(r.settings.watchdogMs).toBe(30000);
    expect(r.settings.restart.factor).toBe(2);
    expect(r.settings.restart.initialDelayMs).toBe(10);
  });

  it('reports a settings file that does not load (syntax error, throwing module, not an object)', async () => {
    const broken = await loadHostSettings(project({ '.nut-tsrc.json': '{ "watchdogMs": ' }));
    expect(broken.problems).toHaveLength(1);
    expect(broken.problems[0]).toMatchObject({ severity: 'error', file: '.nut-tsrc.json' });
    expect(broken.settings).toEqual(defaultHostSettings());
    const throwing = await loadHostSettings(project({ 'nut-ts.config.mjs': 'throw new Error("boom");' }));
    expect(throwing.problems[0].message).toContain('boom');
    const array = await loadHostSettings(project({ 'nut-ts.config.json': '[1, 2]' }));
    expect(array.problems[0].message).toContain('must be an object');
  });
});

describe('http and mqtt settings', () => {
  it('are off by default and get their defaults when given', async () => {
    expect((await loadHostSettings(project({}))).settings.http).toBeUndefined();
    const r = await loadHostSettings(project({ 'nut-ts.config.json': '{ "http": { "listen": "[::1]:9000" }, "mqtt": { "url": "mqtt://127.0.0.1:1883", "commands": { "*": ["beeper.mute"] } } }' }));
    expect(r.problems).toEqual([]);
    expect(r.settings.http).toMatchObject({ listen: '[::1]:9000', anonymousRead: false, eventBuffer: 4096 });
    expect(r.settings.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', baseTopic: 'nut', discoveryPrefix: 'homeassistant', commands: { '*': ['beeper.mute'] } });
  });

  it('reports a bad listen address and an unknown key', async () => {
    const r = await loadHostSettings(project({ 'nut-ts.config.json': '{ "http": { "listen": "8080", "anonymousRaed": true } }' }));
    const text = r.problems.map(formatProblem).join('\n');
    expect(text).toMatch(/http\.listen/);
    expect(text).toMatch(/unknown setting 'http\.anonymousRaed'.*anonymousRead/);
  });

  it('nut-ts.config.json next to ups.conf wins over a search from the working directory', async () => {
    const cwd = project({ 'nut-ts.config.json': '{ "watchdogMs": 1111 }' });
    const conf = project({ 'nut-ts.config.json': '{ "watchdogMs": 2222, "http": { "listen": "127.0.0.1:8080" } }' });
    const r = await loadHostSettings(cwd, conf);
    expect(r.filepath).toBe(join(conf, 'nut-ts.config.json'));
    expect(r.settings.watchdogMs).toBe(2222);
    expect(r.settings.http?.listen).toBe('127.0.0.1:8080');
    expect((await loadHostSettings(cwd, project({}))).settings.watchdogMs).toBe(1111);
  });
});
