/**
 * An instance whose driver is a plugin running in a driver worker (worker-pool.ts: a worker of
 * its own, or one shared with other instances of the same plugin). The worker gets an empty
 * environment and resource limits; every call into plugin code is watched, and a run that
 * throws, exits, runs out of memory or blocks its worker is ended and restarted by
 * SupervisedInstance. A call that is merely slow (the worker still beats) makes the data stale
 * until it returns. Data from a fresh run is staged until the run is ready, then replaces the
 * previous run's data in one go, so clients never see a half-initialised tree.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { StateTree } from '../dstate/tree.js';
import { PollDurations } from '../http/histogram.js';
import { STARTUP_TIMER_ELAPSED, SupervisedInstance, type InstanceLogger, type RunCallbacks, type RunHandle, type StartOptions, type StartResult } from './instance.js';
import { WorkerPool, type SlotCallbacks } from './worker-pool.js';
import type { InstanceEvent, InstanceSpec } from './worker-protocol.js';

export const DEFAULT_RESOURCE_LIMITS: ResourceLimits = {
  maxOldGenerationSizeMb: 96,
  maxYoungGenerationSizeMb: 16,
  stackSizeMb: 4,
};

/** core/dist/driver/worker-main.js, from either core/src/host or core/dist/host. */
export function defaultWorkerPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'driver', 'worker-main.js');
}

export interface WorkerInstanceOptions {
  spec: InstanceSpec;
  provider: string;
  desc?: string;
  logger: InstanceLogger;
  /** Where the run is placed; default: a pool of its own (one worker per instance). */
  pool?: WorkerPool;
  workerPath?: string;
  resourceLimits?: ResourceLimits;
  /** Budget for initups/initinfo (default: spec.watchdogMs). */
  initWatchdogMs?: number;
  /** How long an init may run with its worker alive (SlotBudget.initAliveMs; default initWatchdogMs). */
  initAliveMs?: number;
}

export class WorkerInstance extends SupervisedInstance {
  override readonly polls = new PollDurations();
  readonly tree = new StateTree();
  spec: InstanceSpec;
  private readonly providerText: string;
  private readonly pool: WorkerPool;
  private readonly initWatchdogMs: number | undefined;
  private readonly initAliveMs: number | undefined;
  private isConnected = false;
  private heard = 0;
  /** The last DATAOK/DATASTALE the plugin gave (the tree is also made stale by a slow call). */
  private pluginStale = true;
  private slowCall = false;
  private readonly runMessageListeners = new Set<(m: InstanceEvent) => void>();

