/**
 * When an instance is started again.
 *
 * Start attempts follow NUT's upsdrvctl and come from ups.conf: `maxretry` attempts in total
 * (default 1), `retrydelay` seconds apart (default 5). An attempt fails when the plugin dies
 * before its first update is done; after the last failed attempt the instance stays down
 * ("failed") until it is started again.
 *
 * Crashes of an instance that was running (throw, exit, watchdog, out of memory) are nut-ts's
 * own business and come from the host settings' `restart` block: the n-th consecutive crash
 * waits min(initialDelayMs × factor^(n−1), maxDelayMs), never less than MIN_DELAY_MS so a zero
 * delay cannot spin; an instance that stays up resetAfterMs starts over from initialDelayMs;
 * after maxRestarts consecutive crashes (if set) it is left "failed".
 */
export interface RestartPolicy {
  maxretry: number;
  retrydelayMs: number;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  resetAfterMs: number;
  maxRestarts?: number;
}

export const MIN_DELAY_MS = 100;

export const DEFAULT_RESTART: RestartPolicy = {
  maxretry: 1,
  retrydelayMs: 5_000,
  initialDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 60_000,
  resetAfterMs: 60_000,
};

/** Delay before restarting after the `crashes`-th consecutive crash (1-based). */
export function crashDelayMs(policy: RestartPolicy, crashes: number): number {
  const base = Math.max(policy.initialDelayMs, MIN_DELAY_MS);
  const exp = Math.min(Math.max(crashes - 1, 0), 60);
  return Math.max(MIN_DELAY_MS, Math.min(base * Math.max(policy.factor, 1) ** exp, Math.max(policy.maxDelayMs, base)));
}
