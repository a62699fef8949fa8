/**
 * A cumulative Prometheus histogram of durations (an instance's updateinfo calls, kept across
 * its restarts so its counters only grow).
 */

/** Upper bounds in seconds: a serial round trip (ms) up to an SNMP walk near its timeout. */
export const POLL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface PollHistogram {
  /** Upper bounds (seconds), ascending; +Inf is implied. */
  bounds: readonly number[];
  /** Observations ≤ each bound (cumulative), same order as bounds. */
  counts: number[];
  count: number;
  /** Seconds. */
  sum: number;
}

export class PollDurations {
  private readonly counts = new Array<number>(POLL_BUCKETS.length).fill(0);
  private count = 0;
  private sum = 0;

  observe(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < POLL_BUCKETS.length; i++) if (seconds <= POLL_BUCKETS[i]) this.counts[i]++;
  }

  snapshot(): PollHistogram {
    return { bounds: POLL_BUCKETS, counts: [...this.counts], count: this.count, sum: this.sum };
  }
}
