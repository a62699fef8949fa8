/**
 * Shared pieces of the apcsmart compatibility tests: the Smart-UPS simulator as a child
 * process (`nut simulate apcsmart`), a serial DeviceAccess that opens its pseudo-terminal in
 * this process with the serialport package (what the host's transport does), and our driver
 * running in a DriverRuntime, optionally served on NUT's driver socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import { DriverSocketServer, driverSocketPath } from '../../core/src/driver-socket/server.js';
import { DriverRuntime } from '../../core/src/driver/runtime.js';
import type { InstanceSpec } from '../../core/src/host/worker-protocol.js';
import {
  TransportError,
  type DeviceAccess,
  type SerialHandle,
  type SerialReadOptions,
} from '../../core/src/plugin-api/index.js';
import apcsmart from '../../plugins/apcsmart/src/index.js';
import { stopChild } from '../helpers/oracle.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const NUT_CLI = join(ROOT, 'core', 'dist', 'cli', 'nut.js');
export const DDL = join(ROOT, 'test', 'fixtures', 'ddl');

// ------------------------------------------------------------------ simulator

export interface Simulator {
  port: string;
  child: ChildProcess;
  /** Sends an event line to the simulator's stdin. */
  event(line: string): void;
  /** Bytes the simulator received so far (from its --log), in order. */
  received(): string;
  stop(): Promise<void>;
}

