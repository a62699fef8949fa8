/**
 * When an instance is started again.
 *
 * Start attempts follow NUT's upsdrvctl: `maxretry` attempts in total (default 1), `retrydelay`
 * seconds apart (default 5). An attempt fails when the plugin dies before its first update is
 * done; after the last failed attempt the instance stays down ("failed") until started again.
 *
 * Once an instance has been running, a crash (throw, exit, watchdog, out of memory) restarts it
 * without limit: the n-th consecutive crash waits min(retrydelay × 2^(n−1), maxDelay) seconds
 * (at least minDelay, so retrydelay = 0 cannot spin). An instance that stays up for
 * `stableAfter` counts as recovered and the next crash starts from retrydelay again.
 */
export interface RestartPolicy {
  maxretry: number;
  retrydelayMs: number;
  maxDelayMs: number;
  minDelayMs: number;
  stableAfterMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = {
  maxretry: 1,
  retrydelayMs: 5_000,
  maxDelayMs: 300_000,
  minDelayMs: 250,
  stableAfterMs: 60_000,
};

/** Delay before restarting after the `crashes`-th consecutive crash (1-based). */
export function crashDelayMs(policy: RestartPolicy, crashes: number): number {
  const base = Math.max(policy.retrydelayMs, policy.minDelayMs);
  const exp = Math.min(Math.max(crashes - 1, 0), 30);
  return Math.min(base * 2 ** exp, Math.max(policy.maxDelayMs, base));
}
