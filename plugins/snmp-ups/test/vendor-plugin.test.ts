/**
 * A vendor MIB as an npm package: only a manifest and one table (`extends: snmp-ups`). The
 * package is packed to a tarball, installed with npm into a project, discovered by the plugin
 * registry, and its table (fed to the snmp-ups engine) recognises the device by sysObjectID.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDriverPlugin } from '../../../core/src/plugins/registry.js';
import snmpUps from '../src/index.js';
import { makeInstance, startDriver } from './helpers/context.js';

/** One instance's driver from the plugin's factory (what the host does per ups.conf section). */
const driver = snmpUps({ upsname: 'vendor' });
import { startSnmpsim, type Snmpsim } from './helpers/snmpsim.js';

const VENDOR = join(__dirname, 'fixtures', 'vendor-mib');
const RECORDING = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'snmprec', 'dell-ups_tower1000w.snmprec');

describe('vendor MIB package extending snmp-ups', () => {
  let dir: string;
  let project: string;
  let sim: Snmpsim;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-vendor-'));
    const packed = spawnSync('npm', ['pack', VENDOR, '--pack-destination', dir, '--silent'], { encoding: 'utf8', cwd: dir });
    if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'site', version: '1.0.0', private: true }));
    const inst = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, tarball)], { encoding: 'utf8', cwd: project });
    if (inst.status !== 0) throw new Error(`npm install of the tarball failed: ${inst.stderr}`);
    sim = await startSnmpsim([RECORDING]);
  }, 120_000);
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is discovered with the engine and its tables (engine first)', () => {
    const runnable = findDriverPlugin('snmp-ups-dell', { cwd: project });
    expect(runnable).toBeDefined();
    expect(runnable!.plugin.manifest.extends).toBe('snmp-ups');
    expect(runnable!.engine.driver).toBe('snmp-ups');
    expect(runnable!.entryPath).toMatch(/plugins\/snmp-ups\/src\/index\.ts$/);
    expect(runnable!.tables.at(-1)).toMatch(/node_modules\/nut-ts-snmp-dell-ups-example\/dell-ups-mib\.json$/);
    expect(runnable!.tables.some((t) => t.endsWith('tables/ietf.json'))).toBe(true);
    expect(runnable!.plugin.manifest.match?.snmp).toEqual([{ sysObjectId: '.1.3.6.1.4.1.674.10902.2' }]);
  });

  it('recognises the device by its sysObjectID (NUT 2.8.0 alone detects nothing here)', async () => {
    const runnable = findDriverPlugin('snmp-ups-dell', { cwd: project })!;
    const o = {
      port: `127.0.0.1:${sim.port}`,
      options: { community: 'dell-ups_tower1000w', snmp_retries: '1' } as Record<string, string>,
      sensitive: ['community'],
      tables: runnable.tables,
    };
    const inst = makeInstance(o);
    await startDriver(driver, inst, o);
    await driver.cleanup?.(inst.ctx);
    const t = inst.tree;
    expect(t.getValue('driver.version.data')).toBe('dell_ups MIB 0.1');
    expect(t.getValue('ups.mfr')).toBe('Dell');
    expect(t.getValue('ups.model')).toBe('Dell UPS Tower 1000W HV');
    expect(t.getValue('device.model')).toBe('Dell UPS Tower 1000W HV');
    expect(t.getValue('ups.firmware')).toBe('01.14');
    expect(t.getValue('device.part')).toBe('CN-0H914N-75162-15K-0050-A04');
    expect(inst.logs.some((l) => /No matching MIB found for sysOID/.test(l))).toBe(false);
    expect(inst.logs).toContain('Detected Dell UPS Tower 1000W HV on host ' + o.port + ' (mib: dell_ups 0.1)');
  });

  it('runs through the nut-driver CLI from the project that installed it', () => {
    const state = mkdtempSync(join(tmpdir(), 'nut-ts-vendor-state-'));
    try {
      const cli = join(__dirname, '..', '..', '..', 'core', 'dist', 'cli', 'driver.js');
      const r = spawnSync(
        process.execPath,
        [cli, 'snmp-ups-dell', '-s', 't', '-x', `port=127.0.0.1:${sim.port}`, '-x', 'community=dell-ups_tower1000w', '-x', 'snmp_retries=1', '-d', '1'],
        { cwd: project, env: { ...process.env, NUT_STATEPATH: state }, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('driver.version.data: dell_ups MIB 0.1\n');
      expect(r.stdout).toContain('ups.model: Dell UPS Tower 1000W HV\n');
      expect(r.stdout).toContain('driver.name: snmp-ups-dell\n');
      expect(r.stdout).not.toContain('community');
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  }, 90_000);

  it('without the vendor table, the engine refuses the device as NUT does', async () => {
    const o = { port: `127.0.0.1:${sim.port}`, options: { community: 'dell-ups_tower1000w', snmp_retries: '1' } as Record<string, string> };
    const inst = makeInstance(o);
    await expect(startDriver(driver, inst, o)).rejects.toThrow(/No supported device detected/);
  });
});
