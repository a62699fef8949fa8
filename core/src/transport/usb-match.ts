/**
 * NUT's USB device matching (usb-common.c): the `vendorid`, `productid`, `vendor`, `product`,
 * `serial`, `bus`, `device` and `busport` options are POSIX extended regular expressions,
 * case-insensitive, that must match the whole value (leading and trailing blanks of the value
 * dropped first; an option left out matches anything; a missing string is ""). Ids are
 * compared as 4-digit lower-case hex. A plugin's `ids` claim list is checked first.
 *
 * `device` is the 3-digit device address (NUT 2.8.0 with libusb 1.0 leaves it empty, later
 * releases fill it like this). `busport` matches the physical port path (`1-2.3`) or, as
 * later NUT releases print it, the 3-digit number of the last port on that path (`003`).
 */
import { TransportError, type UsbDeviceInfo, type UsbMatch } from '../plugin-api/transports.js';

export const MATCH_FIELDS = ['vendorid', 'productid', 'vendor', 'product', 'serial', 'bus', 'device', 'busport'] as const;
export type MatchField = (typeof MATCH_FIELDS)[number];

export class RegexError extends Error {
  constructor(
    readonly field: string,
    readonly pattern: string,
    reason: string,
  ) {
    super(`invalid regular expression for ${field}: "${pattern}" (${reason})`);
    this.name = 'RegexError';
  }
}

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: '0-9a-zA-Z',
  upper: 'A-Z',
  lower: 'a-z',
  xdigit: '0-9A-Fa-f',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

/** A character as it may stand inside a JS character class. */
function classChar(c: string): string {
  return /[\\\]\[^-]/.test(c) ? `\\${c}` : c;
}

/**
 * Translates one POSIX ERE (as glibc's regcomp reads it with REG_EXTENDED) into JavaScript
 * source. Differences handled: bracket expressions (`]` first is literal, `\` is literal,
 * `[:class:]`, `[=c=]`, `[.c.]`), `.` matching a newline too, GNU's `\<` `\>` `` \` `` `\'`,
 * and JS-only syntax (`(?…)` groups, `\d`, `\uXXXX` …) that an ERE does not have: `(?` is an
 * error in an ERE, and an escaped letter without a GNU meaning never matches (as in glibc
 * with REG_ICASE).
 */
