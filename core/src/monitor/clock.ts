/** Time as upsmon and upssched see it; injectable so tests run on virtual time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * Virtual time: sleep() moves the clock forward at once. With one sleeper at a time (the
 * upsmon loop) this replays hours of monitoring in milliseconds, deterministically.
 */
export class VirtualClock implements Clock {
  constructor(public current = 1_700_000_000_000) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.current += Math.max(0, ms);
    await Promise.resolve();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** A sleep that something else can cut short (a signal asking for FSD, reload or exit). */
export class Waker {
  private controller = new AbortController();
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  wake(): void {
    this.controller.abort();
  }
  reset(): void {
    if (this.controller.signal.aborted) this.controller = new AbortController();
  }
}
