/**
 * One ups.conf section under supervision: start attempts (maxretry/retrydelay), crash
 * restarts with backoff (restart-policy.ts), stop, shutdown, status. How a run is launched
 * (worker thread or NUT C driver process) is left to subclasses; both are Devices for upsd.
 */
import type { CommandResultListener, Device } from '../dstate/device.js';
import type { StateTree } from '../dstate/tree.js';
import type { PollDurations } from '../http/histogram.js';
import { crashDelayMs, DEFAULT_RESTART, MIN_DELAY_MS, type RestartPolicy } from './restart-policy.js';

export type InstanceState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopping';

export interface InstanceStatus {
  name: string;
  driver: string;
  /** "plugin <package>@<version>" or "nut <path of the C driver>". */
  provider: string;
  state: InstanceState;
  /** Worker thread id or process id of the current run. */
  runId?: number;
  /** Where the run is: "thread 3, 100 instances" (a shared driver worker), "process 1234". */
  worker?: string;
  /** ms timestamp of the current run's start. */
  startedAt?: number;
  uptimeSec?: number;
  restarts: number;
  lastError?: string;
  connected: boolean;
  stale: boolean;
}

export interface StartOptions {
  maxretry?: number;
  retrydelayMs?: number;
  /** How long start() waits for the first run to be ready (maxstartdelay). */
  maxstartdelayMs?: number;
  nowait?: boolean;
  debugLevel?: number;
  /** -u user, passed to NUT C drivers. */
  user?: string;
  /** -r path (chroot), passed to NUT C drivers. */
  chroot?: string;
}

export interface StartResult {
  ok: boolean;
  /** The driver cannot be run at all (NUT's upsdrvctl stops there: "Can't start ..."). */
  fatal?: boolean;
  /** Lines to show the user, NUT-style ("Driver failed to start (exit status=1)"). */
  messages: string[];
  /** Lines a NUT driver prints on its standard output when started (its banner). */
  stdout?: string[];
}

export interface RunCallbacks {
  ready(): void;
  /**
   * The run ended; error is undefined for a requested stop. exitStatus mimics a process exit
   * code. collateral: a shared worker went down because of another instance; this run is
   * started again at once and the restart does not count as this instance's crash.
   */
  ended(error: string | undefined, exitStatus: number, collateral?: boolean): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface RunHandle {
  readonly runId: number | undefined;
  /** Where the run is, for status (worker kind, id, instances in it). */
  readonly where?: string;
  /** Ask the run to finish (cleanup) and end; kill after graceMs. */
  stop(graceMs: number): void;
  kill(reason: string): void;
  /** Ask the running driver to shut the device down; false when it cannot be asked. */
  shutdown(): boolean;
  instcmd(command: string, param: string | undefined, trackingId: string | undefined): boolean;
  setvar(name: string, value: string, trackingId: string | undefined): boolean;
}

export type InstanceLogger = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

const STOP_GRACE_MS = 5_000;

/** upsdrvctl's words when a driver outlasts maxstartdelay: it stops waiting, the driver goes on. */
export const STARTUP_TIMER_ELAPSED = 'Startup timer elapsed, continuing...';

export abstract class SupervisedInstance implements Device {
  state: InstanceState = 'stopped';
  restarts = 0;
  lastError: string | undefined;
  protected run: RunHandle | undefined;
  protected runStartedAt: number | undefined;
  private everReady = false;
  private attemptsLeft = 0;
  private consecutiveCrashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  protected policy: RestartPolicy = { ...DEFAULT_RESTART };
  protected startOptions: StartOptions = {};
  private readonly waiters = new Set<(outcome: 'ready' | 'failed' | 'stopped', messages: string[]) => void>();
  /** Output of the attempt in progress; kept only if it fails. */
  private attemptMessages: string[] = [];
  /** Output of the failed attempts of this start() (NUT prints these even when a retry works). */
  private failedMessages: string[] = [];
  protected readonly resultListeners = new Set<CommandResultListener>();
  /** updateinfo durations of every run; undefined where the host does not run the plugin. */
  readonly polls: PollDurations | undefined = undefined;
  private readonly stateListeners = new Set<(state: InstanceState) => void>();
  private stopWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly driver: string,
    public desc: string | undefined,
    protected readonly logger: InstanceLogger,
  ) {}

