/** How NUT's C code reads numbers from config words, so we accept exactly what it accepts. */

/** C atoi/atol: optional blanks, sign, digits; stops at the first other character; 0 if none. */
export function cAtoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number.parseInt(m[1], 10);
  return Number.isFinite(n) ? n : 0;
}

/** cAtoi kept within C int's range (values beyond it stop at INT_MIN/INT_MAX). */
export function cAtoiInt(text: string): number {
  return Math.max(-2147483648, Math.min(2147483647, cAtoi(text)));
}

/** C strtol(s, NULL, 0): optional blanks and sign, then 0x hex, leading-0 octal or decimal; 0 if none. */
export function cStrtol0(text: string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2];
  if (/^0[xX]/.test(body)) return sign * Number.parseInt(body.slice(2), 16);
  if (body[0] === '0' && body.length > 1) return sign * Number.parseInt(body, 8);
  return sign * Number.parseInt(body, 10);
}

/** NUT's str_to_long(s, &v, 10): the whole word must be a base-10 number; undefined otherwise. */
export function cStrToLong(text: string): number | undefined {
  return /^[\t\n\v\f\r ]*[+-]?[0-9]+$/.test(text) ? Number.parseInt(text.trim(), 10) : undefined;
}

/** True when the word is a clean decimal integer (what NUT's str_to_int accepts). */
export function isCleanInteger(text: string): boolean {
  return /^[ \t]*[+-]?\d+$/.test(text);
}

/** C atof: leading decimal number, 0 if none. */
export function cAtof(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(text);
  return m ? Number.parseFloat(m[1]) : 0;
}

export function isCleanNumber(text: string): boolean {
  return /^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text);
}

/** upsd.conf's check before atoi: the first character must be a digit. */
export function startsWithDigit(text: string): boolean {
  return text.length > 0 && text.charCodeAt(0) >= 0x30 && text.charCodeAt(0) <= 0x39;
}

/** upsd.conf parse_boolean: true/on/yes/1, false/off/no/0, any case. */
export function cBoolean(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (t === 'true' || t === 'on' || t === 'yes' || t === '1') return true;
  if (t === 'false' || t === 'off' || t === 'no' || t === '0') return false;
  return undefined;
}
