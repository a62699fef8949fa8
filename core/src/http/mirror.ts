/**
 * A DeviceDirectory carried across a MessagePort, so a service can run in its own thread and
 * never hold up the host's event loop. The host side (DirectoryFeed) sends each device's
 * whole tree once, then its changes as they happen (one message per event-loop turn), driver
 * up/down and command outcomes; the other side (MirrorDirectory) rebuilds the devices from
 * them, with the same change events, and sends INSTCMD/SET back to the host.
 */
import type { CommandResultListener, Device, DeviceDirectory } from '../dstate/device.js';
import { HandlerStatus, type DstateOp } from '../dstate/ops.js';
import { StateTree } from '../dstate/tree.js';

export interface DeviceImage {
  name: string;
  desc: string | undefined;
  connected: boolean;
  lastHeard: number;
  /** The whole tree (StateTree.dump()). */
  ops: DstateOp[];
}

export type FeedMessage =
  /** The device list changed: every device present now (trees of new ones included). */
  | { t: 'devices'; devices: DeviceImage[] }
  | { t: 'ops'; device: string; ops: DstateOp[] }
  /** Driver up or down: the whole tree again (a restarted driver's tree is rebuilt silently). */
  | { t: 'link'; image: DeviceImage }
  | { t: 'result'; device: string; tracking: string; status: number };

export type MirrorRequest =
  | { t: 'instcmd'; device: string; command: string; param?: string; tracking?: string }
  | { t: 'set'; device: string; name: string; value: string; tracking?: string };

/** How often the feed looks at `connected` (it has no event of its own). */
const LINK_CHECK_MS = 100;

function image(d: Device): DeviceImage {
  return { name: d.name, desc: d.desc, connected: d.connected, lastHeard: d.lastHeard, ops: d.tree.dump() };
}

export class DirectoryFeed {
  private readonly watched = new Map<Device, { unsubscribe: () => void; connected: boolean }>();
  private outbox: FeedMessage[] = [];
  private pendingOps: { device: string; ops: DstateOp[] } | undefined;
  private scheduled = false;
  private readonly unsubDirectory: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly post: (batch: FeedMessage[]) => void,
  ) {
    this.sync(true);
    this.unsubDirectory = directory.onChange(() => this.sync(false));
    this.timer = setInterval(() => this.checkLinks(), LINK_CHECK_MS);
    this.timer.unref();
  }

  /** An INSTCMD/SET from the other side; one that cannot be delivered fails its tracking id. */
  handle(r: MirrorRequest): void {
    const d = this.directory.get(r.device);
    const delivered = d ? (r.t === 'instcmd' ? d.instcmd(r.command, r.param, r.tracking) : d.setvar(r.name, r.value, r.tracking)) : false;
    if (!delivered && r.tracking) this.send({ t: 'result', device: r.device, tracking: r.tracking, status: HandlerStatus.Failed });
  }

  private send(m: FeedMessage): void {
    this.pendingOps = undefined;
    this.outbox.push(m);
    this.schedule();
  }

  private sendOp(device: string, op: DstateOp): void {
    // consecutive changes of one device travel as one message
    if (this.pendingOps?.device === device) {
      this.pendingOps.ops.push(op);
      return;
    }
    const m = { t: 'ops' as const, device, ops: [op] };
    this.send(m);
    this.pendingOps = m;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    this.pendingOps = undefined;
    if (!this.outbox.length) return;
    const batch = this.outbox;
    this.outbox = [];
    this.post(batch);
  }

  private sync(first: boolean): void {
    const now = new Set(this.directory.list());
    let changed = first;
    for (const [d, w] of this.watched) {
      if (now.has(d)) continue;
      w.unsubscribe();
      this.watched.delete(d);
      changed = true;
    }
    for (const d of now) {
      if (this.watched.has(d)) continue;
      const unTree = d.tree.onChange((op) => this.sendOp(d.name, op));
      const unResult = d.onCommandResult((tracking, status) => this.send({ t: 'result', device: d.name, tracking, status }));
      this.watched.set(d, {
        connected: d.connected,
        unsubscribe: () => {
          unTree();
          unResult();
        },
      });
      changed = true;
    }
    if (changed) this.send({ t: 'devices', devices: this.directory.list().map(image) });
  }

  private checkLinks(): void {
    for (const [d, w] of this.watched) {
      if (d.connected === w.connected) continue;
      w.connected = d.connected;
      this.send({ t: 'link', image: image(d) });
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubDirectory();
    for (const w of this.watched.values()) w.unsubscribe();
    this.watched.clear();
  }
}

