/**
 * The audit trail in NUT 2.8.0 upsd's words (netuser.c, netmisc.c, netset.c, netinstcmd.c),
 * plus the failed logins NUT does not log, in the same style.
 */

export type AuditEvent =
  | { kind: 'login'; user: string; addr: string; ups: string; tls: boolean }
  | { kind: 'logout'; user: string; addr: string; ups: string; tls: boolean }
  | { kind: 'fsd'; user: string; addr: string; ups: string }
  | { kind: 'set'; user: string; addr: string; ups: string; name: string; value: string; tracking?: string }
  | { kind: 'instcmd'; user: string; addr: string; ups: string; cmd: string; param?: string; tracking?: string }
  /** A command that checks the password (LOGIN, PRIMARY, FSD, SET, INSTCMD) met a bad one. */
  | { kind: 'auth-failed'; user: string; addr: string; ups: string; command: string };

const ssl = (tls: boolean): string => (tls ? ' (SSL)' : '');

export function auditText(e: AuditEvent): string {
  switch (e.kind) {
    case 'login':
      return `User ${e.user}@${e.addr} logged into UPS [${e.ups}]${ssl(e.tls)}`;
    case 'logout':
      return `User ${e.user}@${e.addr} logged out from UPS [${e.ups}]${ssl(e.tls)}`;
    case 'fsd':
      return `Client ${e.user}@${e.addr} set FSD on UPS [${e.ups}]`;
    case 'set':
      return `Set variable: ${e.user}@${e.addr} set ${e.name} on ${e.ups} to ${e.value} (tracking ID: ${e.tracking ?? 'disabled'})`;
    case 'instcmd':
      return `Instant command: ${e.user}@${e.addr} did ${e.cmd}${e.param !== undefined ? ` with value ${e.param}` : ''} on ${e.ups} (tracking ID: ${e.tracking ?? 'disabled'})`;
    case 'auth-failed':
      return e.command === 'LOGIN'
        ? `User ${e.user}@${e.addr} failed to log into UPS [${e.ups}]: wrong username or password`
        : `User ${e.user}@${e.addr} failed ${e.command} on UPS [${e.ups}]: wrong username or password`;
  }
}

/**
 * Lets `limit` lines of one kind through per `windowMs`, then counts the rest and reports the
 * count with the next line let through (a fuzzer's parse errors must not flood the log).
 */
export class LogRateLimit {
  private windowStart = -Infinity;
  private passed = 0;
  private suppressed = 0;

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The line to log (with a note of what was dropped before it), or undefined to drop it. */
  admit(line: string): string | undefined {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      const dropped = this.suppressed;
      this.windowStart = t;
      this.passed = 0;
      this.suppressed = 0;
      this.passed++;
      return dropped ? `${line} (${dropped} similar messages suppressed)` : line;
    }
    if (this.passed < this.limit) {
      this.passed++;
      return line;
    }
    this.suppressed++;
    return undefined;
  }
}
