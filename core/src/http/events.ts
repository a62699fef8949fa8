/**
 * Live events from a DeviceDirectory: every effective change of a device's state tree, the
 * status as a whole (old and new `ups.status`), the driver coming and going, devices added
 * or removed. Events get increasing ids and stay in a bounded ring so a client that
 * reconnects with Last-Event-ID gets what it missed (or learns it missed too much).
 */
import type { Device, DeviceDirectory } from '../dstate/device.js';
import type { DstateOp } from '../dstate/ops.js';

export type EventType = 'variable' | 'status' | 'notify' | 'driver' | 'device' | 'command';

/** upsmon's NOTIFY types raised by a status token appearing (upsmon.c: ups_on_line, ups_on_batt…). */
const TOKEN_NOTIFY: Array<[string, string]> = [
  ['OL', 'ONLINE'],
  ['OB', 'ONBATT'],
  ['LB', 'LOWBATT'],
  ['RB', 'REPLBATT'],
  ['FSD', 'FSD'],
  ['CAL', 'CAL'],
  ['OFF', 'OFF'],
  ['BYPASS', 'BYPASS'],
];

const tokens = (s: string | null | undefined) => new Set((s ?? '').split(/\s+/).filter(Boolean));

export interface HubEvent {
  id: number;
  type: EventType;
  device: string;
  /** ms timestamp. */
  time: number;
  data: Record<string, unknown>;
}

export type EventListener = (event: HubEvent) => void;

interface Watched {
  device: Device;
  unsubscribe: () => void;
  connected: boolean;
  stale: boolean;
  status: string | undefined;
}

export class EventHub {
  private readonly ring: HubEvent[] = [];
  private start = 0;
  private nextId = 1;
  private readonly listeners = new Set<EventListener>();
  private readonly watched = new Map<Device, Watched>();
  private readonly unsubDirectory: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly capacity = 4096,
    livenessMs = 500,
  ) {
    this.sync();
    this.unsubDirectory = directory.onChange(() => this.sync());
    // `connected` has no event of its own (a worker exits, a socket closes): look at it often
    this.timer = setInterval(() => this.checkLiveness(), livenessMs);
    this.timer.unref();
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /**
   * Events after `id`; undefined when some of them have left the ring already, or when `id` is
   * ahead of this hub (it comes from an earlier run of the service: a restart numbers anew).
   */
  since(id: number): HubEvent[] | undefined {
    if (id > this.lastId) return undefined;
    if (id === this.lastId) return [];
    const oldest = this.ring.length ? this.ring[this.start].id : this.nextId;
    if (id + 1 < oldest) return undefined;
    const out: HubEvent[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const e = this.ring[(this.start + i) % this.ring.length];
      if (e.id > id) out.push(e);
    }
    return out;
  }

  emit(type: EventType, device: string, data: Record<string, unknown>): HubEvent {
    const event: HubEvent = { id: this.nextId++, type, device, time: Date.now(), data };
    if (this.ring.length < this.capacity) this.ring.push(event);
    else {
      this.ring[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    }
    for (const l of this.listeners) l(event);
    return event;
  }

  private sync(): void {
    const now = new Set(this.directory.list());
    for (const [d, w] of this.watched) {
      if (now.has(d)) continue;
      w.unsubscribe();
      this.watched.delete(d);
      this.emit('device', d.name, { present: false });
    }
    for (const d of now) {
      if (this.watched.has(d)) continue;
      const w: Watched = {
        device: d,
        connected: d.connected,
        stale: d.tree.stale,
        status: d.tree.getValue('ups.status'),
        unsubscribe: () => {},
      };
      const unTree = d.tree.onChange((op) => this.onOp(w, op));
      const unResult = d.onCommandResult((tracking, status) => this.emit('command', d.name, { tracking, status }));
      w.unsubscribe = () => {
        unTree();
        unResult();
      };
      this.watched.set(d, w);
      this.emit('device', d.name, { present: true });
    }
  }

  private onOp(w: Watched, op: DstateOp): void {
    const name = w.device.name;
    switch (op.op) {
      case 'SETINFO':
        this.emit('variable', name, { name: op.name, value: op.value });
        if (op.name.toLowerCase() === 'ups.status' && op.value !== w.status) {
          this.emit('status', name, { from: w.status ?? null, to: op.value });
          this.notify(name, w.status, op.value);
          w.status = op.value;
        }
        break;
      case 'DELINFO':
        this.emit('variable', name, { name: op.name, value: null });
        if (op.name.toLowerCase() === 'ups.status' && w.status !== undefined) {
          this.emit('status', name, { from: w.status, to: null });
          w.status = undefined;
        }
        break;
      case 'DATAOK':
      case 'DATASTALE':
        this.checkOne(w);
        break;
      default:
        break;
    }
  }

  /** upsmon-style notifications for the tokens that appeared (and OL → ONLINE after OB). */
  private notify(device: string, from: string | undefined, to: string): void {
    const before = tokens(from);
    const after = tokens(to);
    for (const [token, type] of TOKEN_NOTIFY) if (after.has(token) && !before.has(token)) this.emit('notify', device, { type, status: to });
  }

  private checkOne(w: Watched): void {
    const connected = w.device.connected;
    const stale = w.device.tree.stale;
    if (connected === w.connected && stale === w.stale) return;
    const wasUp = w.connected && !w.stale;
    w.connected = connected;
    w.stale = stale;
    this.emit('driver', w.device.name, { connected, stale });
    const up = connected && !stale;
    if (up !== wasUp) this.emit('notify', w.device.name, { type: up ? 'COMMOK' : 'COMMBAD' });
  }

  private checkLiveness(): void {
    for (const w of this.watched.values()) this.checkOne(w);
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubDirectory();
    for (const w of this.watched.values()) w.unsubscribe();
    this.watched.clear();
    this.listeners.clear();
  }
}
