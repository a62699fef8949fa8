/** The dashboard's charts: a few variables of every device sampled at a fixed interval, bounded. */
import type { DeviceDirectory } from '../dstate/device.js';

export const HISTORY_VARIABLES = ['battery.charge', 'battery.runtime', 'ups.load', 'input.voltage', 'output.voltage'] as const;

export interface Sample {
  t: number;
  values: Record<string, number | null>;
}

export class History {
  private readonly series = new Map<string, Sample[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly directory: DeviceDirectory,
    intervalMs: number,
    private readonly points: number,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  sample(now = Date.now()): void {
    const present = new Set<string>();
    for (const d of this.directory.list()) {
      present.add(d.name);
      if (!d.connected) continue;
      const values: Record<string, number | null> = {};
      for (const v of HISTORY_VARIABLES) {
        const n = Number(d.tree.getValue(v));
        values[v] = d.tree.has(v) && Number.isFinite(n) ? n : null;
      }
      let s = this.series.get(d.name);
      if (!s) this.series.set(d.name, (s = []));
      s.push({ t: now, values });
      if (s.length > this.points) s.splice(0, s.length - this.points);
    }
    for (const name of this.series.keys()) if (!present.has(name)) this.series.delete(name);
  }

  of(device: string): Sample[] {
    return this.series.get(device) ?? [];
  }

  close(): void {
    clearInterval(this.timer);
  }
}
