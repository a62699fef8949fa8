/**
 * Publishes every device to an MQTT broker: a retained JSON state (`<base>/<ups>/state`, keys
 * are NUT's names) on every change, availability per device and for the bridge (the bridge's
 * is the MQTT last will), Home Assistant discovery, and instant commands taken from
 * `<base>/<ups>/command` under the ACL of the settings. While the broker is away, messages
 * wait in a bounded buffer (oldest dropped first) and go out on reconnect.
 */
import { connect, type MqttClient } from 'mqtt';
import type { Device, DeviceDirectory } from '../dstate/device.js';
import type { MqttSettings } from '../config/host-settings.js';
import { TrackingTable } from '../upsd/tracking.js';
import { discoveryFor, type Topics } from './discovery.js';

export type MqttLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface MqttBridgeOptions {
  directory: DeviceDirectory;
  settings: MqttSettings;
  log?: MqttLogger;
  version?: string;
}

interface Outgoing {
  topic: string;
  payload: string;
  retain: boolean;
}

export class MqttBridge {
  private client: MqttClient | undefined;
  private readonly buffer: Outgoing[] = [];
  private readonly watched = new Map<Device, () => void>();
  private readonly dirty = new Set<Device>();
  private readonly rediscover = new Set<Device>();
  private flushScheduled = false;
  private unsubDirectory: (() => void) | undefined;
  private readonly tracking = new TrackingTable();
  private readonly log: MqttLogger;
  private closed = false;
  dropped = 0;

  constructor(private readonly options: MqttBridgeOptions) {
    this.log = options.log ?? (() => {});
  }

