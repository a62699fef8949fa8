/** Report descriptor parsing as NUT's hidparser.c does it, on hand-written descriptors. */
import { describe, expect, it } from 'vitest';
import { findObject, parseReportDescriptor, ITEM_FEATURE, ITEM_INPUT } from '../src/hid/descriptor.js';
import { decodeValue, encodeValue } from '../src/hid/value.js';
import { UsageTable } from '../src/hid/usages.js';
import { loadTables, builtinTableFiles } from '../src/table.js';

const d = (hex: string) => new Uint8Array(hex.split(/\s+/).filter(Boolean).map((b) => Number.parseInt(b, 16)));
const generic = new UsageTable(loadTables(builtinTableFiles()).generic.usages);

describe('report descriptor parser', () => {
  // UPS { Flow [4] { ConfigVoltage } PowerSummary { Voltage (Volt, exp 5), RemainingCapacity (input+feature) } }
  const desc = d(`
    05 84 09 04 a1 01
      09 1e a1 84
        85 01 75 08 95 01 15 00 26 ff 00 09 40 b1 02
      c0
      09 24 a1 00
        85 02 75 10 67 21 d1 f0 00 55 05 15 00 27 fe ff 00 00 09 30 b1 02
        85 03 75 08 65 00 55 00 15 00 25 64 05 85 09 66 81 02 09 66 b1 02
        85 04 75 08 95 02 15 00 25 01 09 d0 b1 02
        85 05 75 08 95 01 15 00 25 80 09 65 b1 02
      c0
    c0`);
  const p = parseReportDescriptor(desc);
  const path = (i: number) => generic.formatPath(p.objects[i]!.path);

  it('builds paths with [n] index nodes, dropped with their collection at End Collection', () => {
    expect(p.objects.map((o, i) => `${path(i)} ${o.type === ITEM_INPUT ? 'in' : 'feat'} ${o.reportId}/${o.offset}/${o.size}`)).toEqual([
      'UPS.Flow.[4].ConfigVoltage feat 1/0/8',
      'UPS.PowerSummary.Voltage feat 2/0/16',
      'UPS.PowerSummary.RemainingCapacity in 3/0/8',
      'UPS.PowerSummary.RemainingCapacity feat 3/0/8',
      // Report count 2, one usage: the second field has no usage and stores no object (NUT does not repeat the last usage)
      'UPS.PowerSummary.ACPresent feat 4/0/8',
      'UPS.PowerSummary.AbsoluteStateOfCharge feat 5/0/8', // usage page is still 0x85 (Battery System)
    ]);
    expect(p.replen.get(4)).toBe(2);
  });

  it('reads LogMax < LogMin again as unsigned (0x80 in one byte is 128, not -128), with a warning', () => {
    const o = p.objects[5]!;
    expect([o.logMin, o.logMax]).toEqual([0, 128]);
    expect(p.warnings[0]).toMatch(/interpreting LogMax -128 as 128 in ReportID: 0x05/);
  });

  it("applies the unit exponent with NUT's Volt correction (exp 5 - 7 = -2)", () => {
    const o = p.objects[1]!;
    expect([o.unit, o.unitExp]).toEqual([0x00f0d121, 5]);
    expect(decodeValue(d('02 4e 05'), o)).toBeCloseTo(13.58, 10);
    expect(encodeValue(o, 13.6)).toBe(1359); // NUT truncates (13.6 / 0.01 = 1359.999…)
  });

  it('finds objects by path prefix, first in descriptor order, per type', () => {
    const nodes = generic.parsePath('UPS.PowerSummary.RemainingCapacity');
    expect(findObject(p, nodes, ITEM_FEATURE)?.type).toBe(ITEM_FEATURE);
    expect(findObject(p, nodes, ITEM_INPUT)?.type).toBe(ITEM_INPUT);
    // NUT compares only as many nodes as the searched path has
    expect(generic.formatPath(findObject(p, generic.parsePath('UPS.PowerSummary'), ITEM_FEATURE)!.path)).toBe('UPS.PowerSummary.Voltage');
  });

  it('parses paths as NUT: names case-insensitive, 8 hex digits, [n]; unknown words are dropped', () => {
    expect(generic.parsePath('ups.powersummary.ff860060.[2]')).toEqual([0x00840004, 0x00840024, 0xff860060, 0x00ff0002]);
    expect(generic.parsePath('UPS.NoSuchName.Voltage')).toEqual([0x00840004, 0x00840030]);
  });

  it('sign-extends logical limits by item size and reads negative exponents from the nibble', () => {
    const q = parseReportDescriptor(d('05 84 09 04 a1 01 85 01 75 10 16 00 80 26 ff 7f 55 0e 09 30 b1 02 c0'));
    expect([q.objects[0]!.logMin, q.objects[0]!.logMax, q.objects[0]!.unitExp]).toEqual([-32768, 32767, -2]);
  });
});
