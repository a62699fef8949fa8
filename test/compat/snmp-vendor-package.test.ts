/**
 * A vendor MIB as an npm package (a manifest, one table, one converter module, `extends:
 * snmp-ups`), packed to a tarball and installed offline into a project. From that project,
 * `driver = snmp-ups` itself knows the device (no new driver name): detection by sysObjectID,
 * `mibs=dell_ups`, `mibs=--list`, `nut plugins`. The recording is one that NUT 2.8.0 and the
 * shipped tables do not detect. The separate-driver-name form (`snmp-ups-dell`) keeps working.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDriverPlugin } from '../../core/src/plugins/registry.js';
import snmpUps from '../../plugins/snmp-ups/src/index.js';
import { makeInstance, startDriver } from '../../plugins/snmp-ups/test/helpers/context.js';
import { nutSnmpDump, NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';
import { requireOracle } from '../helpers/oracle.js';
import { runUserTempDir } from '../helpers/run-user.js';

/** One instance's driver from the plugin's factory (what the host does per ups.conf section). */
const driver = snmpUps({ upsname: 'vendor' });

const ROOT = join(__dirname, '..', '..');
const VENDOR = join(ROOT, 'plugins', 'snmp-ups', 'test', 'fixtures', 'vendor-mib');
const RECORDING = join(ROOT, 'test', 'fixtures', 'snmprec', 'dell-ups_tower1000w.snmprec');
const COMMUNITY = 'dell-ups_tower1000w';
const DRIVER_CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');
const NUT_CLI = join(ROOT, 'core', 'dist', 'cli', 'nut.js');

describe('vendor MIB package feeding snmp-ups (packed, installed offline)', () => {
  let dir: string;
  let project: string;
  let sim: Snmpsim;
  let port: string;

  /** Our standalone driver run from the project that installed the package. */
  function ours(driverName: string, ...xs: string[]) {
    const state = runUserTempDir('nut-ts-vendor-state-');
    try {
      const args = [DRIVER_CLI, driverName, '-s', 't', '-x', `port=${port}`, '-x', `community=${COMMUNITY}`, '-x', 'snmp_retries=1', ...xs.flatMap((x) => ['-x', x]), '-d', '1'];
      return spawnSync(process.execPath, args, { cwd: project, env: { ...process.env, NUT_STATEPATH: state }, encoding: 'utf8', timeout: 60_000 });
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  }

  beforeAll(async () => {
    requireOracle(NUT_SNMP_UPS);
    // the run user reads the installed package: our driver switches to it before loading the plugin
    dir = runUserTempDir('nut-ts-vendor-');
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
    port = `127.0.0.1:${sim.port}`;
  }, 120_000);
  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('NUT 2.8.0 and the shipped tables alone detect nothing on this recording', async () => {
    const nut = nutSnmpDump(port, { community: COMMUNITY, snmp_retries: '1' });
    expect(nut.status).not.toBe(0);
    expect(nut.output).toMatch(/No supported device detected/);
    const o = { port, options: { community: COMMUNITY, snmp_retries: '1' } as Record<string, string> };
    await expect(startDriver(driver, makeInstance(o), o)).rejects.toThrow(/No supported device detected/);
  });

  it('driver = snmp-ups gets the engine tables, then the package table, with the package named', () => {
    const runnable = findDriverPlugin('snmp-ups', { cwd: project })!;
    expect(runnable.engine.driver).toBe('snmp-ups');
    expect(runnable.tables.some((t) => t.endsWith('tables/ietf.json'))).toBe(true);
    const vendor = runnable.tableSources.at(-1)!;
    expect(vendor.file).toMatch(/node_modules\/nut-ts-snmp-dell-ups-example\/dell-ups-mib\.json$/);
    expect(vendor.packageName).toBe('nut-ts-snmp-dell-ups-example');
    expect(vendor.convertersPath).toMatch(/nut-ts-snmp-dell-ups-example\/converters\.js$/);
    // discovery reads the match from the table, without loading code
    const dell = findDriverPlugin('snmp-ups-dell', { cwd: project })!.plugin;
    expect(dell.match.snmp).toEqual([{ sysObjectId: '.1.3.6.1.4.1.674.10902.2', table: 'dell_ups' }]);
  });

  it('driver = snmp-ups detects the device by sysObjectID and uses the package converter', () => {
    const r = ours('snmp-ups');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('driver.name: snmp-ups\n');
    expect(r.stdout).toContain('driver.version.data: dell_ups MIB 0.1\n');
    expect(r.stdout).toContain('ups.model: Dell UPS Tower 1000W HV\n');
    expect(r.stdout).toContain('ups.firmware: 01.14\n');
    // productStatusGlobalStatus 3 (ok) through the package's dell_global_status converter
    expect(r.stdout).toContain('ups.status: OL\n');
    expect(r.stdout).not.toContain('community');
    expect(r.stderr).not.toMatch(/No matching MIB found for sysOID/);
  });

  it('mibs=dell_ups selects the package table; mibs=--list lists it first', () => {
    const r = ours('snmp-ups', 'mibs=dell_ups');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('driver.version.data: dell_ups MIB 0.1\n');
    const list = ours('snmp-ups', 'mibs=--list');
    const out = list.stdout + list.stderr;
    expect(out).toMatch(/\n {4}1 \tdell_ups\s+\t\s*0\.1\t\.1\.3\.6\.1\.4\.1\.674\.10902\.2/);
    expect(out).toContain('Overall this driver has loaded 31 MIB-to-NUT mapping tables');
  });

  it('the separate driver name keeps working', () => {
    const r = ours('snmp-ups-dell');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('driver.name: snmp-ups-dell\n');
    expect(r.stdout).toContain('driver.version.data: dell_ups MIB 0.1\n');
  });

  it('nut plugins names the package that brought the table', () => {
    const r = spawnSync(process.execPath, [NUT_CLI, 'plugins'], { cwd: project, encoding: 'utf8' });
    expect(r.stdout).toMatch(/snmp-ups\s+dell-ups-mib\.json\s+nut-ts-snmp-dell-ups-example@0\.1\.0/);
    const json = JSON.parse(spawnSync(process.execPath, [NUT_CLI, 'plugins', '--json'], { cwd: project, encoding: 'utf8' }).stdout);
    expect(json.tables).toContainEqual({ engine: 'snmp-ups', package: 'nut-ts-snmp-dell-ups-example@0.1.0', file: expect.stringMatching(/dell-ups-mib\.json$/) });
  });
});
