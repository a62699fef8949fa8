/**
 * One driver instance with NUT's driver-core semantics (drivers/main.c, 2.8.0;
 * reference/driver-core.md §4): the startup order of publication, the main loop
 * (deadline = now + pollinterval, updateinfo, then INSTCMD/SET between updates), -d dump
 * mode, -k shutdown. Every call into plugin code is announced (enter/leave) for the host's
 * watchdog, and the tree changes of each step leave as one batch.
 */
import { permissionDenial } from './denial.js';
import { encodeValue } from '../config/parseconf.js';
import { FLAG_IMMUTABLE, type DstateOp } from '../dstate/ops.js';
import { StateTree } from '../dstate/tree.js';
import type { InstanceSpec, PluginCall } from './worker-protocol.js';
import type { DriverContext, DriverLog, DriverPlugin, HandlerStatus } from '../plugin-api/index.js';
import { TransportError, type DeviceAccess } from '../plugin-api/transports.js';
import { DriverState } from './state.js';
import { DRIVER_CORE_VERSION } from './version.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RuntimeHooks {
  /** The tree changes of one step (startup stage, update, command), in order. */
  ops?(ops: DstateOp[]): void;
  enter?(call: PluginCall): void;
  /** ms: how long the call took (wall clock, monotonic). */
  leave?(call: PluginCall, ms: number): void;
  /** A tracked INSTCMD/SET was handled (HandlerStatus value). */
  tracking?(id: string, status: number): void;
  /** debugLevel: for 'debug', the level the plugin gave (NUT's upsdebugx level). */
  log?(level: LogLevel, message: string, debugLevel?: number): void;
  /** Opens devices for the plugin (the host's transport service); none: every open fails. */
  devices?: DeviceAccess;
  /** The plugins' clock (tests drive it); default Date.now. */
  now?(): number;
  /**
   * Timers of the main loop and ctx.sleep (a virtual clock in tests); default setTimeout.
   * Given together with now() so that both follow the same time.
   */
  timer?: RuntimeTimer;
}

export interface RuntimeTimer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimer: RuntimeTimer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

const noDevices: DeviceAccess = {
  openSerial: () => Promise.reject(new TransportError('EIO', 'no device transport in this runtime')),
  openUsb: () => Promise.reject(new TransportError('EIO', 'no device transport in this runtime')),
  openHid: () => Promise.reject(new TransportError('EIO', 'no device transport in this runtime')),
  listUsb: () => Promise.resolve([]),
};

/** The instance cannot go on (NUT's fatalx); `exitCode` as NUT's driver would exit. */
export class DriverFatal extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'DriverFatal';
  }
}

type Reply = (status: number) => void;

type Command =
  | { kind: 'instcmd'; command: string; param?: string; tracking?: string; reply?: Reply }
  | { kind: 'set'; name: string; value: string; tracking?: string; reply?: Reply }
  | { kind: 'shutdown'; done?: (error?: string) => void };

/** Text of a thrown value, for logs. */
export function errorText(e: unknown): string {
  const denied = permissionDenial(e);
  if (denied !== undefined) return `refused by the permission model (confined plugin): ${denied}`;
  return e instanceof Error ? e.message : String(e);
}

export class DriverRuntime {
  readonly tree = new StateTree();
  readonly state: DriverState;
  readonly ctx: DriverContext;
  private pending: DstateOp[] = [];
  private activeCalls = 0;
  private flushQueued = false;
  private readonly queue: Command[] = [];
  private wake: (() => void) | undefined;
  private stopping = false;
  private updateRequested = false;
  private readonly abort = new AbortController();
  private loopDone: Promise<void> | undefined;

