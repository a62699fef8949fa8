import { describe, expect, it } from 'vitest';
import { StateTree, compareNames } from '../../src/dstate/tree.js';
import { FLAG_IMMUTABLE, FLAG_RW, FLAG_STRING, type DstateOp } from '../../src/dstate/ops.js';

// Expected values below are the facts in reference/sock-protocol.md §3, §5, §7 and
// net-protocol.md §4.3, which were verified against NUT 2.8.0.

describe('listing order', () => {
  it('sorts variables ASCII case-insensitively (. < digits < _ < letters), as upsd lists them', () => {
    const t = new StateTree();
    for (const n of ['zeta.var', 'ups.status', 'Alpha.var', 'beta.var', 'battery.charge', 'custom.hash', 'device.mfr'])
      t.setInfo(n, 'x');
    expect(t.list().map((v) => v.name)).toEqual([
      'Alpha.var', 'battery.charge', 'beta.var', 'custom.hash', 'device.mfr', 'ups.status', 'zeta.var',
    ]);
    expect(['a_b', 'a.b', 'a1', 'aB'].sort(compareNames)).toEqual(['a.b', 'a1', 'a_b', 'aB']);
  });

  it('sorts commands the same way and drops duplicates ignoring case', () => {
    const t = new StateTree();
    for (const c of ['test.b', 'load.on', 'Test.A', 'beeper.enable', 'LOAD.ON']) t.addCmd(c);
    expect(t.commands()).toEqual(['beeper.enable', 'load.on', 'Test.A', 'test.b']);
  });
});

describe('variables', () => {
  it('finds names case-insensitively and keeps the case of the first SETINFO', () => {
    const t = new StateTree();
    t.setInfo('ups.status', 'OL');
    t.setInfo('UPS.STATUS', 'OB');
    expect(t.get('Ups.Status')?.name).toBe('ups.status');
    expect(t.getValue('ups.status')).toBe('OB');
  });

  it('treats a change of case only as no change (common/state.c strcasecmp)', () => {
    const t = new StateTree();
    const seen: DstateOp[] = [];
    t.setInfo('x', 'on');
    t.onChange((op) => seen.push(op));
    expect(t.setInfo('x', 'ON')).toBe(false);
    expect(t.getValue('x')).toBe('on');
    expect(seen).toEqual([]);
  });

  it('ignores SETINFO and DELINFO on IMMUTABLE variables', () => {
    const t = new StateTree();
    t.setInfo('ups.mfr', 'Forced');
    t.setFlags('ups.mfr', FLAG_IMMUTABLE);
    expect(t.setInfo('ups.mfr', 'Other')).toBe(false);
    expect(t.delInfo('ups.mfr')).toBe(false);
    expect(t.getValue('ups.mfr')).toBe('Forced');
  });

  it('ignores flags, aux, enums and ranges for unknown variables', () => {
    const t = new StateTree();
    expect(t.setFlags('nope', FLAG_RW)).toBe(false);
    expect(t.setAux('nope', 3)).toBe(false);
    expect(t.addEnum('nope', 'a')).toBe(false);
    expect(t.addRange('nope', 1, 2)).toBe(false);
    expect(t.size).toBe(0);
  });
});

describe('enums and ranges', () => {
  it('keeps enums in insertion order without exact duplicates; DELENUM ignores case', () => {
    const t = new StateTree();
    t.setInfo('input.transfer.low', '100');
    for (const v of ['100', '103', '97', '100']) t.addEnum('input.transfer.low', v);
    expect(t.get('input.transfer.low')?.enums).toEqual(['100', '103', '97']);
    t.setInfo('s', 'a');
    t.addEnum('s', 'Abc');
    expect(t.delEnum('s', 'aBC')).toBe(true);
    expect(t.get('s')?.enums).toEqual([]);
  });

  it('stores enum values pconf-encoded', () => {
    const t = new StateTree();
    t.setInfo('s', 'a');
    t.addEnum('s', 'say "hi" #1');
    expect(t.get('s')?.enums).toEqual(['say \\"hi\\" \\#1']);
  });

  it('applies NUT 2.8.0 range duplicate rule: 0 60 then 0 90 keeps only 0 60', () => {
    const t = new StateTree();
    t.setInfo('ups.delay.shutdown', '20');
    expect(t.addRange('ups.delay.shutdown', 0, 60)).toBe(true);
    expect(t.addRange('ups.delay.shutdown', 0, 90)).toBe(false);
    expect(t.addRange('ups.delay.shutdown', 120, 180)).toBe(true);
    expect(t.addRange('ups.delay.shutdown', 200, 100)).toBe(false);
    expect(t.get('ups.delay.shutdown')?.ranges).toEqual([
      { min: 0, max: 60 },
      { min: 120, max: 180 },
    ]);
  });
});