  /** Messages waiting for the broker. */
  get buffered(): number {
    return this.buffer.length;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  private get s(): MqttSettings {
    return this.options.settings;
  }

  topics(d: Device): Topics {
    const base = `${this.s.baseTopic}/${d.name}`;
    return { state: `${base}/state`, availability: `${base}/availability`, bridgeAvailability: `${this.s.baseTopic}/bridge/availability`, command: `${base}/command` };
  }

  start(): void {
    const scheme = /^([a-z]+):\/\//i.exec(this.s.url)?.[1]?.toLowerCase();
    if (!scheme || !['mqtt', 'mqtts', 'ws', 'wss', 'tcp', 'ssl'].includes(scheme)) {
      throw new Error(`mqtt.url must start with mqtt://, mqtts://, ws:// or wss:// (got "${this.s.url}")`);
    }
    const bridgeAvailability = `${this.s.baseTopic}/bridge/availability`;
    const client = connect(this.s.url, {
      username: this.s.username,
      password: this.s.password,
      clientId: `${this.s.nodeId}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      will: { topic: bridgeAvailability, payload: Buffer.from('offline'), qos: 1, retain: true },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      queueQoSZero: false,
    });
    this.client = client;
    client.on('connect', () => {
      this.log('info', `connected to ${this.s.url}`);
      client.subscribe([`${this.s.baseTopic}/+/command`, ...(this.s.discoveryPrefix ? [`${this.s.discoveryPrefix}/status`] : [])], { qos: 1 });
      this.send({ topic: bridgeAvailability, payload: 'online', retain: true });
      // what waited goes first (command results, the history of changes), then the current
      // state, so the retained messages end up current
      const waiting = this.buffer.splice(0);
      for (const m of waiting) this.send(m);
      for (const d of this.options.directory.list()) this.announce(d);
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload.toString('utf8')));
    client.on('error', (e) => this.log('warn', e.message));
    client.on('offline', () => this.log('warn', `broker ${this.s.url} unreachable; buffering`));
    this.sync();
    this.unsubDirectory = this.options.directory.onChange(() => this.sync());
  }

  private send(m: Outgoing): void {
    const c = this.client;
    if (c?.connected) {
      c.publish(m.topic, m.payload, { qos: 1, retain: m.retain });
      return;
    }
    this.buffer.push(m);
    if (this.buffer.length > this.s.bufferLimit) this.dropped += this.buffer.splice(0, this.buffer.length - this.s.bufferLimit).length;
  }

  private announce(d: Device): void {
    const topics = this.topics(d);
    if (this.s.discoveryPrefix) {
      for (const m of discoveryFor(d, this.s.discoveryPrefix, this.s.nodeId, topics, this.options.version ?? '0')) {
        this.send({ topic: m.topic, payload: JSON.stringify(m.payload), retain: true });
      }
    }
    this.publishState(d);
  }

  private publishState(d: Device): void {
    const t = this.topics(d);
    const state = Object.fromEntries(d.tree.list().map((n) => [n.name, n.value]));
    this.send({ topic: t.state, payload: JSON.stringify(state), retain: true });
    this.send({ topic: t.availability, payload: d.connected && !d.tree.stale ? 'online' : 'offline', retain: true });
  }

  private sync(): void {
    const now = new Set(this.options.directory.list());
    for (const [d, unsub] of this.watched) {
      if (now.has(d)) continue;
      unsub();
      this.watched.delete(d);
      this.send({ topic: this.topics(d).availability, payload: 'offline', retain: true });
    }
    for (const d of now) {
      if (this.watched.has(d)) continue;
      const unTree = d.tree.onChange((op) => {
        // new commands or device facts change the discovery entities
        if (op.op === 'ADDCMD' || op.op === 'DELCMD' || (op.op === 'SETINFO' && op.name.toLowerCase().startsWith('device.'))) this.rediscover.add(d);
        this.dirty.add(d);
        this.scheduleFlush();
      });
      const unResult = d.onCommandResult((id, status) => this.tracking.set(id, status));
      this.watched.set(d, () => {
        unTree();
        unResult();
      });
      if (this.client?.connected) this.announce(d);
    }
  }

  /** Changes arrive as one op each; a driver's update is many: publish once per turn. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const d of this.dirty) {
        if (this.rediscover.has(d)) this.announce(d);
        else this.publishState(d);
      }
      this.dirty.clear();
      this.rediscover.clear();
    });
  }

  private allowed(device: string, command: string): boolean {
    const acl = this.s.commands;
    const list = acl[device] ?? Object.entries(acl).find(([k]) => k.toLowerCase() === device.toLowerCase())?.[1] ?? acl['*'] ?? [];
    return list.some((c) => c.toLowerCase() === 'all' || c.toLowerCase() === command.toLowerCase());
  }

  private onMessage(topic: string, text: string): void {
    if (this.s.discoveryPrefix && topic === `${this.s.discoveryPrefix}/status`) {
      if (text === 'online') for (const d of this.options.directory.list()) this.announce(d);
      return;
    }
    const parts = topic.split('/');
    if (parts.length < 3 || parts[parts.length - 1] !== 'command') return;
    const name = parts.slice(this.s.baseTopic.split('/').length, -1).join('/');
    const d = this.options.directory.get(name);
    let command = text.trim();
    let param: string | undefined;
    if (command.startsWith('{')) {
      try {
        const j = JSON.parse(command) as { command?: unknown; param?: unknown };
        command = typeof j.command === 'string' ? j.command : '';
        param = typeof j.param === 'string' ? j.param : undefined;
      } catch {
        command = '';
      }
    }
    const reply = (result: Record<string, unknown>) =>
      this.send({ topic: `${this.s.baseTopic}/${d?.name ?? name}/command/result`, payload: JSON.stringify({ command, ...result }), retain: false });
    if (!d) return reply({ status: 'ERR UNKNOWN-UPS' });
    if (!command || !d.tree.hasCommand(command)) return reply({ status: 'ERR CMD-NOT-SUPPORTED' });
    if (!this.allowed(d.name, command)) {
      this.log('warn', `refused ${command} for ${d.name}: not in mqtt.commands`);
      return reply({ status: 'ERR ACCESS-DENIED' });
    }
    if (!d.connected || d.tree.stale) return reply({ status: 'ERR DRIVER-NOT-CONNECTED' });
    const id = this.tracking.create();
    if (!d.instcmd(command, param, id)) return reply({ status: 'ERR INSTCMD-FAILED' });
    const unsub = d.onCommandResult((tid) => {
      if (tid.toUpperCase() !== id) return;
      unsub();
      reply({ tracking: id, status: this.tracking.describe(id) });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubDirectory?.();
    for (const unsub of this.watched.values()) unsub();
    this.watched.clear();
    const c = this.client;
    if (!c) return;
    if (c.connected) {
      await c.publishAsync(`${this.s.baseTopic}/bridge/availability`, 'offline', { qos: 1, retain: true }).catch(() => {});
    }
    await c.endAsync(true).catch(() => {});
  }
}
