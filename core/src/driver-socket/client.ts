/**
 * A Device backed by a NUT driver socket `<statepath>/<driver>-<ups>`, attached the way upsd
 * attaches (server/sstate.c, reference/sock-protocol.md §6): connect, DUMPALL, `ups.status`
 * = WAIT until the dump overwrites it, DATAOK/DATASTALE honoured only after DUMPDONE, PING
 * after MAXAGE/3 of silence, all data dropped on disconnect, reconnect every 2 s.
 */
import { connect, type Socket } from 'node:net';
import { basename, join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { ParseconfMachine, Feed, encodeValue } from '../config/parseconf.js';
import type { CommandResultListener, Device } from '../dstate/device.js';
import { StateTree } from '../dstate/tree.js';
import { atoi, decodeOp } from './codec.js';

/** NUT reads driver sockets in 512-byte chunks; a parse error drops the rest of the chunk. */
const READ_CHUNK = 512;

export interface DriverSocketOptions {
  /** ups.conf section name. */
  name: string;
  /** ups.conf `driver`. */
  driver: string;
  desc?: string;
  statePath: string;
  /** Seconds of silence after which the data counts as stale (upsd.conf MAXAGE). */
  maxAge?: number;
  /** Milliseconds between reconnect attempts. */
  reconnectMs?: number;
  log?: (level: 'info' | 'warn' | 'debug', message: string) => void;
}

/** strerror() wording, as NUT's %m prints it ("No such file or directory"), not Node's "connect ENOENT <path>". */
export function systemErrorText(err: NodeJS.ErrnoException): string {
  const entry = typeof err.errno === 'number' ? getSystemErrorMap().get(err.errno) : undefined;
  if (!entry) return err.message;
  return entry[1].charAt(0).toUpperCase() + entry[1].slice(1);
}

/** Socket path NUT uses for a driver instance. */
export function driverSocketPath(statePath: string, driver: string, ups: string): string {
  return join(statePath, `${driver}-${ups}`);
}

/** The line upsd writes to a driver for an instant command (net-protocol.md §4.5). */
export function encodeInstcmd(command: string, param: string | undefined, trackingId: string | undefined): string {
  let line = `INSTCMD ${command}`;
  if (param !== undefined) line += ` ${encodeValue(param)}`;
  if (trackingId !== undefined) line += ` TRACKING ${trackingId}`;
  return line + '\n';
}

/** The line upsd writes to a driver for SET VAR (net-protocol.md §4.4). */
export function encodeSet(name: string, value: string, trackingId: string | undefined): string {
  let line = `SET ${name} "${encodeValue(value)}"`;
  if (trackingId !== undefined) line += ` TRACKING ${trackingId}`;
  return line + '\n';
}

export class DriverSocketDevice implements Device {
  readonly name: string;
  desc: string | undefined;
  readonly tree = new StateTree();
  readonly socketPath: string;
  connected = false;
  lastHeard = 0;
  maxAge: number;
  private socket: Socket | undefined;
  private machine = new ParseconfMachine();
  private dumpDone = false;
  private dataOk = false;
  private lastPing = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private connecting = false;
  private connectFailLogged = 0;
  private readonly resultListeners = new Set<CommandResultListener>();
  private readonly connectListeners = new Set<(connected: boolean) => void>();

  constructor(private readonly options: DriverSocketOptions) {
    this.name = options.name;
    this.desc = options.desc;
    this.maxAge = options.maxAge ?? 15;
    this.socketPath = driverSocketPath(options.statePath, options.driver, options.name);
  }

  /** Starts connecting (and keeps reconnecting until stop()). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tryConnect();
    this.timer = setInterval(() => this.tick(), Math.min(this.options.reconnectMs ?? 2000, 1000));
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.disconnect();
  }

  /** Resolves once connected and the initial dump is complete (for tools and tests). */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.connected && this.dumpDone) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`driver socket ${this.socketPath}: no dump after ${timeoutMs} ms`));
      }, timeoutMs);
      const poll = setInterval(() => {
        if (this.connected && this.dumpDone) {
          clearInterval(poll);
          clearTimeout(t);
          resolve();
        }
      }, 20);
    });
  }

  get dumpComplete(): boolean {
    return this.dumpDone;
  }

  onCommandResult(listener: CommandResultListener): () => void {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }

  instcmd(command: string, param: string | undefined, trackingId: string | undefined): boolean {
    return this.send(encodeInstcmd(command, param, trackingId));
  }

  setvar(name: string, value: string, trackingId: string | undefined): boolean {
    return this.send(encodeSet(name, value, trackingId));
  }

  private send(line: string): boolean {
    const s = this.socket;
    if (!s || !this.connected || s.destroyed || !s.writable) return false;
    s.write(line);
    return true;
  }

  private tick(): void {
    if (this.stopped) return;
    if (!this.connected) {
      this.tryConnect();
      return;
    }
    // upsd: prod a silent driver once per MAXAGE/3 (integer seconds, as NUT computes it)
    const third = Math.trunc(this.maxAge / 3) * 1000;
    const now = Date.now();
    if (now - this.lastHeard > third && now - this.lastPing > third) {
      this.lastPing = now;
      this.send('PING\n');
    }
  }

  private tryConnect(): void {
    if (this.connecting || this.connected || this.stopped) return;
    this.connecting = true;
    const s = connect(this.socketPath);
    s.setNoDelay?.(true);
    s.once('connect', () => {
      this.connecting = false;
      if (this.stopped) {
        s.destroy();
        return;
      }
      this.socket = s;
      this.machine = new ParseconfMachine();
      this.tree.clear();
      this.dumpDone = false;
      this.connected = true;
      this.lastHeard = Date.now();
      this.lastPing = 0;
      s.write('DUMPALL\n');
      this.tree.setStale(false);
      this.tree.setInfo('ups.status', 'WAIT');
      this.options.log?.('info', `Connected to UPS [${this.name}]: ${basename(this.socketPath)}`);
      for (const l of this.connectListeners) l(true);
    });
    s.on('data', (chunk: Buffer) => this.receive(chunk));
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (this.connecting) {
        this.connecting = false;
        const now = Date.now();
        if (now - this.connectFailLogged >= 60_000) {
          this.connectFailLogged = now;
          this.options.log?.('warn', `Can't connect to UPS [${this.name}] (${basename(this.socketPath)}): ${systemErrorText(err)}`);
        }
      }
    });
    s.on('close', () => {
      this.connecting = false;
      if (this.socket === s) this.disconnect();
    });
  }

  private disconnect(): void {
    const s = this.socket;
    this.socket = undefined;
    const was = this.connected;
    this.connected = false;
    this.dumpDone = false;
    this.tree.clear();
    s?.destroy();
    if (was) {
      this.options.log?.('warn', `Lost connection to UPS [${this.name}]`);
      for (const l of this.connectListeners) l(false);
    }
  }

  private receive(chunk: Buffer): void {
    for (let start = 0; start < chunk.length; start += READ_CHUNK) {
      const end = Math.min(start + READ_CHUNK, chunk.length);
      for (let i = start; i < end; i++) {
        const r = this.machine.feed(chunk[i]);
        if (r === Feed.Line) {
          if (this.handleLine(this.machine.words)) this.lastHeard = Date.now();
        } else if (r === Feed.Error) {
          this.options.log?.('warn', `Parse error on sock: ${this.machine.errorMessage}`);
          break;
        }
      }
    }
  }

  /** One line from the driver; true when upsd would count it as "heard". */
  private handleLine(words: readonly string[]): boolean {
    if (words.length < 1) return false;
    const verb = words[0].toUpperCase();
    switch (verb) {
      case 'PONG':
        return true;
      case 'DUMPDONE':
        this.dumpDone = true;
        this.tree.setStale(!this.dataOk);
        return true;
      case 'DATAOK':
      case 'DATASTALE':
        this.dataOk = verb === 'DATAOK';
        if (this.dumpDone) this.tree.setStale(!this.dataOk);
        return true;
      case 'TRACKING':
        if (words.length < 3) return false;
        for (const l of this.resultListeners) l(words[1], atoi(words[2]));
        return true;
    }
    const op = decodeOp(words);
    if (!op) return false;
    this.tree.apply(op);
    return true;
  }
}
