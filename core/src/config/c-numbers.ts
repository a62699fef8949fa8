/** How NUT's C code reads numbers from config words, so we accept exactly what it accepts. */

/** C atoi/atol: optional blanks, sign, digits; stops at the first other character; 0 if none. */
export function cAtoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number.parseInt(m[1], 10);
  return Number.isFinite(n) ? n : 0;
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
