import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeCmd, describeVar } from '../../src/dstate/descriptions.js';

const CMDVARTAB = '/usr/share/nut/cmdvartab';

/** NUT's table, read for its names (and to prove our texts are not its texts). */
function nutTable(): Array<{ kind: 'VARDESC' | 'CMDDESC'; name: string; text: string }> {
  if (!existsSync(CMDVARTAB)) {
    throw new Error(`${CMDVARTAB} is missing: install NUT 2.8.0 (apt-get install -y nut-server nut-client)`);
  }
  const rows: Array<{ kind: 'VARDESC' | 'CMDDESC'; name: string; text: string }> = [];
  for (const line of readFileSync(CMDVARTAB, 'latin1').split('\n')) {
    const m = /^(VARDESC|CMDDESC)\s+(\S+)\s+"(.*)"/.exec(line);
    if (m) rows.push({ kind: m[1] as 'VARDESC' | 'CMDDESC', name: m[2], text: m[3] });
  }
  return rows;
}

describe('descriptions', () => {
  const rows = nutTable();

  it('covers every name of NUT cmdvartab', () => {
    expect(rows.length).toBeGreaterThan(150);
    const missing = rows.filter((r) => (r.kind === 'VARDESC' ? describeVar(r.name) : describeCmd(r.name)) === undefined);
    expect(missing.map((r) => r.name)).toEqual([]);
  });

  it('uses its own words', () => {
    const copied = rows.filter((r) => (r.kind === 'VARDESC' ? describeVar(r.name) : describeCmd(r.name)) === r.text);
    expect(copied.map((r) => r.name)).toEqual([]);
  });

  it('texts are plain ASCII without characters that need escaping on the wire', () => {
    for (const r of rows) {
      const t = (r.kind === 'VARDESC' ? describeVar(r.name) : describeCmd(r.name)) ?? '';
      expect(t).toMatch(/^[\x20-\x7e]+$/);
      expect(t).not.toMatch(/["\\#]/);
    }
  });

  it('fills numeric placeholders, phase contexts and wildcards', () => {
    expect(describeVar('outlet.12.current')).toMatch(/12/);
    expect(describeVar('outlet.group.3.phase')).toMatch(/3/);
    expect(describeVar('ambient.2.contacts.4.status')).toMatch(/2.*4/);
    expect(describeVar('input.L2-N.voltage')).toMatch(/L2-N/);
    expect(describeVar('output.bypass.L3.current')).toMatch(/L3/);
    expect(describeVar('driver.parameter.pollinterval')).toMatch(/pollinterval/);
    expect(describeCmd('outlet.7.load.cycle')).toMatch(/7/);
  });

  it('describes daisy-chained names as the name they repeat', () => {
    expect(describeVar('device.2.input.voltage')).toBe(`Device 2: ${describeVar('input.voltage')}`);
    expect(describeVar('device.3.mfr')).toBe(`Device 3: ${describeVar('device.mfr')}`);
    expect(describeCmd('device.1.load.off')).toBe(`Device 1: ${describeCmd('load.off')}`);
  });

  it('matches names case-insensitively, as upsd does', () => {
    expect(describeVar('UPS.Status')).toBe(describeVar('ups.status'));
    expect(describeVar('Outlet.2.ID')).toBe(describeVar('outlet.2.id'));
    expect(describeVar('input.l1.current')).toMatch(/l1/);
    expect(describeVar('Driver.Parameter.Port')).toMatch(/Port/);
    expect(describeCmd('LOAD.OFF')).toBe(describeCmd('load.off'));
    expect(describeVar('DEVICE.1.mfr')).toBe(`Device 1: ${describeVar('device.mfr')}`);
  });

  it('has nothing for names outside the scheme', () => {
    expect(describeVar('custom.hash')).toBeUndefined();
    expect(describeVar('outlet.x.id')).toBeUndefined();
    expect(describeCmd('load.explode')).toBeUndefined();
    expect(describeVar('')).toBeUndefined();
  });
});