  abstract readonly tree: StateTree;
  abstract get connected(): boolean;
  abstract get lastHeard(): number;
  abstract get provider(): string;
  /** Launches one run; calls back ready/ended exactly as it goes. */
  protected abstract launch(callbacks: RunCallbacks): RunHandle;
  /** Called when a run ends unexpectedly or is stopped: mark data stale. */
  protected abstract markDown(): void;
  /** One-shot shutdown of the device (upsdrvctl shutdown / driver -k) when no run is active. */
  protected abstract shutdownOnce(options: StartOptions): Promise<StartResult>;
  /** Tells the running plugin to shut the device down. */
  protected abstract shutdownRunning(): Promise<StartResult>;

  /** Messages when there is nothing that could run (no driver program or plugin). */
  protected cannotStart(): string[] | undefined {
    return undefined;
  }

  setPolicy(policy: Partial<RestartPolicy>): void {
    this.policy = { ...this.policy, ...policy };
  }

  onStateChange(listener: (state: InstanceState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  protected setState(state: InstanceState): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  get active(): boolean {
    return this.state === 'starting' || this.state === 'running' || this.state === 'restarting';
  }

  status(): InstanceStatus {
    const now = Date.now();
    return {
      name: this.name,
      driver: this.driver,
      provider: this.provider,
      state: this.state,
      runId: this.run?.runId,
      worker: this.run?.where,
      startedAt: this.runStartedAt,
      uptimeSec: this.state === 'running' && this.runStartedAt ? Math.floor((now - this.runStartedAt) / 1000) : undefined,
      restarts: this.restarts,
      lastError: this.lastError,
      connected: this.connected,
      stale: this.tree.stale,
    };
  }

  /**
   * Starts the instance (no-op when it already runs). Resolves when the first run is ready,
   * when all start attempts failed, or when maxstartdelay elapsed (the run goes on).
   */
  async start(options: StartOptions = {}): Promise<StartResult> {
    // a stop in progress finishes first, so two runs never overlap
    while (this.state === 'stopping') await new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    if (this.active) return { ok: true, messages: [] };
    const fatal = this.cannotStart();
    if (fatal) {
      this.lastError = fatal[fatal.length - 1];
      this.setState('failed');
      return { ok: false, fatal: true, messages: fatal };
    }
    this.startOptions = options;
    if (options.maxretry !== undefined) this.policy.maxretry = options.maxretry;
    if (options.retrydelayMs !== undefined) this.policy.retrydelayMs = options.retrydelayMs;
    this.attemptsLeft = Math.max(1, this.policy.maxretry);
    this.everReady = false;
    this.consecutiveCrashes = 0;
    this.lastError = undefined;
    this.attemptMessages = [];
    this.failedMessages = [];
    const outcome = new Promise<StartResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (o: 'ready' | 'failed' | 'stopped', messages: string[]) => {
        if (timer) clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve({ ok: o === 'ready', messages });
      };
      this.waiters.add(waiter);
      if (options.nowait) {
        waiter('ready', []);
      } else {
        const ms = options.maxstartdelayMs ?? 45_000;
        timer = setTimeout(() => {
          this.waiters.delete(waiter);
          resolve({ ok: true, messages: [...this.failedMessages, STARTUP_TIMER_ELAPSED] });
        }, ms);
      }
    });
    this.launchRun();
    return outcome;
  }

  private settleWaiters(o: 'ready' | 'failed' | 'stopped'): void {
    const messages = this.failedMessages;
    this.failedMessages = [];
    this.attemptMessages = [];
    for (const w of [...this.waiters]) w(o, messages);
  }

  private launchRun(): void {
    this.restartTimer = undefined;
    this.setState(this.everReady ? 'restarting' : 'starting');
    this.runStartedAt = Date.now();
    let done = false;
    const handle = this.launch({
      ready: () => {
        if (done || this.run !== handle) return;
        this.everReady = true;
        this.setState('running');
        this.logger('info', `[${this.name}] running (${this.provider})`);
        if (this.stableTimer) clearTimeout(this.stableTimer);
        this.stableTimer = setTimeout(() => {
          this.consecutiveCrashes = 0;
        }, this.policy.resetAfterMs);
        this.stableTimer.unref();
        this.settleWaiters('ready');
      },
      ended: (error, exitStatus, collateral) => {
        if (done) return;
        done = true;
        if (this.run !== handle) return;
        this.run = undefined;
        this.onRunEnded(error, exitStatus, collateral === true);
      },
      log: (level, message) => {
        this.logger(level, `[${this.name}] ${message}`);
        if (!this.everReady && (level === 'error' || level === 'warn')) this.attemptMessages.push(message);
      },
    });
    this.run = handle;
  }

