/**
 * An instance whose driver is a plugin running in a worker thread. The worker gets an empty
 * environment and resource limits; every call into plugin code is watched (enter/leave), and
 * a worker that throws, exits, runs out of memory or overstays a call is ended and restarted
 * by SupervisedInstance. Data from a fresh run is staged until the run is ready, then replaces
 * the previous run's data in one go, so clients never see a half-initialised tree.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { StateTree } from '../dstate/tree.js';
import type { TransportService } from '../transport/service.js';
import { SupervisedInstance, type InstanceLogger, type RunCallbacks, type RunHandle, type StartOptions, type StartResult } from './instance.js';
import { Watchdog } from './watchdog.js';
import type { HostToWorker, InstanceSpec, PluginCall, WorkerToHost } from './worker-protocol.js';

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
  workerPath?: string;
  resourceLimits?: ResourceLimits;
  /** Budget for initups/initinfo (default: spec.watchdogMs). */
  initWatchdogMs?: number;
  /** The host's device broker; without it the plugin's device calls fail. */
  transports?: TransportService;
}

export class WorkerInstance extends SupervisedInstance {
  readonly tree = new StateTree();
  spec: InstanceSpec;
  private readonly providerText: string;
  private readonly workerPath: string;
  private readonly limits: ResourceLimits;
  private readonly initWatchdogMs: number | undefined;
  private readonly transports: TransportService | undefined;
  private runs = 0;
  private isConnected = false;
  private heard = 0;
  private readonly runMessageListeners = new Set<(m: WorkerToHost) => void>();

  constructor(options: WorkerInstanceOptions) {
    super(options.spec.upsname, options.spec.driver, options.desc, options.logger);
    this.spec = options.spec;
    this.providerText = options.provider;
    this.workerPath = options.workerPath ?? defaultWorkerPath();
    this.limits = options.resourceLimits ?? DEFAULT_RESOURCE_LIMITS;
    this.initWatchdogMs = options.initWatchdogMs;
    this.transports = options.transports;
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
    this.tree.setStale(true);
  }

  private spawn(spec: InstanceSpec, cb: RunCallbacks & { message?(m: WorkerToHost): void }): RunHandle {
    if (!existsSync(this.workerPath)) {
      const error = `driver runtime missing: ${this.workerPath} (run npm run build)`;
      setImmediate(() => cb.ended(error, 1));
      return { runId: undefined, stop() {}, kill() {}, shutdown: () => false, instcmd: () => false, setvar: () => false };
    }
    const worker = new Worker(this.workerPath, {
      env: {},
      resourceLimits: this.limits,
      stdout: true,
      stderr: true,
      name: `nut-ts ${spec.driver} ${spec.upsname}`,
    });
    let fatal: string | undefined;
    let thrown: string | undefined;
    let killedFor: string | undefined;
    let stopRequested = false;
    let stoppedCleanly = false;
    let stopTimer: NodeJS.Timeout | undefined;
    const initBudget = this.initWatchdogMs ?? spec.watchdogMs;
    const budget = (call: PluginCall) => (call === 'initups' || call === 'initinfo' ? initBudget : spec.watchdogMs);
    const watchdog = new Watchdog(budget, (call, ms, elapsed) => {
      kill(`watchdog: ${call} did not return within ${ms} ms (ran ${elapsed} ms); worker terminated`);
    });
    const kill = (reason: string) => {
      if (killedFor === undefined) killedFor = reason;
      void worker.terminate();
    };
    const post = (m: HostToWorker): boolean => {
      try {
        worker.postMessage(m);
        return true;
      } catch {
        return false;
      }
    };
    const pipe = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') => {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() !== '') cb.log(level, line);
        }
      });
    };
    pipe(worker.stdout, 'info');
    pipe(worker.stderr, 'warn');
    worker.on('message', (m: WorkerToHost) => {
      this.heard = Date.now();
      switch (m.t) {
        case 'enter':
          watchdog.enter(m.call);
          break;
        case 'leave':
          watchdog.leave();
          break;
        case 'fatal':
          fatal = m.message;
          cb.log('error', m.message);
          break;
        case 'stopped':
          stoppedCleanly = true;
          break;
        case 'log':
          cb.log(m.level, m.message);
          break;
        default:
          break;
      }
      cb.message?.(m);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      thrown =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `out of memory: worker exceeded its resource limits (${this.limits.maxOldGenerationSizeMb} MB heap)`
          : `plugin error: ${err.message}`;
    });
    const runKey = `${spec.upsname}#${++this.runs}`;
    const devices = this.transports?.attach(runKey, spec.upsname, { nolock: spec.options.nolock === true });
    worker.on('exit', (code) => {
      this.transports?.detach(runKey);
      watchdog.leave();
      if (stopTimer) clearTimeout(stopTimer);
      const clean = stopRequested || spec.mode === 'shutdown';
      if (clean && killedFor === undefined && (stoppedCleanly || code === 0) && fatal === undefined && thrown === undefined) {
        cb.ended(undefined, 0);
        return;
      }
      const error = killedFor ?? fatal ?? thrown ?? `worker exited with code ${code} without being asked to stop`;
      cb.ended(error, code === 0 ? 1 : code);
    });
    worker.postMessage({ t: 'start', spec, devices } satisfies HostToWorker, devices ? [devices] : []);
    return {
      runId: worker.threadId,
      stop: (graceMs) => {
        stopRequested = true;
        if (!post({ t: 'stop' })) {
          void worker.terminate();
          return;
        }
        stopTimer = setTimeout(() => void worker.terminate(), graceMs);
      },
      kill,
      shutdown: () => post({ t: 'shutdown' }),
      instcmd: (command, param, tracking) => post({ t: 'instcmd', command, param, tracking }),
      setvar: (name, value, tracking) => post({ t: 'set', name, value, tracking }),
    };
  }

  protected launch(cb: RunCallbacks): RunHandle {
    let staging: StateTree | undefined = new StateTree();
    return this.spawn({ ...this.spec, mode: 'run' }, {
      ...cb,
      message: (m) => {
        if (m.t === 'ops') {
          const target = staging ?? this.tree;
          for (const op of m.ops) target.apply(op);
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
          for (const l of this.resultListeners) l(m.id, m.status);
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
      const listener = (m: WorkerToHost) => {
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
      const timer = setTimeout(() => finish({ ok: false, messages: [...messages, 'Startup timer elapsed, continuing...'] }), this.spec.watchdogMs + 1000);
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
        () => finish({ ok: true, messages: [...messages, 'Startup timer elapsed, continuing...'] }),
        options.maxstartdelayMs ?? 45_000,
      );
    });
  }
}
