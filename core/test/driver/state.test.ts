import { describe, expect, it } from 'vitest';
import { FLAG_IMMUTABLE, FLAG_NUMBER, FLAG_RW, FLAG_STRING, type DstateOp } from '../../src/dstate/ops.js';
import { StateTree } from '../../src/dstate/tree.js';
import { DriverState } from '../../src/driver/state.js';

function setup() {
  const tree = new StateTree();
  const ops: DstateOp[] = [];
  tree.onChange((op) => ops.push(op));
  const warnings: string[] = [];
  return { tree, ops, warnings, s: new DriverState(tree, (m) => warnings.push(m)) };
}

describe('DriverState (dstate_* helpers, sock-protocol.md §3 and §8)', () => {
  it('status: tokens in call order, no dedup, nothing visible before commit', () => {
    const { s, tree } = setup();
    s.status.init();
    s.status.set('OL');
    s.status.set('CHRG');
    s.status.set('OL');
    expect(tree.has('ups.status')).toBe(false);
    s.status.commit();
    expect(tree.getValue('ups.status')).toBe('OL CHRG OL');
  });

  it('status: SETINFO only when the committed value changed', () => {
    const { s, ops } = setup();
    for (let i = 0; i < 2; i++) {
      s.status.init();
      s.status.set('OB');
      s.status.commit();
    }
    expect(ops.filter((o) => o.op === 'SETINFO')).toHaveLength(1);
  });

  it('alarm committed first prefixes ALARM (with the trailing space when empty); empty alarm deletes ups.alarm', () => {
    const { s, tree } = setup();
    s.alarm.init();
    s.alarm.set('Replace battery!');
    s.alarm.set('Overheat');
    s.alarm.commit();
    s.status.init();
    s.status.set('OL');
    s.status.commit();
    expect(tree.getValue('ups.alarm')).toBe('Replace battery! Overheat');
    expect(tree.getValue('ups.status')).toBe('ALARM OL');
    s.status.init();
    s.status.commit();
    expect(tree.getValue('ups.status')).toBe('ALARM ');
    s.alarm.init();
    s.alarm.commit();
    s.status.init();
    s.status.set('OL');
    s.status.commit();
    expect(tree.has('ups.alarm')).toBe(false);
    expect(tree.getValue('ups.status')).toBe('OL');
  });

  it('ignorelb: LB from the driver dropped, re-added from charge or runtime levels (integer compare)', () => {
    const { s, tree } = setup();
    s.setinfo('driver.flag.ignorelb', 'enabled');
    s.setinfo('battery.charge', '35.9');
    s.setinfo('battery.charge.low', '35');
    s.status.init();
    s.status.set('OB');
    s.status.set('lb');
    s.status.commit();
    expect(tree.getValue('ups.status')).toBe('OB');
    s.setinfo('battery.charge', '34');
    s.status.init();
    s.status.set('OB');
    s.status.commit();
    expect(tree.getValue('ups.status')).toBe('OB LB');
    s.delinfo('battery.charge');
    s.setinfo('battery.runtime', '100');
    s.setinfo('battery.runtime.low', '120');
    s.status.init();
    s.status.commit();
    expect(tree.getValue('ups.status')).toBe(' LB');
  });

  it('without ignorelb, LB stays', () => {
    const { s, tree } = setup();
    s.status.init();
    s.status.set('OB');
    s.status.set('LB');
    s.status.commit();
    expect(tree.getValue('ups.status')).toBe('OB LB');
  });

  it('values are cut to 255 characters; numbers become text', () => {
    const { s, tree } = setup();
    s.setinfo('x.long', 'a'.repeat(300));
    s.setinfo('x.num', 42);
    expect(tree.getValue('x.long')).toHaveLength(255);
    expect(tree.getValue('x.num')).toBe('42');
  });

  it('IMMUTABLE variables refuse new flags and values', () => {
    const { s, tree, warnings } = setup();
    s.setinfo('ups.mfr', 'Over');
    tree.setFlags('ups.mfr', FLAG_IMMUTABLE);
    s.setinfo('ups.mfr', 'Other');
    s.setflags('ups.mfr', FLAG_RW | FLAG_STRING);
    expect(tree.getValue('ups.mfr')).toBe('Over');
    expect(tree.get('ups.mfr')!.flags).toBe(FLAG_IMMUTABLE);
    expect(warnings).toContain('dstate_setflags: base variable (ups.mfr) is immutable');
  });

  it('addrange adds NUMBER; addflags ors; setaux on a missing variable is ignored', () => {
    const { s, tree } = setup();
    s.setinfo('ups.delay.shutdown', '20');
    s.setflags('ups.delay.shutdown', FLAG_RW);
    s.addrange('ups.delay.shutdown', 0, 600);
    expect(tree.get('ups.delay.shutdown')!.flags).toBe(FLAG_RW | FLAG_NUMBER);
    expect(tree.get('ups.delay.shutdown')!.ranges).toEqual([{ min: 0, max: 600 }]);
    s.setinfo('ups.id', 'x');
    s.addflags('ups.id', FLAG_STRING);
    s.addflags('ups.id', FLAG_RW);
    expect(tree.get('ups.id')!.flags).toBe(FLAG_RW | FLAG_STRING);
    s.setaux('nope', 3);
    expect(tree.has('nope')).toBe(false);
  });

  it('dataok/datastale only on transitions; a new tree is stale', () => {
    const { s, ops } = setup();
    expect(s.isStale()).toBe(true);
    s.dataok();
    s.dataok();
    s.datastale();
    s.datastale();
    s.dataok();
    expect(ops.map((o) => o.op)).toEqual(['DATAOK', 'DATASTALE', 'DATAOK']);
  });
});
