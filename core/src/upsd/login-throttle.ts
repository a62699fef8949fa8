/**
 * Failed-login throttle per client address. NUT answers a wrong password at once, so guessing
 * is limited only by the network; here every answer to a command that checks a password, from
 * an address with recent failures, waits base × 2^(failures-1) ms, capped. The answers stay
 * NUT's (`ERR ACCESS-DENIED` / `OK`), so clients that retry keep working, only slower; other
 * addresses are not slowed. Successes are delayed the same way (a fast `OK` would tell a
 * guesser which try was right without waiting for the others), and an address is forgotten
 * after `forgetAfterMs` without a failure. Only new guesses count: the same wrong username and
 * password again (a misconfigured upsmon retrying, or one session's several commands) does not
 * raise the delay.
 */
import { createHash } from 'node:crypto';

import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleSettings } from '../config/login-throttle-settings.js';

export { DEFAULT_LOGIN_THROTTLE, type LoginThrottleSettings } from '../config/login-throttle-settings.js';

/** Addresses remembered at most (oldest forgotten first): a flood of sources cannot grow memory. */
const MAX_ADDRESSES = 65_536;
/** Wrong credentials remembered per address (hashed), to tell a retry from a new guess. */
const MAX_GUESSES_KEPT = 64;

interface Entry {
  failures: number;
  last: number;
  guesses: Set<string>;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    public settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  private entry(addr: string): Entry | undefined {
    const e = this.entries.get(addr);
    if (e && this.now() - e.last > this.settings.forgetAfterMs) {
      this.entries.delete(addr);
      return undefined;
    }
    return e;
  }

  failures(addr: string): number {
    return this.entry(addr)?.failures ?? 0;
  }

  /** Records a failed password check from `addr`; a repeat of the same credentials counts once. */
  fail(addr: string, username = '', password = ''): void {
    const e = this.entry(addr) ?? { failures: 0, last: 0, guesses: new Set<string>() };
    const guess = createHash('sha256').update(`${username}\0${password}`).digest('base64');
    if (!e.guesses.has(guess)) {
      e.failures++;
      e.guesses.add(guess);
      if (e.guesses.size > MAX_GUESSES_KEPT) e.guesses.delete(e.guesses.values().next().value as string);
    }
    e.last = this.now();
    this.entries.delete(addr);
    this.entries.set(addr, e);
    if (this.entries.size > MAX_ADDRESSES) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** How long an answer to a password check from `addr` waits now. */
  delayFor(addr: string): number {
    const { baseDelayMs, maxDelayMs } = this.settings;
    const n = this.failures(addr);
    if (n === 0 || baseDelayMs <= 0) return 0;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n - 1, 30));
  }
}