  constructor(
    readonly spec: InstanceSpec,
    readonly plugin: DriverPlugin,
    private readonly hooks: RuntimeHooks = {},
  ) {
    this.tree.onChange((op) => {
      this.pending.push(op);
      // A change made outside a plugin call (a device event, a closed port) goes out at once.
      if (this.activeCalls === 0 && !this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => {
          this.flushQueued = false;
          if (this.activeCalls === 0) this.flush();
        });
      }
    });
    this.state = new DriverState(this.tree, (m) => this.log('warn', m));
    this.ctx = this.makeContext();
  }

  private log(level: LogLevel, message: string, debugLevel?: number): void {
    this.hooks.log?.(level, message, debugLevel);
  }

  private makeContext(): DriverContext {
    const spec = this.spec;
    const log: DriverLog = {
      info: (m) => this.log('info', m),
      warn: (m) => this.log('warn', m),
      error: (m) => this.log('error', m),
      debug: (level, m) => {
        if (spec.debugLevel >= level) this.log('debug', m, level);
      },
    };
    const options = new Map<string, string | true>();
    for (const [k, v] of Object.entries(spec.options)) options.set(k.toLowerCase(), v);
    const devices = this.hooks.devices ?? noDevices;
    const now = this.hooks.now ?? Date.now;
    const timer = this.hooks.timer ?? realTimer;
    const signal = this.abort.signal;
    return {
      upsname: spec.upsname,
      port: spec.port,
      confPath: spec.confPath,
      pollinterval: spec.pollinterval,
      debugLevel: spec.debugLevel,
      tables: spec.tables,
      getval: (name) => {
        const v = options.get(name.toLowerCase());
        return typeof v === 'string' ? v : undefined;
      },
      testvar: (name) => options.has(name.toLowerCase()),
      dstate: this.state,
      status: this.state.status,
      alarm: this.state.alarm,
      log,
      // ends early when the instance stops, so a plugin waiting between steps stops at once
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          if (signal.aborted) return resolve();
          const done = () => {
            timer.clear(h);
            signal.removeEventListener('abort', done);
            resolve();
          };
          const h = timer.set(done, Math.max(0, ms));
          signal.addEventListener('abort', done, { once: true });
        }),
      now: () => now(),
      signal,
      requestUpdate: () => {
        this.updateRequested = true;
        this.wake?.();
      },
      openSerial: (path, opts) => devices.openSerial(path ?? spec.port, opts),
      openUsb: (match) => devices.openUsb(match),
      openHid: (match) => devices.openHid(match),
      listUsb: () => devices.listUsb(),
    };
  }

  /** Sends the changes made since the last flush as one batch. */
  flush(): void {
    if (this.pending.length === 0) return;
    const ops = this.pending;
    this.pending = [];
    this.hooks.ops?.(ops);
  }

  private async call<T>(call: PluginCall, fn: () => T | Promise<T>): Promise<T> {
    this.hooks.enter?.(call);
    this.activeCalls++;
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.activeCalls--;
      this.hooks.leave?.(call, performance.now() - t0);
    }
  }

  /** ups.conf / -x values as NUT's storeval() publishes them; override.* and default.*. */
  private publishConfig(): void {
    const s = this.state;
    if (this.spec.port !== '') s.setinfo('driver.parameter.port', this.spec.port);
    const sensitive = new Set(this.spec.sensitive.map((n) => n.toLowerCase()));
    for (const [name, value] of Object.entries(this.spec.options)) {
      if (sensitive.has(name.toLowerCase())) continue;
      if (value === true) s.setinfo(`driver.flag.${name}`, 'enabled');
      else s.setinfo(`driver.parameter.${name}`, value);
    }
    for (const [name, value] of this.spec.overrides) {
      s.setinfo(name, value);
      this.tree.setFlags(name, FLAG_IMMUTABLE);
    }
    for (const [name, value] of this.spec.defaults) s.setinfo(name, value);
  }

  /**
   * Startup up to the point where NUT creates its socket: configuration, device.type,
   * initups, driver.version/internal/name, initinfo, the first updateinfo, the ignorelb check.
   */
  async init(): Promise<void> {
    const s = this.state;
    this.publishConfig();
    s.setinfo('device.type', 'ups');
    this.flush();
    await this.callFatal('initups', () => this.plugin.initups?.(this.ctx));
    s.setinfo('driver.version', DRIVER_CORE_VERSION);
    s.setinfo('driver.version.internal', this.spec.pluginVersion);
    s.setinfo('driver.name', this.spec.driver);
    this.flush();
    await this.callFatal('initinfo', () => this.plugin.initinfo?.(this.ctx));
    this.flush();
    await this.update();
    if (this.tree.has('driver.flag.ignorelb')) this.checkIgnorelb();
  }

  private checkIgnorelb(): void {
    const has = (n: string) => this.tree.has(n);
    if (has('battery.charge') && has('battery.charge.low')) {
      this.log('info', "using 'battery.charge' to set battery low state");
    } else if (has('battery.runtime') && has('battery.runtime.low')) {
      this.log('info', "using 'battery.runtime' to set battery low state");
    } else {
      throw new DriverFatal(
        "The 'ignorelb' flag is set, but there is no way to determine the\n" +
          'battery state of charge.\n\n' +
          "Only set this flag if both 'battery.charge' and 'battery.charge.low'\n" +
          "and/or 'battery.runtime' and 'battery.runtime.low' are available.",
      );
    }
  }

  /** After the socket exists: pollinterval, synchronous, device.mfr/model/serial. */
  publishRuntimeInfo(): void {
    const s = this.state;
    s.setinfo('driver.parameter.pollinterval', String(this.spec.pollinterval));
    s.setinfo('driver.parameter.synchronous', this.spec.synchronous);
    for (const what of ['mfr', 'model', 'serial']) {
      const v = this.tree.getValue(`ups.${what}`);
      // NUT copies the stored, escaped form (visible double escaping in device.*).
      if (v !== undefined) s.setinfo(`device.${what}`, encodeValue(v));
    }
    this.flush();
  }

  private async callFatal(call: PluginCall, fn: () => unknown): Promise<void> {
    try {
      await this.call(call, fn);
    } catch (e) {
      this.flush();
      throw e instanceof DriverFatal ? e : new DriverFatal(errorText(e));
    }
  }

  /** One updateinfo; its changes leave as one batch. A throw is fatal for the instance. */
  async update(): Promise<void> {
    await this.callFatal('updateinfo', () => this.plugin.updateinfo(this.ctx));
    this.flush();
  }

  /** -d N: N+1 updates back to back (NUT's loop runs once more than the count). */
  async dumpUpdates(count: number): Promise<void> {
    for (let i = 0; i <= count; i++) await this.update();
  }

  /** `driver -k` / spec.mode 'shutdown': configuration, device.type, initups, shutdown, cleanup. */
  async forceShutdown(): Promise<void> {
    this.publishConfig();
    this.state.setinfo('device.type', 'ups');
    this.flush();
    await this.callFatal('initups', () => this.plugin.initups?.(this.ctx));
    try {
      this.log('info', 'Initiating UPS shutdown');
      await this.callFatal('shutdown', () => this.plugin.shutdown?.(this.ctx));
      this.flush();
    } finally {
      // NUT's driver registers upsdrv_cleanup at exit once initups has run (apcsmart leaves
      // smart mode there: the final R of its -k sequence)
      await this.cleanup();
    }
  }

  instcmd(command: string, param?: string, tracking?: string, reply?: Reply): void {
    this.enqueue({ kind: 'instcmd', command, param, tracking, reply });
  }

  setvar(name: string, value: string, tracking?: string, reply?: Reply): void {
    this.enqueue({ kind: 'set', name, value, tracking, reply });
  }

  /** Runs the plugin's shutdown between updates (upsdrvctl shutdown on a running instance). */
  requestShutdown(done?: (error?: string) => void): void {
    this.enqueue({ kind: 'shutdown', done });
  }

  private enqueue(c: Command): void {
    this.queue.push(c);
    this.wake?.();
  }

  private async runCommand(c: Command): Promise<void> {
    if (c.kind === 'shutdown') {
      try {
        this.log('info', 'Initiating UPS shutdown');
        await this.call('shutdown', () => this.plugin.shutdown?.(this.ctx));
        c.done?.();
      } catch (e) {
        this.log('error', `shutdown: ${errorText(e)}`);
        c.done?.(errorText(e));
      }
      this.flush();
      return;
    }
    const handler = c.kind === 'instcmd' ? this.plugin.instcmd : this.plugin.setvar;
    if (!handler) {
      this.log('info', `Got ${c.kind === 'instcmd' ? 'INSTCMD' : 'SET'}, but driver lacks a handler`);
      return;
    }
    let status: number;
    try {
      const result: HandlerStatus | undefined =
        c.kind === 'instcmd'
          ? await this.call('instcmd', () => this.plugin.instcmd!(this.ctx, c.command, c.param))
          : await this.call('setvar', () => this.plugin.setvar!(this.ctx, c.name, c.value));
      if (result === undefined) {
        // A plugin that answers nothing has no handler for this (NUT: no TRACKING reply).
        this.log('info', `Got ${c.kind === 'instcmd' ? 'INSTCMD' : 'SET'}, but driver lacks a handler`);
        this.flush();
        return;
      }
      status = typeof result === 'number' && result >= 0 && result <= 3 ? result : 3;
    } catch (e) {
      this.log('error', `${c.kind === 'instcmd' ? `instcmd ${c.command}` : `setvar ${c.name}`}: ${errorText(e)}`);
      status = 3;
    }
    this.flush();
    if (c.tracking !== undefined) this.hooks.tracking?.(c.tracking, status);
    c.reply?.(status);
  }

  /** Main loop until stop(): update, then commands until the deadline. Resolves after cleanup. */
  runLoop(): Promise<void> {
    this.loopDone ??= this.loop();
    return this.loopDone;
  }

  private async loop(): Promise<void> {
    try {
      await this.cycle();
    } catch (e) {
      // A fatal update still closes the device, as NUT's atexit(upsdrv_cleanup) does.
      await this.cleanup();
      throw e;
    }
    await this.cleanup();
  }

  private async cycle(): Promise<void> {
    const intervalMs = Math.max(1, this.spec.pollinterval) * 1000;
    const now = this.hooks.now ?? Date.now;
    const timer = this.hooks.timer ?? realTimer;
    while (!this.stopping) {
      const deadline = now() + intervalMs;
      this.updateRequested = false;
      await this.update();
      while (!this.stopping) {
        const c = this.queue.shift();
        if (c) {
          await this.runCommand(c);
          continue;
        }
        if (this.updateRequested) {
          // An event between polls: publish now; the poll schedule stays as it was.
          this.updateRequested = false;
          await this.update();
          continue;
        }
        const left = deadline - now();
        if (left <= 0) break;
        await new Promise<void>((resolve) => {
          const done = () => {
            timer.clear(t);
            this.wake = undefined;
            resolve();
          };
          const t = timer.set(done, left);
          this.wake = done;
        });
      }
    }
  }

  async cleanup(): Promise<void> {
    try {
      await this.call('cleanup', () => this.plugin.cleanup?.(this.ctx));
    } catch (e) {
      this.log('error', `cleanup: ${errorText(e)}`);
    }
    this.flush();
  }

  /** Ends the loop after the current step; runLoop() resolves once cleanup ran. */
  stop(): void {
    this.stopping = true;
    this.abort.abort();
    this.wake?.();
  }
}
