/** C printf formatting of doubles as NUT's dstate_setinfo(fmt, value) produces it. */

/** printf("%.<digits>f", x) with glibc's exact rounding (exact ties go to the even digit). */
export function cFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  const extra = Math.min(40, 100 - digits);
  const ext = a.toFixed(digits + extra);
  const tail = ext.slice(ext.length - extra);
  if (tail === '5' + '0'.repeat(extra - 1)) {
    const head = ext.slice(0, ext.length - extra).replace(/\.$/, '');
    const last = Number(head[head.length - 1]);
    if (last % 2 === 0) return sign + head;
  }
  return sign + a.toFixed(digits);
}

/** The formats NUT's HID tables use: %.Nf, %0.Nf, %s, %d/%i/%ld (as (int)value), %x, %08lx. */
export function formatValue(format: string, value: number): string {
  return format.replace(/%([0-9]*)(?:\.([0-9]+))?(l?)([fdixs%])/g, (_m, width: string, prec: string | undefined, _l, conv: string) => {
    let out: string;
    switch (conv) {
      case '%':
        return '%';
      case 'f':
        out = cFixed(value, prec === undefined ? 6 : Number(prec));
        break;
      case 'd':
      case 'i':
        out = String(Math.trunc(value));
        break;
      case 'x':
        out = (Math.trunc(value) >>> 0).toString(16);
        break;
      default:
        out = cFixed(value, 6);
    }
    const w = Number(width || '0');
    if (out.length < w) out = (width.startsWith('0') ? out.padStart(w, '0') : out.padStart(w, ' '));
    return out;
  });
}

/** C's atol: leading blanks, sign, digits; 0 when there is no number. */
export { cAtoi as atol } from '@nut-ts/core/plugin-api';
