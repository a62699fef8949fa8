/**
 * A DeviceDirectory of NUT driver sockets, one per ups.conf section: what upsd serves when
 * it runs without the nut-ts host. Reload keeps NUT's order rules: sections added later are
 * listed first (in file order), removed ones disappear, a changed `driver` means a new socket, `desc` changes in
 * place.
 */
import type { Device, DeviceDirectory } from '../dstate/device.js';
import { DriverSocketDevice, driverSocketPath } from '../driver-socket/client.js';
import type { UpsSection } from './config.js';

export interface DriverDirectoryOptions {
  statePath: string;
  maxAge?: number;
  log?: (level: 'info' | 'warn' | 'debug', message: string) => void;
}

export class DriverSocketDirectory implements DeviceDirectory {
  private devices: DriverSocketDevice[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: DriverDirectoryOptions) {}

  list(): readonly Device[] {
    return this.devices;
  }

  get(name: string): Device | undefined {
    const l = name.toLowerCase();
    return this.devices.find((d) => d.name.toLowerCase() === l);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private make(s: UpsSection): DriverSocketDevice {
    const d = new DriverSocketDevice({
      name: s.name,
      driver: s.driver ?? '',
      desc: s.desc,
      statePath: this.options.statePath,
      maxAge: this.options.maxAge,
      log: this.options.log,
    });
    d.start();
    return d;
  }

  /** Replaces the set of sections (startup and reload). */
  update(sections: readonly UpsSection[]): void {
    const old = new Map(this.devices.map((d) => [d.name.toLowerCase(), d]));
    const kept: DriverSocketDevice[] = [];
    const added: DriverSocketDevice[] = [];
    const wanted = new Set<string>();
    for (const s of sections) {
      const key = s.name.toLowerCase();
      wanted.add(key);
      const existing = old.get(key);
      if (existing && existing.socketPath === driverSocketPath(this.options.statePath, s.driver ?? '', s.name)) {
        existing.desc = s.desc;
        kept.push(existing);
      } else {
        existing?.stop();
        const d = this.make(s);
        if (existing) kept.push(d);
        else added.push(d);
      }
    }
    for (const [key, d] of old) if (!wanted.has(key)) d.stop();
    // kept devices stay in their old relative order; new ones go in front, in file order
    // (what NUT 2.8.0's upsd shows after a reload)
    const order = new Map(this.devices.map((d, i) => [d.name.toLowerCase(), i]));
    kept.sort((a, b) => (order.get(a.name.toLowerCase()) ?? 0) - (order.get(b.name.toLowerCase()) ?? 0));
    const first = this.devices.length === 0;
    this.devices = first ? added : [...added, ...kept];
    for (const l of this.listeners) l();
  }

  /** STATEPATH from upsd.conf: where sockets of sections added from now on are looked for. */
  setStatePath(statePath: string): void {
    this.options.statePath = statePath;
  }

  setMaxAge(maxAge: number): void {
    this.options.maxAge = maxAge;
    for (const d of this.devices) d.maxAge = maxAge;
  }

  stop(): void {
    for (const d of this.devices) d.stop();
    this.devices = [];
    for (const l of this.listeners) l();
  }
}
