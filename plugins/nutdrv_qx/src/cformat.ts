/** The small part of C's printf the protocol tables use (%s, %d, %ld, %02d, %.1f, %%). */
import { cAtof, cAtoi } from '@nut-ts/core/plugin-api';

/** C's strtod on a leading number ("12.5abc" → 12.5; nothing numeric → 0). */
export function strtod(s: string | undefined): number {
  return cAtof(s ?? '');
}

/** C's strtol in base 10 (truncates, leading number only). */
export function strtol(s: string | undefined): number {
  return cAtoi(s ?? '');
}

/** %.Nf as glibc prints it: the exact binary value, ties to even. */
export function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const cut = exact.indexOf('.') + (digits === 0 ? 0 : digits + 1);
  const rest = exact.slice(digits === 0 ? exact.indexOf('.') + 1 : cut);
  let out = Math.abs(x).toFixed(digits);
  if (/^50*$/.test(rest)) {
    // An exact tie: JS rounds half up, C to even.
    const kept = exact.slice(0, digits === 0 ? exact.indexOf('.') : cut);
    const last = Number(kept[kept.length - 1]);
    if (last % 2 === 0) out = kept;
  }
  return x < 0 || Object.is(x, -0) ? `-${out}` : out;
}

export function cformat(fmt: string, ...args: Array<string | number>): string {
  let n = 0;
  return fmt.replace(/%([-0 +#]*)(\d+)?(?:\.(\d+))?(?:hh|h|ll|l|z)?([sdifuxXc%])/g, (_m, flags: string, width?: string, prec?: string, conv?: string) => {
    if (conv === '%') return '%';
    const arg = args[n++];
    let s: string;
    switch (conv) {
      case 's':
        s = String(arg ?? '');
        if (prec !== undefined) s = s.slice(0, Number(prec));
        break;
      case 'd':
      case 'i':
      case 'u':
        s = String(Math.trunc(typeof arg === 'number' ? arg : strtol(arg)));
        break;
      case 'x':
      case 'X':
        s = Math.trunc(Number(arg)).toString(16);
        if (conv === 'X') s = s.toUpperCase();
        break;
      case 'c':
        s = typeof arg === 'number' ? String.fromCharCode(arg) : String(arg ?? '').slice(0, 1);
        break;
      default:
        s = fixed(typeof arg === 'number' ? arg : strtod(arg), prec === undefined ? 6 : Number(prec));
    }
    if (flags.includes('+') && conv !== 's' && !s.startsWith('-')) s = `+${s}`;
    const w = width ? Number(width) : 0;
    if (s.length < w) {
      if (flags.includes('-')) s = s.padEnd(w);
      else if (flags.includes('0') && conv !== 's') {
        const sign = /^[+-]/.test(s) ? s[0] : '';
        s = sign + s.slice(sign.length).padStart(w - sign.length, '0');
      } else s = s.padStart(w);
    }
    return s;
  });
}
