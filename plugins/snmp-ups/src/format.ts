/** Number formatting exactly as NUT's snprintf calls produce it. */

/** printf("%.<digits>f", x): like toFixed, but exact binary ties round to even as glibc does. */
export function cFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? (Math.sign(x) < 0 ? '-nan' : 'nan') : x > 0 ? 'inf' : '-inf';
  const scale = 10 ** digits;
  const scaled = x * scale;
  // Ties are only possible when x * 10^digits is exactly representable (always true for
  // float-sized values); in that case round half to even instead of toFixed's half up.
  if (Math.abs(scaled) < 2 ** 52 && Math.abs(scaled - Math.trunc(scaled)) === 0.5) {
    let n = Math.trunc(scaled);
    if (Math.abs(n) % 2 === 1) n += Math.sign(scaled);
    const neg = scaled < 0 && n === 0 ? '-' : '';
    return neg + (n / scale).toFixed(digits);
  }
  const s = x.toFixed(digits);
  return s;
}

/** C's (int) cast of a double on x86-64: truncation, INT_MIN when out of range. */
export function cInt(x: number): number {
  if (!Number.isFinite(x) || x >= 2 ** 31 || x <= -(2 ** 31) - 1) return -(2 ** 31);
  return Math.trunc(x);
}

/** f_equal(x, y) from include/nut_float.h: |(float)x - (float)y| <= FLT_EPSILON. */
export function fEqual(x: number, y: number): boolean {
  return Math.abs(Math.fround(Math.fround(x) - Math.fround(y))) <= 1.1920928955078125e-7;
}

/** su_ups_get's numeric rendering: "%i" when value*multiplier is integral, else "%.2f" of it as float. */
export function formatScaled(value: number, multiplier: number): string {
  const dvalue = value * multiplier;
  const asInt = cInt(dvalue);
  if (fEqual(asInt, dvalue)) return String(asInt);
  return cFixed(Math.fround(dvalue), 2);
}

export { cAtoi as atol, cStrtol0 as strtol0, cStrToLong as strToLongStrict } from '@nut-ts/core/plugin-api';

/** sprintf with only %i conversions (what NUT's OID and name templates use). */
export function fmtTemplate(template: string, ...args: number[]): string {
  let i = 0;
  return template.replace(/%i/g, () => String(args[i++] ?? 0));
}

/**
 * Net-SNMP's snprint_hexstring into NUT's 128-byte buffer: "XX " per byte, 16 bytes a line, a
 * newline after a full line when bytes remain; a line that does not fit ends the output.
 */
export function hexString(buf: Buffer, bufLen = 128): string {
  const byte = (b: number) => b.toString(16).toUpperCase().padStart(2, '0') + ' ';
  let out = '';
  let pos = 0;
  while (buf.length - pos >= 16) {
    if (out.length + 16 * 3 + 1 >= bufLen) return out;
    for (let i = 0; i < 16; i++) out += byte(buf[pos + i]);
    pos += 16;
    if (pos < buf.length) out += '\n';
  }
  if (pos < buf.length) {
    if (out.length + (buf.length - pos) * 3 + 1 >= bufLen) return out;
    for (; pos < buf.length; pos++) out += byte(buf[pos]);
  }
  return out;
}