export async function startSimulator(dump: string, dir: string, name: string, extra: string[] = []): Promise<Simulator> {
  const log = join(dir, `${name}.log`);
  const port = join(dir, `${name}.tty`);
  const child = spawn(process.execPath, [NUT_CLI, 'simulate', 'apcsmart', '--from', dump, '--port', port, '--log', log, ...extra], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolvePath, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolvePath(l));
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${stderr}`)));
  });
  if (first !== port) throw new Error(`simulator printed ${first}, expected ${port}`);
  return {
    port,
    child,
    event: (line) => child.stdin!.write(`${line}\n`),
    received: () => {
      const text = readFileSync(log, 'utf8');
      return text
        .split('\n')
        .filter((l) => / RX /.test(l))
        .map((l) => l.slice(l.indexOf(' RX ') + 4))
        .join('');
    },
    stop: () => stopChild(child),
  };
}

// ------------------------------------------------------------------ serial access

/** A SerialHandle on a real (pseudo-)terminal through serialport, with the plugin API's semantics. */
class PortHandle implements SerialHandle {
  private buffer: number[] = [];
  private waiter: (() => void) | undefined;
  private readPending = false;
  private dataListeners = new Set<(d: Uint8Array) => void>();
  private closeListeners = new Set<(e?: TransportError) => void>();
  private closed = false;

  constructor(
    readonly path: string,
    private readonly port: SerialPort,
  ) {
    port.on('data', (d: Buffer) => {
      this.buffer.push(...d);
      if (this.readPending) this.waiter?.();
      else for (const l of this.dataListeners) l(new Uint8Array(d));
    });
    port.on('close', () => this.gone(new TransportError('ELOST', `${path}: device went away`)));
    port.on('error', () => this.gone(new TransportError('ELOST', `${path}: device went away`)));
  }

  private gone(e?: TransportError): void {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.();
    for (const l of this.closeListeners) l(e);
  }

  private check(): void {
    if (this.closed) throw new TransportError('ELOST', `${this.path}: device went away`);
  }

  async write(data: Uint8Array | string): Promise<void> {
    this.check();
    await new Promise<void>((res, rej) =>
      this.port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data), (e) =>
        e ? rej(new TransportError('EIO', e.message)) : this.port.drain(() => res()),
      ),
    );
  }

  async read(o: SerialReadOptions = {}): Promise<Uint8Array> {
    this.check();
    const until = o.until === undefined ? [] : typeof o.until === 'number' ? [o.until] : [...o.until];
    const deadline = Date.now() + (o.timeoutMs ?? 3000);
    const idleMs = o.idleMs ?? 50;
    let lastLength = -1;
    let lastChange = Date.now();
    this.readPending = true;
    try {
      for (;;) {
        this.check();
        const at = until.length ? this.buffer.findIndex((b) => until.includes(b)) : -1;
        if (at >= 0) return new Uint8Array(this.buffer.splice(0, at + 1));
        if (o.maxBytes !== undefined && this.buffer.length >= o.maxBytes) return new Uint8Array(this.buffer.splice(0, o.maxBytes));
        if (this.buffer.length !== lastLength) {
          lastLength = this.buffer.length;
          lastChange = Date.now();
        }
        const now = Date.now();
        if (!until.length && o.maxBytes === undefined && this.buffer.length > 0 && now - lastChange >= idleMs) {
          return new Uint8Array(this.buffer.splice(0));
        }
        if (now >= deadline) {
          if (this.buffer.length && !until.length) return new Uint8Array(this.buffer.splice(0));
          throw new TransportError('ETIMEDOUT', `${this.path}: read timed out`);
        }
        const wait = Math.max(1, Math.min(deadline - now, this.buffer.length ? idleMs : deadline - now));
        await new Promise<void>((r) => {
          const t = setTimeout(done, wait);
          function done() {
            clearTimeout(t);
            r();
          }
          this.waiter = done;
        });
        this.waiter = undefined;
      }
    } finally {
      this.readPending = false;
    }
  }

  async flushInput(): Promise<void> {
    this.buffer = [];
  }

  async setSignals(s: { dtr?: boolean; rts?: boolean; brk?: boolean }): Promise<void> {
    await new Promise<void>((res) => this.port.set(s, () => res()));
  }

  async getSignals() {
    return { cts: false, dsr: false, dcd: false, ri: false };
  }

  onData(l: (d: Uint8Array) => void): () => void {
    this.dataListeners.add(l);
    return () => this.dataListeners.delete(l);
  }

  onClose(l: (e?: TransportError) => void): () => void {
    this.closeListeners.add(l);
    return () => this.closeListeners.delete(l);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((res) => this.port.close(() => res()));
  }
}

/** DeviceAccess whose openSerial opens the named terminal in this process. */
export function ptyDevices(): DeviceAccess & { handles: PortHandle[] } {
  const handles: PortHandle[] = [];
  const fail = () => Promise.reject(new TransportError('EIO', 'serial only'));
  return {
    handles,
    async openSerial(path, options) {
      const port = new SerialPort({ path: path!, baudRate: options?.baudRate ?? 9600, autoOpen: false });
      await new Promise<void>((res, rej) =>
        port.open((e) => (e ? rej(new TransportError(/ENOENT|No such file/.test(e.message) ? 'ENOENT' : 'EIO', e.message)) : res())),
      );
      if (options?.dtr !== undefined || options?.rts !== undefined) {
        await new Promise<void>((res) => port.set({ dtr: options.dtr, rts: options.rts }, () => res()));
      }
      const h = new PortHandle(path!, port);
      handles.push(h);
      return h;
    },
    openUsb: fail,
    openHid: fail,
    listUsb: async () => [],
  };
}

// ------------------------------------------------------------------ our driver

export interface OurDriver {
  runtime: DriverRuntime;
  logs: string[];
  server?: DriverSocketServer;
  stop(): Promise<void>;
}

export function ourSpec(upsname: string, port: string, options: Record<string, string> = {}, pollinterval = 2): InstanceSpec {
  return {
    upsname,
    driver: 'apcsmart',
    entryPath: join(ROOT, 'plugins', 'apcsmart', 'src', 'index.ts'),
    pluginVersion: '3.2',
    pluginName: 'APC Smart protocol driver',
    port,
    confPath: ROOT,
    pollinterval,
    synchronous: 'auto',
    debugLevel: 1,
    options,
    sensitive: [],
    overrides: [],
    defaults: [],
    watchdogMs: 60_000,
  };
}

/** Starts our driver (init + main loop); with statePath, serves it on NUT's driver socket there. */
export async function startOurDriver(spec: InstanceSpec, statePath?: string): Promise<OurDriver> {
  const logs: string[] = [];
  const runtime = new DriverRuntime(spec, apcsmart(), {
    devices: ptyDevices(),
    log: (level, m) => logs.push(`${level}: ${m}`),
  });
  await runtime.init();
  let server: DriverSocketServer | undefined;
  if (statePath) {
    server = await DriverSocketServer.listen({
      path: driverSocketPath(statePath, 'apcsmart', spec.upsname),
      tree: runtime.tree,
      commands: {
        instcmd: (c, p, reply) => runtime.instcmd(c, p, undefined, reply),
        setvar: (n, v, reply) => runtime.setvar(n, v, undefined, reply),
      },
    });
  }
  runtime.publishRuntimeInfo();
  const loop = runtime.runLoop();
  return {
    runtime,
    logs,
    server,
    async stop() {
      runtime.stop();
      await loop.catch(() => undefined);
      await server?.close();
    },
  };
}
