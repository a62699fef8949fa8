/**
 * Errors as NUT's libupsclient names and words them, so our CLIs print what NUT's print.
 * Facts: reference/net-protocol.md §5 (upsd ERR names → client messages, matched by prefix).
 */

/** upsd `ERR <NAME>` → libupsclient message, in libupsclient's lookup order (first prefix wins). */
const SERVER_ERRORS: ReadonlyArray<readonly [string, string]> = [
  ['VAR-NOT-SUPPORTED', 'Variable not supported by UPS'],
  ['UNKNOWN-UPS', 'Unknown UPS'],
  ['ACCESS-DENIED', 'Access denied'],
  ['PASSWORD-REQUIRED', 'Password required'],
  ['PASSWORD-INCORRECT', 'Password incorrect'],
  ['MISSING-ARGUMENT', 'Missing argument'],
  ['DATA-STALE', 'Data stale'],
  ['VAR-UNKNOWN', 'Variable unknown'],
  ['ALREADY-LOGGED-IN', 'Already logged in'],
  ['ALREADY-SET-PASSWORD', 'Already set password'],
  ['UNKNOWN-TYPE', 'Unknown variable type'],
  ['UNKNOWN-VAR', 'Unknown variable'],
  ['READONLY', 'Read-only variable'],
  ['TOO-LONG', 'New value is too long'],
  ['INVALID-VALUE', 'Invalid value for variable'],
  ['SET-FAILED', 'Set command failed'],
  ['UNKNOWN-INSTCMD', 'Unknown instant command'],
  ['INSTCMD-FAILED', 'Instant command failed'],
  ['CMD-NOT-SUPPORTED', 'Instant command not supported'],
  ['INVALID-USERNAME', 'Invalid username'],
  ['ALREADY-SET-USERNAME', 'Already set username'],
  ['UNKNOWN-COMMAND', 'Unknown command'],
  ['INVALID-PASSWORD', 'Invalid password'],
  ['USERNAME-REQUIRED', 'Username required'],
  ['DRIVER-NOT-CONNECTED', 'Driver not connected'],
];

/** Client-side failure kinds (libupsclient's own error numbers, by name). */
export type ClientErrorCode =
  | 'UNKNOWN'
  | 'NO-SUCH-HOST'
  | 'CONNECT-FAILED'
  | 'SERVER-DISCONNECTED'
  | 'TIMEOUT'
  | 'PROTOCOL'
  | 'PARSE'
  | 'SSL-UNAVAILABLE'
  | 'SSL-ERROR'
  | 'NOT-CONNECTED'
  | 'CLOSED';

export class NutError extends Error {
  /**
   * The upsd error name (`VAR-NOT-SUPPORTED`, …) when the server answered `ERR …`,
   * otherwise a client-side code.
   */
  readonly code: string;
  /** True when the server sent `ERR …` (the connection is still usable). */
  readonly fromServer: boolean;
  /** The raw server line, for `ERR …` answers. */
  readonly reply?: string;
  /** For a LIST that failed after `BEGIN LIST`: the item words read before the failure. */
  readonly partial?: string[][];

  constructor(
    code: string,
    message: string,
    opts: { fromServer?: boolean; reply?: string; cause?: unknown; partial?: string[][] } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'NutError';
    this.code = code;
    this.fromServer = opts.fromServer ?? false;
    this.reply = opts.reply;
    this.partial = opts.partial;
  }
}

/** libupsclient's text for an upsd error name (prefix match, like upscli_errcheck). */
export function serverErrorMessage(name: string): string {
  for (const [prefix, text] of SERVER_ERRORS) if (name.startsWith(prefix)) return text;
  return 'Unknown error';
}

/** Builds the NutError for a server line starting with `ERR`. */
export function errorFromReply(line: string): NutError {
  const name = line.length > 4 ? line.slice(4).split(' ')[0] : '';
  return new NutError(name || 'UNKNOWN', serverErrorMessage(line.slice(4)), { fromServer: true, reply: line });
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EPIPE: 'Broken pipe',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
};

/** strerror() wording for a Node system error code. */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && ERRNO_TEXT[code]) return ERRNO_TEXT[code];
  return (err as Error | undefined)?.message ?? String(err);
}

export function connectError(err: unknown): NutError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_NODATA' || code === 'EAI_FAIL') {
    return new NutError('NO-SUCH-HOST', 'No such host', { cause: err });
  }
  return new NutError('CONNECT-FAILED', `Connection failure: ${strerror(err)}`, { cause: err });
}