describe('dump', () => {
  it('follows DUMPALL order: per variable SETINFO, ADDENUM, ADDRANGE, SETAUX, SETFLAGS; then commands; DATAOK', () => {
    const t = new StateTree();
    t.setInfo('ups.status', 'OL CHRG');
    t.setAux('ups.status', 32);
    t.setFlags('ups.status', FLAG_RW | FLAG_STRING);
    t.setInfo('battery.charge', '100');
    t.setFlags('battery.charge', FLAG_RW);
    t.setInfo('x', '1');
    t.addEnum('x', '1');
    t.addRange('x', 0, 5);
    t.addCmd('load.off');
    t.setStale(false);
    expect(t.dump()).toEqual([
      { op: 'SETINFO', name: 'battery.charge', value: '100' },
      { op: 'SETFLAGS', name: 'battery.charge', flags: FLAG_RW },
      { op: 'SETINFO', name: 'ups.status', value: 'OL CHRG' },
      { op: 'SETAUX', name: 'ups.status', aux: 32 },
      { op: 'SETFLAGS', name: 'ups.status', flags: FLAG_RW | FLAG_STRING },
      { op: 'SETINFO', name: 'x', value: '1' },
      { op: 'ADDENUM', name: 'x', value: '1' },
      { op: 'ADDRANGE', name: 'x', min: 0, max: 5 },
      { op: 'ADDCMD', name: 'load.off' },
      { op: 'DATAOK' },
    ]);
  });

  it('starts with DATASTALE while stale, and a new tree is stale', () => {
    const t = new StateTree();
    t.setInfo('a', '1');
    expect(t.dump()[0]).toEqual({ op: 'DATASTALE' });
    expect(t.dump().at(-1)).toEqual({ op: 'SETINFO', name: 'a', value: '1' });
  });

  it('replays into an equal tree', () => {
    const a = new StateTree();
    a.setInfo('v', 'say "x"');
    a.setInfo('w', '2');
    a.addEnum('v', 'q#');
    a.addRange('w', 1, 3);
    a.setFlags('w', FLAG_RW);
    a.addCmd('beeper.on');
    a.setStale(false);
    const b = new StateTree();
    for (const op of a.dump()) b.apply(op);
    expect(b.dump()).toEqual(a.dump());
  });
});

describe('what a driver sends never reaches a client as a control character', () => {
  it('drops every character outside 0x20-0x7F from names, values, enums and commands, as NUT upsd does', () => {
    const t = new StateTree();
    const ops: unknown[] = [];
    t.onChange((op) => ops.push(op));
    t.setInfo('ups.model', '00 00 \n0A 30\r\0 "q" \\ \u00e9\u0001');
    expect(t.getValue('ups.model')).toBe('00 00 0A 30 "q" \\ ');
    expect(ops).toEqual([{ op: 'SETINFO', name: 'ups.model', value: '00 00 0A 30 "q" \\ ' }]);
    t.setInfo('ups.\nmfr', 'x');
    expect(t.has('ups.mfr')).toBe(true);
    t.addEnum('ups.model', 'a\nb');
    expect(t.get('ups.model')!.enums).toEqual(['ab']);
    t.addCmd('load.\roff');
    expect(t.commands()).toEqual(['load.off']);
    // DEL stays, as in NUT 2.8.0 (parseconf keeps 0x7F)
    t.setInfo('x', 'a\x7fb');
    expect(t.getValue('x')).toBe('a\x7fb');
  });
});
