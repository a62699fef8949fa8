/**
 * A scripted upsd for the state machine tests: answers upsmon's requests from a status
 * timeline on virtual time and records every request with its time.
 */
import type { LinkFactory, LinkOptions, UpsLink } from '../../src/monitor/link.js';
import { LinkError } from '../../src/monitor/link.js';
import type { VirtualClock } from '../../src/monitor/clock.js';

export interface Step {
  /** Seconds after the start of the test. */
  at: number;
  status?: string;
  /** upsd stops answering (connections fail) from here on… */
  down?: boolean;
  numlogins?: number;
}

export class FakeUpsd {
  readonly requests: Array<{ t: number; ups?: string; line: string }> = [];
  fsd = new Set<string>();
  private readonly start: number;
  /** Per-UPS timelines; key = upsname. */
  constructor(
    private readonly clock: VirtualClock,
    private readonly timelines: Record<string, Step[]>,
  ) {
    this.start = clock.now();
  }

  elapsed(): number {
    return (this.clock.now() - this.start) / 1000;
  }

  private state(ups: string): Step {
    const steps = this.timelines[ups] ?? [];
    const t = this.elapsed();
    const merged: Step = { at: 0 };
    for (const s of steps) if (s.at <= t) Object.assign(merged, s);
    return merged;
  }

  private anyDown(): boolean {
    return Object.keys(this.timelines).some((u) => this.state(u).down);
  }

  factory: LinkFactory = async (opts: LinkOptions) => {
    if (this.anyDown()) throw new LinkError('Connection failure: Connection refused');
    return new FakeLink(this, opts);
  };

  answer(line: string): string {
    const words = line.split(' ');
    this.requests.push({ t: this.elapsed(), line });
    switch (words[0]) {
      case 'STARTTLS':
        return 'ERR FEATURE-NOT-CONFIGURED';
      case 'USERNAME':
      case 'PASSWORD':
        return 'OK';
      case 'LOGIN':
        return this.timelines[words[1]] ? 'OK' : 'ERR UNKNOWN-UPS';
      case 'PRIMARY':
        return 'OK';
      case 'FSD':
        this.fsd.add(words[1]);
        return 'OK FSD-SET';
      case 'LOGOUT':
        return 'OK Goodbye';
      case 'GET': {
        const ups = words[1] === 'VAR' ? words[2] : words[2];
        if (!this.timelines[ups]) return 'ERR UNKNOWN-UPS';
        const st = this.state(ups);
        if (words[1] === 'NUMLOGINS') return `NUMLOGINS ${ups} ${st.numlogins ?? 1}`;
        if (words[3] === 'ups.status') {
          const status = (this.fsd.has(ups) ? 'FSD ' : '') + (st.status ?? 'OL');
          return `VAR ${ups} ups.status "${status.trim()}"`;
        }
        if (words[3] === 'ups.alarm') return `VAR ${ups} ups.alarm "Replace battery!"`;
        return 'ERR VAR-NOT-SUPPORTED';
      }
      default:
        return 'ERR UNKNOWN-COMMAND';
    }
  }

  isDown(): boolean {
    return this.anyDown();
  }
}

class FakeLink implements UpsLink {
  open = true;
  tls = false;
  constructor(
    private readonly server: FakeUpsd,
    readonly opts: LinkOptions,
  ) {}
  async request(line: string): Promise<string> {
    if (!this.open) throw new LinkError('Not connected');
    if (this.server.isDown()) {
      this.open = false;
      throw new LinkError('Server disconnected');
    }
    return this.server.answer(line);
  }
  async readLine(): Promise<string> {
    throw new LinkError('nothing to read');
  }
  send(line: string): void {
    if (this.open) this.server.answer(line);
  }
  close(): void {
    this.open = false;
  }
}