export function ereToJs(ere: string, field = 'regex'): string {
  let out = '';
  let i = 0;
  // Where the last atom starts in `out`, and whether a quantifier was just emitted: ERE
  // applies a second quantifier to the quantified atom (`a+?` is `(a+)?`), JS would read
  // it as laziness or reject it.
  let atomStart = 0;
  let quantified = false;
  const groups: number[] = [];
  const fail = (why: string): never => {
    throw new RegexError(field, ere, why);
  };
  while (i < ere.length) {
    const c = ere[i]!;
    const quantifier = /^(?:[*+?]|\{\d+(?:,\d*)?\})/.exec(ere.slice(i))?.[0];
    if (quantifier) {
      if (quantified) out = `${out.slice(0, atomStart)}(?:${out.slice(atomStart)})`;
      out += quantifier;
      i += quantifier.length;
      quantified = true;
      continue;
    }
    quantified = false;
    if (c === '{') fail('"{" starts no valid interval');
    if (c === '(') {
      if (ere[i + 1] === '?') fail('"(?" is not an extended regular expression');
      groups.push(out.length);
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      if (!groups.length) fail('unmatched )');
      atomStart = groups.pop()!;
      out += ')';
      i++;
      continue;
    }
    atomStart = out.length;
    if (c === '[') {
      i++;
      let set = '';
      if (ere[i] === '^') {
        set += '^';
        i++;
      }
      let first = true;
      for (;;) {
        if (i >= ere.length) fail('unterminated [');
        const d = ere[i]!;
        if (d === ']' && !first) {
          i++;
          break;
        }
        first = false;
        if (d === '[' && (ere[i + 1] === ':' || ere[i + 1] === '=' || ere[i + 1] === '.')) {
          const kind = ere[i + 1]!;
          const end = ere.indexOf(`${kind}]`, i + 2);
          if (end < 0) fail(`unterminated [${kind}`);
          const name = ere.slice(i + 2, end);
          if (kind === ':') {
            const cls = CLASSES[name];
            if (cls === undefined) fail(`unknown character class [:${name}:]`);
            set += cls;
          } else {
            if ([...name].length !== 1) fail(`unsupported collating element [${kind}${name}${kind}]`);
            set += classChar(name);
          }
          i = end + 2;
          continue;
        }
        // a range keeps its '-'; any other character is taken literally
        if (d === '-' && set !== '' && set !== '^' && ere[i + 1] !== ']') set += '-';
        else set += classChar(d);
        i++;
      }
      out += `[${set}]`;
      continue;
    }
    if (c === '\\') {
      const d = ere[i + 1];
      if (d === undefined) fail('trailing backslash');
      i += 2;
      if (d === '<') out += '\\b(?=\\w)';
      else if (d === '>') out += '\\b(?<=\\w)';
      else if (d === '`') out += '^';
      else if (d === "'") out += '$';
      else if ('wWsSbB'.includes(d!) || /[1-9]/.test(d!)) out += `\\${d}`;
      // glibc compiles any other escaped letter, but under REG_ICASE (NUT's flags) it then
      // matches nothing at all
      else if (/[a-zA-Z0]/.test(d!)) out += '(?!)';
      else out += `\\${d}`;
      continue;
    }
    if (c === '.') {
      out += '[\\s\\S]';
      i++;
      continue;
    }
    if (c === '/') {
      out += '\\/';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** The whole-value, case-insensitive matcher for one option. */
export function compileEre(ere: string, field = 'regex'): RegExp {
  const source = ereToJs(ere, field);
  try {
    return new RegExp(`^(?:${source})$`, 'i');
  } catch (e) {
    throw new RegexError(field, ere, e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e));
  }
}

/** NUT drops blanks (space, tab, newline) around the device's value before matching. */
export function trimValue(s: string | undefined): string {
  return (s ?? '').replace(/^[ \t\n]+|[ \t\n]+$/g, '');
}

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** The 3-digit number of the last port on a port path (`1-2.3` → `003`), '' when none. */
export function lastPortNumber(busport: string): string {
  const m = /[-.](\d+)$/.exec(busport);
  return m ? m[1]!.padStart(3, '0') : '';
}

/** The values a device offers to each option. */
function valuesOf(info: UsbDeviceInfo, field: MatchField): string[] {
  switch (field) {
    case 'vendorid':
      return [hex4(info.vendorId)];
    case 'productid':
      return [hex4(info.productId)];
    case 'vendor':
      return [trimValue(info.manufacturer)];
    case 'product':
      return [trimValue(info.product)];
    case 'serial':
      return [trimValue(info.serial)];
    case 'bus':
      return [trimValue(info.bus)];
    case 'device':
      return [trimValue(info.device)];
    case 'busport':
      return [trimValue(info.busport), lastPortNumber(info.busport)];
  }
}

export interface CompiledMatch {
  /** Does the device pass the claim list and every regex? */
  test(info: UsbDeviceInfo): boolean;
  /** The first option a device fails, for diagnostics (undefined when it matches). */
  mismatch(info: UsbDeviceInfo): string | undefined;
  /** `vendorid=051d product=Back-UPS.*` — what was asked for, for messages. */
  describe(): string;
}

/** Compiles a UsbMatch once; throws RegexError for an option that is not a valid ERE. */
export function compileMatch(match: UsbMatch): CompiledMatch {
  const regexes: Array<[MatchField, RegExp]> = [];
  for (const field of MATCH_FIELDS) {
    const pattern = match[field];
    if (pattern !== undefined) regexes.push([field, compileEre(pattern, field)]);
  }
  const ids = match.ids;
  const mismatch = (info: UsbDeviceInfo): string | undefined => {
    if (ids && !ids.some((c) => c.vendorId === info.vendorId && (c.productId === undefined || c.productId === info.productId))) {
      return `ids (${hex4(info.vendorId)}:${hex4(info.productId)} is not claimed)`;
    }
    for (const [field, re] of regexes) {
      if (!valuesOf(info, field).some((v) => re.test(v))) return field;
    }
    return undefined;
  };
  return {
    test: (info) => mismatch(info) === undefined,
    mismatch,
    describe() {
      const parts = regexes.map(([f]) => `${f}=${match[f]!}`);
      if (ids) parts.unshift(`ids=${ids.map((c) => `${hex4(c.vendorId)}:${c.productId === undefined ? '*' : hex4(c.productId)}`).join(',')}`);
      return parts.length ? parts.join(' ') : 'any device';
    },
  };
}

/** Port path as the kernel names it in sysfs: bus number, then each port (`1-2.3`). */
/** compileMatch for an open: a bad regex is the open's EIO error. */
export function compileForOpen(match: UsbMatch): CompiledMatch {
  try {
    return compileMatch(match);
  } catch (e) {
    if (e instanceof RegexError) throw new TransportError('EIO', e.message);
    throw e;
  }
}

/** The ENOENT of an open that no device passed: what was asked for, and what was seen. */
export function noMatchError(kind: 'USB' | 'HID', compiled: CompiledMatch, seen: readonly string[]): TransportError {
  return new TransportError(
    'ENOENT',
    `no ${kind} device matches ${compiled.describe()}` + (seen.length ? `; seen: ${seen.join(', ')}` : `; no ${kind} devices seen`),
  );
}

export function busportOf(busNumber: number, portNumbers: readonly number[] | undefined): string {
  return portNumbers && portNumbers.length ? `${busNumber}-${portNumbers.join('.')}` : `${busNumber}`;
}

export function bus3(n: number): string {
  return String(n).padStart(3, '0');
}
