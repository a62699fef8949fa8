/**
 * The global table of tracked INSTCMD/SET requests (net-protocol.md §7). IDs are upper-case
 * UUIDv4 like NUT's, but random (NUT's repeat after every restart). The table is bounded:
 * past `capacity` entries the oldest are forgotten, so a flood of tracked commands cannot
 * grow memory without limit.
 */
import { randomUUID } from 'node:crypto';

export const TRACKING_PENDING = -1;

interface Entry {
  status: number;
  created: number;
}

export class TrackingTable {
  private readonly entries = new Map<string, Entry>();

  constructor(
    public delaySeconds = 3600,
    private readonly capacity = 65_536,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** A fresh ID, registered as PENDING. */
  create(now = Date.now()): string {
    const id = randomUUID().toUpperCase();
    this.entries.set(id, { status: TRACKING_PENDING, created: now });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return id;
  }

  /** A driver's answer (TRACKING <id> <status>); unknown IDs are ignored. */
  set(id: string, status: number): void {
    const e = this.entries.get(id.toUpperCase());
    if (e) e.status = status;
  }

  /** Text for GET TRACKING <id>. */
  describe(id: string): string {
    const e = this.entries.get(id.toUpperCase());
    if (!e) return 'ERR UNKNOWN';
    switch (e.status) {
      case TRACKING_PENDING:
        return 'PENDING';
      case 0:
        return 'SUCCESS';
      case 2:
        return 'ERR INVALID-ARGUMENT';
      case 3:
        return 'ERR FAILED';
      default:
        return 'ERR UNKNOWN';
    }
  }

  /** Drops entries older than the tracking delay. */
  purge(now = Date.now()): void {
    const limit = now - this.delaySeconds * 1000;
    for (const [id, e] of this.entries) {
      if (e.created >= limit) break;
      this.entries.delete(id);
    }
  }
}