class MirrorDevice implements Device {
  readonly tree = new StateTree();
  connected = false;
  lastHeard = 0;
  private readonly resultListeners = new Set<CommandResultListener>();

  constructor(
    readonly name: string,
    public desc: string | undefined,
    private readonly request: (r: MirrorRequest) => void,
  ) {}

  instcmd(command: string, param: string | undefined, trackingId: string | undefined): boolean {
    if (!this.connected) return false;
    this.request({ t: 'instcmd', device: this.name, command, param, tracking: trackingId });
    return true;
  }

  setvar(name: string, value: string, trackingId: string | undefined): boolean {
    if (!this.connected) return false;
    this.request({ t: 'set', device: this.name, name, value, tracking: trackingId });
    return true;
  }

  onCommandResult(listener: CommandResultListener): () => void {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  result(tracking: string, status: number): void {
    for (const l of this.resultListeners) l(tracking, status);
  }

  /**
   * Makes the tree equal to the image, reporting only what differs (as the host's own tree
   * did, or would have, for the same changes).
   */
  load(img: DeviceImage): void {
    this.desc = img.desc;
    this.lastHeard = img.lastHeard;
    // before the freshness change, so listeners see driver and data state together
    this.connected = img.connected;
    const target = new StateTree();
    for (const op of img.ops) target.apply(op);
    for (const node of this.tree.list()) {
      const want = target.get(node.name);
      if (!want) {
        this.tree.delInfo(node.name);
        continue;
      }
      for (const r of node.ranges) if (!want.ranges.some((w) => w.min === r.min && w.max === r.max)) this.tree.delRange(node.name, r.min, r.max);
      for (const e of node.enums) if (!want.enums.includes(e)) this.tree.apply({ op: 'DELENUM', name: node.name, value: e.replace(/\\(.)/g, '$1') });
    }
    for (const c of this.tree.commands()) if (!target.hasCommand(c)) this.tree.delCmd(c);
    // freshness last, after the values it speaks for
    for (const op of img.ops) if (op.op !== 'DATAOK' && op.op !== 'DATASTALE') this.tree.apply(op);
    for (const node of this.tree.list()) {
      const want = target.get(node.name);
      if (want && node.flags !== want.flags) this.tree.setFlags(node.name, want.flags);
      if (want && node.aux !== want.aux) this.tree.setAux(node.name, want.aux);
    }
    this.tree.setStale(target.stale);
  }
}

export class MirrorDirectory implements DeviceDirectory {
  private devices: MirrorDevice[] = [];
  private readonly byName = new Map<string, MirrorDevice>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly request: (r: MirrorRequest) => void) {}

  list(): readonly Device[] {
    return this.devices;
  }

  /** As the host finds an instance: the exact name, else the first that matches in any case. */
  get(name: string): Device | undefined {
    const exact = this.byName.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    return this.devices.find((d) => d.name.toLowerCase() === lower);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  apply(batch: readonly FeedMessage[]): void {
    for (const m of batch) {
      switch (m.t) {
        case 'devices':
          this.replace(m.devices);
          break;
        case 'ops': {
          const d = this.byName.get(m.device);
          if (!d) break;
          d.lastHeard = Date.now();
          for (const op of m.ops) d.tree.apply(op);
          break;
        }
        case 'link':
          this.byName.get(m.image.name)?.load(m.image);
          break;
        case 'result':
          this.byName.get(m.device)?.result(m.tracking, m.status);
          break;
      }
    }
  }

  private replace(images: DeviceImage[]): void {
    const next: MirrorDevice[] = [];
    for (const img of images) {
      const d = this.byName.get(img.name) ?? new MirrorDevice(img.name, img.desc, this.request);
      d.load(img);
      next.push(d);
    }
    const changed = next.length !== this.devices.length || next.some((d, i) => d !== this.devices[i]);
    this.devices = next;
    this.byName.clear();
    for (const d of next) this.byName.set(d.name, d);
    if (changed) for (const l of this.listeners) l();
  }
}