  private onRunEnded(error: string | undefined, exitStatus: number, collateral = false): void {
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.markDown();
    if (this.state === 'stopping' || this.state === 'stopped') {
      this.setState('stopped');
      this.runStartedAt = undefined;
      const waiters = this.stopWaiters;
      this.stopWaiters = [];
      for (const w of waiters) w();
      this.settleWaiters('stopped');
      return;
    }
    const reason = error ?? 'ended unexpectedly';
    this.lastError = reason;
    if (collateral) {
      this.logger('warn', `[${this.name}] ${reason}`);
      if (this.everReady) {
        this.restarts++;
        this.setState('restarting');
      }
      this.scheduleLaunch(MIN_DELAY_MS);
      return;
    }
    this.logger('error', `[${this.name}] ${reason}`);
    if (!this.everReady && exitStatus === 0) {
      // NUT's drivers exit 0 on some fatal config errors (unknown variable): upsdrvctl
      // counts that as started and does not retry; the instance simply is not running.
      if (!this.attemptMessages.includes(reason)) this.attemptMessages.push(reason);
      this.failedMessages.push(...this.attemptMessages);
      this.attemptMessages = [];
      this.setState('failed');
      this.runStartedAt = undefined;
      const messages = this.failedMessages;
      this.failedMessages = [];
      for (const w of [...this.waiters]) w('ready', messages);
      return;
    }
    if (!this.everReady) {
      if (!this.attemptMessages.includes(reason)) this.attemptMessages.push(reason);
      this.attemptMessages.push(`Driver failed to start (exit status=${exitStatus})`);
      this.failedMessages.push(...this.attemptMessages);
      this.attemptMessages = [];
      this.attemptsLeft--;
      if (this.attemptsLeft > 0) {
        this.setState('starting');
        this.scheduleLaunch(this.policy.retrydelayMs);
      } else {
        this.setState('failed');
        this.runStartedAt = undefined;
        this.settleWaiters('failed');
      }
      return;
    }
    this.consecutiveCrashes++;
    if (this.policy.maxRestarts !== undefined && this.consecutiveCrashes > this.policy.maxRestarts) {
      this.logger('error', `[${this.name}] giving up after ${this.policy.maxRestarts} consecutive restarts`);
      this.setState('failed');
      this.runStartedAt = undefined;
      return;
    }
    this.restarts++;
    const delay = crashDelayMs(this.policy, this.consecutiveCrashes);
    this.logger('warn', `[${this.name}] restarting in ${(delay / 1000).toFixed(1)} s (restart #${this.restarts})`);
    this.setState('restarting');
    this.scheduleLaunch(delay);
  }

  private scheduleLaunch(delayMs: number): void {
    this.restartTimer = setTimeout(() => this.launchRun(), delayMs);
  }

  /** Stops the instance; resolves once its run has ended. */
  stop(): Promise<void> {
    if (this.state === 'stopping') return new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    if (!this.run) {
      const wasActive = this.active;
      this.setState('stopped');
      this.markDown();
      if (wasActive) this.settleWaiters('stopped');
      return Promise.resolve();
    }
    this.setState('stopping');
    const p = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    this.run.stop(STOP_GRACE_MS);
    return p;
  }

  /** upsdrvctl shutdown for this UPS: through the running instance, or a one-shot run. */
  shutdown(options: StartOptions = {}): Promise<StartResult> {
    if (this.state === 'running' && this.run) return this.shutdownRunning();
    return this.shutdownOnce(options);
  }

  /** Kills the current run as if it had crashed (tests, watchdog). */
  protected killRun(reason: string): void {
    this.run?.kill(reason);
  }

  instcmd(command: string, param: string | undefined, trackingId: string | undefined): boolean {
    if (!this.run || this.state !== 'running') return false;
    return this.run.instcmd(command, param, trackingId);
  }

  setvar(name: string, value: string, trackingId: string | undefined): boolean {
    if (!this.run || this.state !== 'running') return false;
    return this.run.setvar(name, value, trackingId);
  }

  onCommandResult(listener: CommandResultListener): () => void {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }
}
