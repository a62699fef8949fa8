/**
 * A vendor package that is only a manifest and one HID table (`extends: usbhid-ups`): packed,
 * installed with npm into a project, found by the plugin registry, and its table makes the
 * usbhid-ups engine know a device (1209:0001) that no shipped subdriver claims.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDriverPlugin } from '../../../core/src/plugins/registry.js';
import factory from '../src/index.js';
import { RECORDING_FORMAT, loadRecording } from '../src/replay.js';
import { builtinTableFiles } from '../src/table.js';
import { makeInstance, start, stop, values } from './helpers/context.js';

const VENDOR = join(__dirname, 'fixtures', 'vendor-hid');
const CS500 = join(__dirname, 'fixtures', 'APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev');
const CLI = join(__dirname, '..', '..', '..', 'core', 'dist', 'cli', 'driver.js');

describe('vendor HID table package extending usbhid-ups', () => {
  let dir: string;
  let project: string;
  let recording: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'usbhid-vendor-'));
    // The CS 500's recording, presented as a device with ids no shipped table knows.
    const rec = loadRecording(CS500);
    expect(rec.format).toBe(RECORDING_FORMAT);
    rec.device = { ...rec.device, vendorId: 0x1209, productId: 0x0001, manufacturer: '' };
    recording = join(dir, 'example.json');
    writeFileSync(recording, JSON.stringify(rec));
    const packed = spawnSync('npm', ['pack', VENDOR, '--pack-destination', dir, '--silent'], { encoding: 'utf8', cwd: dir });
    if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'site', version: '1.0.0', private: true }));
    const inst = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, tarball)], { encoding: 'utf8', cwd: project });
    if (inst.status !== 0) throw new Error(`npm install of the tarball failed: ${inst.stderr}`);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is found with the engine and its tables (the engine\'s first)', () => {
    const r = findDriverPlugin('usbhid-ups-example', { cwd: project })!;
    expect(r.engine.driver).toBe('usbhid-ups');
    expect(r.entryPath).toMatch(/plugins\/usbhid-ups\/src\/index\.ts$/);
    expect(r.tables.at(-1)).toMatch(/node_modules\/nut-ts-usbhid-example-ups\/example-ups\.json$/);
    expect(r.tables.some((t) => t.endsWith('tables/apc.json'))).toBe(true);
  });

  it('without the package no subdriver claims the device', async () => {
    const plugin = factory({ upsname: 'ups' });
    const inst = makeInstance({ port: `replay:${recording}`, tables: builtinTableFiles() });
    await expect(plugin.initups!(inst.ctx)).rejects.toThrow(/No matching HID UPS found/);
  });

  it('with it, the engine claims the device with the vendor table, its rows first, the rest from its base', async () => {
    const r = findDriverPlugin('usbhid-ups-example', { cwd: project })!;
    const plugin = factory({ upsname: 'ups' });
    const inst = makeInstance({ port: `replay:${recording}`, tables: r.tables });
    await start(plugin, inst);
    await stop(plugin, inst);
    const v = values(inst.tree);
    expect(v['driver.version.data']).toBe('Example HID 0.1');
    expect(v['ups.mfr']).toBe('Example');
    // Report 0x06 byte 3 (the APC status flag) of the recording is 08.
    expect(v['experimental.example.status_word']).toBe('8');
    expect(v['battery.charge.warning']).toBe('50.0');
    // From the apc base table: NUT's values for this device.
    expect(v['battery.charge']).toBe('100');
    expect(v['ups.firmware']).toBe(' 6.5.I');
  });

  /** `nut-driver <driver> -a ups -d 1` from the installing project, on the recording. */
  function replayDump(driver: string): string {
    const conf = mkdtempSync(join(tmpdir(), 'usbhid-vendor-conf-'));
    try {
      writeFileSync(join(conf, 'ups.conf'), `[ups]\n driver = ${driver}\n port = "replay:${recording}"\n`);
      const res = spawnSync(process.execPath, [CLI, driver, '-a', 'ups', '-d', '1'], {
        cwd: project,
        env: { ...process.env, NUT_CONFPATH: conf, NUT_STATEPATH: conf },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(res.status, res.stderr).toBe(0);
      return res.stdout;
    } finally {
      rmSync(conf, { recursive: true, force: true });
    }
  }

  it('driver = usbhid-ups itself gets the installed package\'s table (no new driver name)', () => {
    const r = findDriverPlugin('usbhid-ups', { cwd: project })!;
    expect(r.entryPath).toMatch(/plugins\/usbhid-ups\/src\/index\.ts$/);
    expect(r.tables.some((t) => /node_modules\/nut-ts-usbhid-example-ups\/example-ups\.json$/.test(t))).toBe(true);
    const out = replayDump('usbhid-ups');
    expect(out).toContain('driver.version.data: Example HID 0.1\n');
  });

  it('runs through the nut-driver CLI from the project that installed it', () => {
    const out = replayDump('usbhid-ups-example');
    expect(out).toContain('driver.version.data: Example HID 0.1\n');
    expect(out).toContain('experimental.example.status_word: 8\n');
    expect(out).toContain('battery.runtime: 2580\n');
  });
});
