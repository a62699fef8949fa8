/**
 * Fixed texts and encoding rules of upsd's answers (reference/net-protocol.md §2, §4).
 * nut-ts announces itself with NUT 2.8.0's banner: clients parse the version out of VER and
 * server.version, and the protocol we speak is 2.8.0's.
 */

export const SERVER_VERSION = '2.8.0';
export const SERVER_INFO = `Network UPS Tools upsd ${SERVER_VERSION} - http://www.networkupstools.org/`;
export const PROTOCOL_VERSION = '1.3';
export const HELP_TEXT = 'Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS';

/** upsd formats each answer line into a 513-byte buffer: at most 512 bytes go out. */
export const ANSWER_MAX = 512;
/** Values are escaped into a 256-byte buffer (common/state.c): at most 255 chars. */
export const VALUE_MAX = 255;

export type ErrorName =
  | 'ACCESS-DENIED'
  | 'UNKNOWN-UPS'
  | 'VAR-NOT-SUPPORTED'
  | 'CMD-NOT-SUPPORTED'
  | 'INVALID-ARGUMENT'
  | 'INSTCMD-FAILED'
  | 'SET-FAILED'
  | 'READONLY'
  | 'TOO-LONG'
  | 'INVALID-VALUE'
  | 'FEATURE-NOT-SUPPORTED'
  | 'FEATURE-NOT-CONFIGURED'
  | 'ALREADY-SSL-MODE'
  | 'DRIVER-NOT-CONNECTED'
  | 'DATA-STALE'
  | 'ALREADY-LOGGED-IN'
  | 'ALREADY-SET-PASSWORD'
  | 'ALREADY-SET-USERNAME'
  | 'USERNAME-REQUIRED'
  | 'PASSWORD-REQUIRED'
  | 'UNKNOWN-COMMAND';

const ERR_LINES = new Map<string, string>();
export function err(name: ErrorName): string {
  let line = ERR_LINES.get(name);
  if (!line) ERR_LINES.set(name, (line = `ERR ${name}\n`));
  return line;
}

function needsEscape(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5c || c === 0x22 || c === 0x23) return true;
  }
  return false;
}

/**
 * pconf_encode into a buffer of `max + 1` bytes: `\` `"` `#` get a backslash; output stops
 * before an escape pair or a character that would not fit.
 */
export function encodeBounded(value: string, max = VALUE_MAX): string {
  if (value.length <= max && !needsEscape(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    const c = value.charCodeAt(i);
    if (c === 0x5c || c === 0x22 || c === 0x23) {
      if (out.length + 2 > max) return out;
      out += '\\';
    }
    if (out.length >= max) return out;
    out += ch;
  }
  return out;
}

/** A line longer than the answer buffer is cut (and then lacks its newline, as in NUT). */
export function clip(line: string): string {
  return line.length > ANSWER_MAX ? line.slice(0, ANSWER_MAX) : line;
}
