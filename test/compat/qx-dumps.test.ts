/**
 * Every Q1-family dump of the device library (nutdrv_qx, blazer_ser, blazer_usb, megatec) served
 * by the simulator on a pty: NUT 2.8.0's nutdrv_qx detects the dump's protocol and publishes
 * the dump's values (as far as the fixed-width Q1/F/I fields carry them), and our nutdrv_qx
 * publishes exactly what NUT's does: values, flags, aux, enums, ranges, commands (driver.* aside).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump, protocolOfDump } from '../../plugins/nutdrv_qx/src/simulator/dump.js';
import { requireOracle } from '../helpers/oracle.js';
import { dumpAll, normalizeDump, oursDump, startNut, startOurs, startSim } from './qx-harness.js';

const DDL = resolve(import.meta.dirname, '..', 'fixtures', 'ddl');
/** The Q1-family drivers; the voltronic dumps among them are listed apart below. */
const Q1_DUMPS = readdirSync(DDL).filter((f) => /__(nutdrv_qx|blazer_ser|blazer_usb|megatec)__/.test(f));
/** Voltronic (QGS/QPI…) dumps: that protocol's simulator and value functions are not built yet. */
const VOLTRONIC = Q1_DUMPS.filter((f) => /Voltronic/.test(readFileSync(join(DDL, f), 'latin1')));
const SERVED = Q1_DUMPS.filter((f) => !VOLTRONIC.includes(f));

/** ups.conf settings the dump's report gives (runtimecal, chargetime, default.*, override.*…). */
function upsconfOf(text: string): Record<string, string | true> {
  const block = /# DEVICE:COMMENT-BLOCK:UPSCONF:\n([\s\S]*?)# DEVICE:EOC/.exec(text)?.[1] ?? '';
  const out: Record<string, string | true> = {};
  for (const raw of block.split('\n')) {
    const m = /^#\s*([\w.]+)\s*=\s*"?([^"]*)"?\s*$/.exec(raw);
    if (!m || /^(driver|port|desc|vendorid|productid|vendor|product|bus|maxretry|user)$/.test(m[1]!)) continue;
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** Fields the Q1 family carries: name → [width, decimals] (string fields: decimals -1). */
const FIELDS: Record<string, [number, number]> = {
  'input.voltage': [5, 1], 'input.voltage.fault': [5, 1], 'output.voltage': [5, 1], 'ups.load': [3, 0],
  'input.frequency': [4, 1], 'battery.voltage': [4, 2], 'ups.temperature': [4, 1],
  'input.voltage.nominal': [5, 1], 'input.current.nominal': [3, 0], 'battery.voltage.nominal': [5, 2], 'input.frequency.nominal': [4, 1],
  'device.mfr': [15, -1], 'device.model': [10, -1], 'ups.firmware': [10, -1],
  'ups.status': [0, -1], 'ups.type': [0, -1], 'ups.beeper.status': [0, -1],
};

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

describe('nutdrv_qx on the Q1-family dumps of the device library', () => {
  it('finds the dumps', () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    expect(SERVED.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of SERVED) {
    it(`${file}: NUT reads the dump's values, ours publishes what NUT publishes`, async () => {
      requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
      const text = readFileSync(join(DDL, file), 'latin1');
      const dump = readDump(join(DDL, file));
      const protocol = protocolOfDump(dump);
      const options: Record<string, string | true> = { protocol, ...upsconfOf(text) };
      // A unit that answered no vendor query is only claimed without it.
      const vendorless = !['ups.firmware', 'device.mfr', 'ups.mfr', 'device.model', 'ups.model'].some((n) => dump.has(n));
      if (vendorless || dump.get('driver.flag.novendor') === 'enabled') options.novendor = true;
      const overrides = Object.entries(options).filter(([k]) => k.startsWith('override.')).map(([k, v]) => [k.slice(9), v]) as Array<[string, string]>;
      const defaults = Object.entries(options).filter(([k]) => k.startsWith('default.')).map(([k, v]) => [k.slice(8), v]) as Array<[string, string]>;
      const driverOptions = Object.fromEntries(Object.entries(options).filter(([k]) => !/^(override|default)\./.test(k)));

      const sim = await startSim(join(DDL, file));
      cleanup.push(() => sim.close());
      const nut = await startNut(sim.pty.path, options);
      cleanup.push(() => nut.stop());
      const nutLines = await dumpAll(nut.socket);
      await nut.stop();
      expect(nut.stderr()).toMatch(new RegExp(`Using protocol: ${protocol.replace('/', '\\/')} `, 'i'));

      const nutVars = new Map<string, string>();
      for (const l of nutLines) {
        const m = /^SETINFO (\S+) "((?:\\.|[^"\\])*)"$/.exec(l);
        if (m) nutVars.set(m[1]!, m[2]!.replace(/\\(.)/g, '$1'));
      }
      for (const [name, [width, decimals]] of Object.entries(FIELDS)) {
        const alias = name.startsWith('device.') ? name.replace('device.', 'ups.') : name;
        const want = dump.get(name) ?? dump.get(alias);
        if (want === undefined || want === '') continue;
        const got = nutVars.get(name);
        if (decimals < 0) expect.soft(got, name).toBe(width ? want.slice(0, width).trim() : want);
        else expect.soft(Math.abs(Number(got) - Number(want)), `${name}: NUT ${got}, dump ${want}`).toBeLessThanOrEqual(decimals === 0 ? 0.5 : 10 ** (decimals === 2 ? -1 : -decimals) / 2 + 1e-9);
      }

      const ours = await startOurs(sim.pty.path, driverOptions, { overrides, defaults });
      cleanup.push(() => ours.stop());
      const mine = oursDump(ours.rt);
      await ours.stop();
      const theirs = normalizeDump(nutLines) as { vars: Record<string, { ranges: string[]; flags?: string }>; cmds: string[] };
      // Not an empty comparison: NUT's tree has the Q1 values, the RW delays and the commands.
      expect(Object.keys(theirs.vars).length).toBeGreaterThan(12);
      expect(theirs.vars['ups.delay.start']).toMatchObject({ flags: 'RW NUMBER', ranges: ['0-599940'] });
      expect(theirs.cmds.length).toBeGreaterThanOrEqual(10);
      expect(normalizeDump(mine)).toEqual(theirs);
    }, 60_000);
  }

  it('lists the voltronic dumps it does not serve yet', () => {
    expect(VOLTRONIC.map((f) => f.split('__')[0])).toEqual(['Digitus', 'FSP']);
  });
});