  constructor(options: WorkerInstanceOptions) {
    super(options.spec.upsname, options.spec.driver, options.desc, options.logger);
    this.spec = options.spec;
    this.providerText = options.provider;
    this.pool =
      options.pool ??
      new WorkerPool({
        workerPath: options.workerPath ?? defaultWorkerPath(),
        resourceLimits: options.resourceLimits ?? DEFAULT_RESOURCE_LIMITS,
        instancesPerWorker: () => 1,
      });
    this.initWatchdogMs = options.initWatchdogMs;
    this.initAliveMs = options.initAliveMs;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get lastHeard(): number {
    return this.heard;
  }

  get provider(): string {
    return this.providerText;
  }

  protected markDown(): void {
    this.isConnected = false;
    this.slowCall = false;
    this.tree.setStale(true);
  }

  private spawn(spec: InstanceSpec, cb: RunCallbacks & { message?(m: InstanceEvent): void }): RunHandle {
    const callbacks: SlotCallbacks = {
      event: (m) => {
        this.heard = Date.now();
        if (m.t === 'log') cb.log(m.level, m.message);
        cb.message?.(m);
      },
      ended: (error, status, collateral) => cb.ended(error, status, collateral),
      log: (level, message) => cb.log(level, message),
      slow: (call, elapsed) => {
        if (spec.mode === 'shutdown') return;
        this.slowCall = true;
        cb.log('warn', `${call} has not returned after ${elapsed} ms (the device is slow or silent; the driver is alive): data stale until it does`);
        this.tree.setStale(true);
      },
      slowEnded: () => {
        if (!this.slowCall) return;
        this.slowCall = false;
        cb.log('info', 'the slow call returned');
        if (this.isConnected) this.tree.setStale(this.pluginStale);
      },
    };
    const initBudget = this.initWatchdogMs ?? spec.watchdogMs;
    const slot = this.pool.attach(spec, { initMs: initBudget, initAliveMs: this.initAliveMs, callMs: spec.watchdogMs }, callbacks);
    return {
      runId: slot.runId,
      get where() {
        return slot.where;
      },
      stop: (graceMs) => slot.stop(graceMs),
      kill: (reason) => slot.kill(reason),
      shutdown: () => slot.post({ t: 'shutdown' }),
      instcmd: (command, param, tracking) => slot.post({ t: 'instcmd', command, param, tracking }),
      setvar: (name, value, tracking) => slot.post({ t: 'set', name, value, tracking }),
    };
  }

  protected launch(cb: RunCallbacks): RunHandle {
    let staging: StateTree | undefined = new StateTree();
    return this.spawn({ ...this.spec, mode: 'run' }, {
      ...cb,
      message: (m) => {
        if (m.t === 'ops') {
          const target = staging ?? this.tree;
          for (const op of m.ops) {
            if (op.op === 'DATAOK') this.pluginStale = false;
            else if (op.op === 'DATASTALE') this.pluginStale = true;
            // while a call overstays, the data stays stale whatever the plugin said before
            if (this.slowCall && target === this.tree && op.op === 'DATAOK') continue;
            target.apply(op);
          }
        } else if (m.t === 'ready' && staging) {
          const fresh = staging;
          staging = undefined;
          this.tree.clear();
          for (const op of fresh.dump()) this.tree.apply(op);
          // clear() leaves the tree stale without telling listeners; say where it stands.
          this.tree.setStale(fresh.stale);
          this.isConnected = true;
          cb.ready();
        } else if (m.t === 'tracking') {
          for (const l of this.resultListeners) l(m.tracking, m.status);
        } else if (m.t === 'leave' && m.call === 'updateinfo' && m.ms !== undefined) {
          this.polls.observe(m.ms / 1000);
        }
        for (const l of this.runMessageListeners) l(m);
      },
    });
  }

  /** The running worker calls the plugin's shutdown (it already has the device open). */
  protected shutdownRunning(): Promise<StartResult> {
    return new Promise((resolve) => {
      const messages: string[] = [];
      let entered = false;
      const finish = (result: StartResult) => {
        clearTimeout(timer);
        off();
        offState();
        resolve(result);
      };
      const listener = (m: InstanceEvent) => {
        if (m.t === 'enter' && m.call === 'shutdown') entered = true;
        else if (m.t === 'leave' && m.call === 'shutdown') finish({ ok: true, messages });
        else if (m.t === 'log' && m.level !== 'debug') messages.push(m.message);
        else if (m.t === 'fatal') finish({ ok: false, messages: [...messages, m.message] });
      };
      this.runMessageListeners.add(listener);
      const off = () => this.runMessageListeners.delete(listener);
      const offState = this.onStateChange((state) => {
        if (state !== 'running') finish({ ok: entered, messages: [...messages, ...(this.lastError ? [this.lastError] : [])] });
      });
      const timer = setTimeout(() => finish({ ok: false, messages: [...messages, STARTUP_TIMER_ELAPSED] }), this.spec.watchdogMs + 1000);
      if (!this.run?.shutdown()) finish({ ok: false, messages: ['instance is not running'] });
    });
  }

  protected shutdownOnce(options: StartOptions): Promise<StartResult> {
    return new Promise((resolve) => {
      const messages: string[] = [];
      let settled = false;
      const finish = (r: StartResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      this.spawn(
        { ...this.spec, mode: 'shutdown', debugLevel: options.debugLevel ?? this.spec.debugLevel },
        {
          ready() {},
          log: (level, message) => {
            this.logger(level, `[${this.name}] shutdown: ${message}`);
            if (level !== 'debug') messages.push(message);
          },
          ended: (error, status) => {
            if (error) {
              if (!messages.includes(error)) messages.push(error);
              messages.push(`Driver failed to start (exit status=${status})`);
            }
            finish({ ok: error === undefined, messages });
          },
        },
      );
      // as upsdrvctl: a slow driver is left to finish (its watchdog still applies), not counted as failed
      const timer = setTimeout(
        () => finish({ ok: true, messages: [...messages, STARTUP_TIMER_ELAPSED] }),
        options.maxstartdelayMs ?? 45_000,
      );
    });
  }
}
