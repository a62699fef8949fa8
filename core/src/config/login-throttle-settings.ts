/** upsd's failed-login throttle settings (host setting `loginThrottle`); the throttle is upsd/login-throttle.ts. */
export interface LoginThrottleSettings {
  /** Delay after the first failure; 0 turns the throttle off. */
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = { baseDelayMs: 100, maxDelayMs: 10_000, forgetAfterMs: 15 * 60_000 };
