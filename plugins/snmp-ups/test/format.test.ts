import { describe, expect, it } from 'vitest';
import { atol, cFixed, cInt, fEqual, fmtTemplate, formatScaled, hexString, strToLongStrict, strtol0 } from '../src/format.js';

describe('NUT number formatting', () => {
  it('multiplied values: %i when integral as float, else %.2f of the float', () => {
    // reference/snmp-ups.md §4: 2716×0.1 → 271.60, 202×0.1 → 20.20
    expect(formatScaled(2716, 0.1)).toBe('271.60');
    expect(formatScaled(202, 0.1)).toBe('20.20');
    expect(formatScaled(3, 0.1)).toBe('0.30');
    expect(formatScaled(232, 1)).toBe('232');
    expect(formatScaled(29, 60)).toBe('1740');
    expect(formatScaled(-4, 1)).toBe('-4');
    // 230 × 0.1 = 23.000000000000004 in doubles; f_equal compares as floats: integral
    expect(formatScaled(230, 0.1)).toBe('23');
    expect(formatScaled(1195, 0.1)).toBe('119.50');
  });
  it('C conversions', () => {
    expect(cInt(2 ** 31)).toBe(-(2 ** 31));
    expect(cInt(-3.7)).toBe(-3);
    expect(fEqual(23, 23.000000000000004)).toBe(true);
    expect(fEqual(271, 271.6)).toBe(false);
    expect(cFixed(0.125, 2)).toBe('0.12');
    expect(cFixed(0.375, 2)).toBe('0.38');
    expect(cFixed(2.5, 0)).toBe('2');
    expect(cFixed(23.04, 1)).toBe('23.0');
    expect(strtol0('0x1A')).toBe(26);
    expect(strtol0('010')).toBe(8);
    expect(strtol0('  -42abc')).toBe(-42);
    expect(strtol0('abc')).toBe(0);
    expect(atol('12s')).toBe(12);
    expect(strToLongStrict('12')).toBe(12);
    expect(strToLongStrict('12s')).toBeUndefined();
    expect(fmtTemplate('.1.3.%i.4.%i', 2, 7)).toBe('.1.3.2.4.7');
  });
  it("Net-SNMP's hex rendering of binary strings, bounded by NUT's 128-byte buffer", () => {
    expect(hexString(Buffer.from([0, 1, 0xab]))).toBe('00 01 AB ');
    // Observed with NUT 2.8.0 (test/compat/snmp-decode.test.ts): 16 bytes a line, a newline
    // only between lines, output cut at the first line that does not fit in 128 bytes.
    expect(hexString(Buffer.alloc(16, 0x11))).toBe('11 '.repeat(16));
    expect(hexString(Buffer.alloc(32, 0x11))).toBe('11 '.repeat(16) + '\n' + '11 '.repeat(16));
    expect(hexString(Buffer.alloc(33, 0x11))).toBe('11 '.repeat(16) + '\n' + '11 '.repeat(16) + '\n' + '11 ');
    expect(hexString(Buffer.alloc(48, 0x11))).toBe('11 '.repeat(16) + '\n' + '11 '.repeat(16) + '\n');
    expect(hexString(Buffer.alloc(42, 0x11))).toBe('11 '.repeat(16) + '\n' + '11 '.repeat(16) + '\n');
  });
});
