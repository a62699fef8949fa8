/**
 * Driver workers shared by instances of one plugin. An instance asks for a place (attach); it
 * gets one in a worker of its plugin that has room (instancesPerWorker), or a new worker.
 *
 * Watching: every WATCH_MS the pool reads each worker's call board. A call that overstays its
 * budget while the worker still beats is a slow device: the instance is told (its data goes
 * stale) and nothing is killed; an init call that overstays fails that start attempt only. A
 * call that overstays while the worker has stopped beating means plugin code blocks the
 * worker: the worker is terminated, the instance whose code was running is named as the
 * cause, and its pool-mates end "collaterally" (they restart at once). A worker thread that
 * does not end on terminate (blocked in a system call) is left behind, and that plugin's
 * instances run in child processes from then on, where a kill always works.
 */
import { existsSync } from 'node:fs';
import type { ResourceLimits } from 'node:worker_threads';
import { processLink, threadLink, type WorkerLink, type WorkerRunner } from './worker-link.js';
import { onLines } from './lines.js';
import { narrowConfinedOpen } from './confinement.js';
import { TransportError } from '../plugin-api/transports.js';
import { toWire } from '../transport/errors.js';
import { ROOT, type BrokerRequest } from '../transport/protocol.js';
import { BLOCKED_MS, IPC_DEVICES, type HostToWorker, type InstanceEvent, type InstanceId, type InstanceSpec, type PluginCall } from './worker-protocol.js';

export const WATCH_MS = 500;
/** How long a worker gets to end after terminate before it counts as wedged. */
export const TERMINATE_MS = 2_000;

/**
 * The seam to the host's transport service: called when an instance is placed in a worker;
 * `channel` travels with the instance's start message (`transfer` lists what must be moved,
 * e.g. a MessagePort), and the worker builds the instance's DeviceAccess from it
 * (core/src/driver/devices-for.ts). A worker in a child process cannot take a MessagePort: the
 * host keeps it and relays its messages over the child's IPC (`dev` messages). `detach` runs
 * when the instance's run ends.
 */
export interface HostTransports {
  attach(instance: string, spec: InstanceSpec): { channel: unknown; transfer?: readonly unknown[]; detach(): void } | undefined;
}

export interface SlotCallbacks {
  event(e: InstanceEvent): void;
  /**
   * The run ended. error undefined: a requested stop. collateral: the worker went down because
   * of another instance; this one did nothing wrong.
   */
  ended(error: string | undefined, exitStatus: number, collateral?: boolean): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** A call has been open longer than its budget while the worker is alive (elapsed ms). */
  slow?(call: PluginCall, elapsedMs: number): void;
  /** The slow call has returned. */
  slowEnded?(): void;
}

export interface SlotHandle {
  readonly runId: number | undefined;
  /** e.g. "thread 12, 3 instances". */
  readonly where: string;
  post(m: DistributiveOmit<HostToWorker, 'id'>): boolean;
  stop(graceMs: number): void;
  kill(reason: string): void;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export interface PoolOptions {
  workerPath: string;
  resourceLimits: ResourceLimits;
  /** How many instances of this spec's plugin one worker may hold (1: a worker of its own). */
  instancesPerWorker(spec: InstanceSpec): number;
  /** Run this spec's plugin in child processes instead of threads. */
  outOfProcess?(spec: InstanceSpec): boolean;
  /**
   * Run this spec's instance confined: a child process of its own under Node's permission
   * model (core/src/host/confinement.ts); the Node options that start it.
   */
  confined?(spec: InstanceSpec): { execArgv: readonly string[] } | { refused: string } | undefined;
  transports?: HostTransports;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface SlotBudget {
  /** An init call that blocks its worker this long is killed. */
  initMs: number;
  /**
   * An init call that is still running, its worker alive, is dropped after this long (default
   * initMs). Past initMs it is reported slow and left to run, as NUT's upsdrvctl leaves a
   * driver that outlasts maxstartdelay.
   */
  initAliveMs?: number;
  callMs: number;
}

interface Slot {
  id: InstanceId;
  name: string;
  spec: InstanceSpec;
  cb: SlotCallbacks;
  budget: SlotBudget;
  ready: boolean;
  stopRequested: boolean;
  stopTimer?: NodeJS.Timeout;
  slow: boolean;
  detach?: () => void;
  /** The instance's device channel, relayed over a child process's IPC (see attach). */
  relay?: RelayPort;
  done: boolean;
}

/** The host's end of an instance's device channel (a MessagePort). */
interface RelayPort {
  postMessage(m: unknown): void;
  on(event: 'message', listener: (m: unknown) => void): unknown;
  close?(): void;
  unref?(): void;
}

const isPort = (v: unknown): v is RelayPort =>
  typeof v === 'object' && v !== null && typeof (v as RelayPort).postMessage === 'function' && typeof (v as RelayPort).on === 'function';

const isInit = (call: PluginCall) => call === 'initups' || call === 'initinfo';

class PooledWorker {
  readonly slots = new Map<InstanceId, Slot>();
  accepting = true;
  private dying: string | undefined;
  private thrown: string | undefined;
  private exited = false;

  constructor(
    readonly link: WorkerLink,
    readonly key: string,
    readonly cap: number,
    private readonly pool: WorkerPool,
  ) {
    const pipe = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') =>
      onLines(stream, (line) => {
        // output that names no instance goes to the one whose code runs, else to all
        const running = this.link.board.running;
        const to = running !== undefined && this.slots.has(running) ? [this.slots.get(running)!] : [...this.slots.values()];
        for (const s of to) s.cb.log(level, line);
      });
    pipe(link.stdout, 'info');
    pipe(link.stderr, 'warn');
    link.on('message', (m) => {
      if (m.t === 'batch') for (const e of m.events) this.onEvent(e);
      else if (m.t === 'dev') this.relayRequest(m.id, m.m);
    });
    link.on('error', (err) => {
      this.thrown =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `out of memory: worker exceeded its resource limits (${this.pool.options.resourceLimits.maxOldGenerationSizeMb} MB heap)`
          : `plugin error: ${err.message}`;
    });
    link.on('exit', (code) => this.onExit(code));
  }

  /** confined: a worker whose device opens are held to what its section names (narrowConfinedOpen). */
  confined = false;

  private relayRequest(id: InstanceId, m: BrokerRequest): void {
    const slot = this.slots.get(id);
    if (!slot?.relay) return;
    if (this.confined && m.t === 'call' && m.handle === ROOT) {
      const narrowed = narrowConfinedOpen(slot.spec, m.method, m.args);
      if ('refused' in narrowed) {
        const error = new TransportError('EACCES', narrowed.refused);
        slot.cb.log('error', error.message);
        this.link.post({ t: 'dev', id, m: { t: 'error', id: m.id, error: toWire(error) } });
        return;
      }
      m = { ...m, args: narrowed.args };
    }
    slot.relay.postMessage(m);
  }

  get where(): string {
    return `${this.link.runner} ${this.link.id}, ${this.slots.size} instance${this.slots.size === 1 ? '' : 's'}`;
  }

  freeId(): InstanceId | undefined {
    for (let i = 0; i < this.cap; i++) if (!this.slots.has(i)) return i;
    return undefined;
  }

  private onEvent(e: InstanceEvent): void {
    const slot = this.slots.get(e.id);
    if (!slot || slot.done) return;
    if (e.t === 'ready') slot.ready = true;
    slot.cb.event(e);
    if (e.t === 'fatal') {
      slot.cb.log('error', e.message);
      this.finish(slot, e.message, 1);
    } else if (e.t === 'stopped') {
      this.finish(slot, slot.stopRequested || slot.spec.mode === 'shutdown' ? undefined : 'the driver ended without being asked to stop', slot.stopRequested || slot.spec.mode === 'shutdown' ? 0 : 1);
    }
  }

  /** One instance's run is over: free its place; an empty worker ends. */
  finish(slot: Slot, error: string | undefined, status: number, collateral = false): void {
    if (slot.done) return;
    slot.done = true;
    if (slot.stopTimer) clearTimeout(slot.stopTimer);
    this.slots.delete(slot.id);
    slot.detach?.();
    slot.relay?.close?.();
    slot.cb.ended(error, status, collateral);
    if (this.slots.size === 0 && !this.dying && !this.exited) {
      this.accepting = false;
      this.dying = 'no instances left';
      this.pool.retire(this);
      this.terminate(undefined);
    }
  }

  private onExit(code: number): void {
    this.exited = true;
    this.accepting = false;
    this.pool.retire(this);
    const culprit = this.culprit();
    const base = this.dying ?? this.thrown ?? `worker exited with code ${code} without being asked to stop`;
    for (const slot of [...this.slots.values()]) {
      if (slot.stopRequested && !this.dying && !this.thrown) {
        this.finish(slot, undefined, 0);
      } else if (culprit === undefined || culprit.id === slot.id || this.slots.size === 1) {
        this.finish(slot, base, code === 0 ? 1 : code);
      } else {
        this.finish(slot, `worker ${this.link.runner} ${this.link.id} ended because of [${culprit.name}] (${base}); restarting`, 1, true);
      }
    }
  }

  private dyingCulprit: Slot | undefined;

  private culprit(): Slot | undefined {
    if (this.dyingCulprit) return this.dyingCulprit;
    const running = this.link.board.running;
    return running === undefined ? undefined : this.slots.get(running);
  }

  /** Ends the worker for a reason that one instance caused (or none known). */
  kill(reason: string, culprit: Slot | undefined): void {
    if (this.dying || this.exited) return;
    this.dying = reason;
    this.dyingCulprit = culprit;
    this.accepting = false;
    this.pool.retire(this);
    const names = [...this.slots.values()].map((s) => s.name);
    this.pool.options.log?.('error', `${this.link.runner} ${this.link.id} (${this.key.split('|')[1]}; ${names.join(', ')}) terminated: ${culprit ? `[${culprit.name}] ` : ''}${reason}`);
    this.terminate(culprit);
  }

  /** Ends the worker; one that does not end in time (a thread in a system call) is wedged. */
  private terminate(culprit: Slot | undefined): void {
    const ended = this.link.terminate();
    const timer = setTimeout(() => {
      if (this.exited) return;
      this.pool.wedged(this, culprit ?? this.lastDropped);
      this.link.unref();
      this.onExit(1);
    }, TERMINATE_MS);
    void ended.then(() => clearTimeout(timer));
  }

  /** The last instance given up on without ending the worker (it may be what blocks it). */
  private lastDropped: Slot | undefined;

  /** Reads the call board; see the module comment. */
  watch(now: number): void {
    if (this.dying || this.exited) return;
    const board = this.link.board;
    const beatAge = now - board.lastBeat;
    const blocked = beatAge > BLOCKED_MS;
    const beatSince = (t: number) => board.lastBeat > t && !blocked;
    // without call information (a child process's board is as old as its last beat), a
    // worker silent for longer than the shortest budget in force is blocked beyond doubt
    let silentLimit = Infinity;
    let inCall = false;
    for (const slot of [...this.slots.values()]) {
      silentLimit = Math.min(silentLimit, slot.ready ? slot.budget.callMs : slot.budget.initMs);
      const c = board.call(slot.id);
      if (c) inCall = true;
      if (!c) {
        if (slot.slow) {
          slot.slow = false;
          slot.cb.slowEnded?.();
        }
        continue;
      }
      const budget = isInit(c.call) ? slot.budget.initMs : slot.budget.callMs;
      const elapsed = now - c.since;
      if (elapsed <= budget) continue;
      if (blocked) {
        const running = board.running;
        const culprit = running !== undefined && this.slots.has(running) ? this.slots.get(running)! : slot;
        const cc = board.call(culprit.id) ?? c;
        const cBudget = isInit(cc.call) ? culprit.budget.initMs : culprit.budget.callMs;
        this.kill(`watchdog: ${cc.call} did not return within ${cBudget} ms (ran ${now - cc.since} ms; the worker is blocked, no heartbeat for ${beatAge} ms); worker terminated`, culprit);
        return;
      }
      // slow, not blocked, only once the worker has beaten since the call began
      if (!beatSince(c.since)) continue;
      if (isInit(c.call) && !slot.ready) {
        const limit = Math.max(slot.budget.initAliveMs ?? budget, budget);
        if (elapsed > limit) {
          this.drop(slot, `watchdog: ${c.call} did not return within ${limit} ms (ran ${elapsed} ms)`, 1);
          continue;
        }
      }
      if (!slot.slow) {
        slot.slow = true;
        slot.cb.slow?.(c.call, elapsed);
      }
    }
    // (a call on the board is judged by its own budget above, which names it)
    if (blocked && !inCall && this.slots.size > 0 && beatAge > Math.max(silentLimit, BLOCKED_MS * 2)) {
      const running = board.running;
      const only = this.slots.size === 1 ? [...this.slots.values()][0] : undefined;
      this.kill(`the worker stopped heart-beating (nothing for ${beatAge} ms); worker terminated`, (running !== undefined ? this.slots.get(running) : undefined) ?? only);
    }
  }

  /** Forgets one instance without waiting for it (the worker abandons its run). */
  drop(slot: Slot, error: string | undefined, status: number): void {
    this.lastDropped = slot;
    this.link.post({ t: 'drop', id: slot.id });
    this.finish(slot, error, status);
  }

  attach(spec: InstanceSpec, budget: SlotBudget, cb: SlotCallbacks): SlotHandle {
    const id = this.freeId()!;
    const slot: Slot = { id, name: spec.upsname, spec, cb, budget, ready: false, stopRequested: false, slow: false, done: false };
    this.slots.set(id, slot);
    const attached = this.pool.options.transports?.attach(spec.upsname, spec);
    slot.detach = attached?.detach;
    let devices = attached?.channel;
    let transfer = attached?.transfer;
    if (this.link.runner === 'process' && isPort(devices)) {
      // a MessagePort cannot cross a process boundary: the host keeps it and relays its messages
      const relay = devices;
      slot.relay = relay;
      relay.on('message', (m) => {
        if (!slot.done) this.link.post({ t: 'dev', id, m: m as never });
      });
      relay.unref?.();
      devices = IPC_DEVICES;
      transfer = undefined;
    }
    if (!this.link.post({ t: 'start', id, spec, devices }, transfer)) {
      setImmediate(() => this.finish(slot, 'cannot reach the driver worker', 1));
    }
    const post = (m: DistributiveOmit<HostToWorker, 'id'>) => !slot.done && this.link.post({ ...m, id } as HostToWorker);
    const worker = this;
    return {
      runId: this.link.id,
      get where() {
        return worker.where;
      },
      post,
      stop: (graceMs) => {
        if (slot.done) return;
        slot.stopRequested = true;
        if (!post({ t: 'stop' })) {
          this.finish(slot, undefined, 0);
          return;
        }
        slot.stopTimer = setTimeout(() => {
          if (slot.done) return;
          if (Date.now() - this.link.board.lastBeat > BLOCKED_MS) {
            // its worker is blocked: end the worker, a stop always stops
            this.kill(`did not stop within ${graceMs} ms and the worker is blocked; worker terminated`, this.culprit() ?? slot);
          } else {
            cb.log('warn', `did not finish stopping within ${graceMs} ms; left behind`);
            this.drop(slot, undefined, 0);
          }
        }, graceMs);
      },
      kill: (reason) => {
        if (slot.done) return;
        if (this.slots.size === 1) this.kill(reason, slot);
        else this.drop(slot, reason, 1);
      },
    };
  }
}

export class WorkerPool {
  private readonly open = new Map<string, PooledWorker[]>();
  private readonly all = new Set<PooledWorker>();
  private readonly stuck: string[] = [];
  /** Plugins (entry paths) moved to child processes after a worker thread wedged. */
  private readonly moved = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly options: PoolOptions) {}

  /** Threads that did not end on terminate (blocked in a system call): descriptions. */
  get wedgedThreads(): readonly string[] {
    return this.stuck;
  }

  runnerFor(spec: InstanceSpec): WorkerRunner {
    return this.moved.has(spec.entryPath) || this.options.outOfProcess?.(spec) ? 'process' : 'thread';
  }

  attach(spec: InstanceSpec, budget: SlotBudget, cb: SlotCallbacks): SlotHandle {
    const workerPath = this.options.workerPath;
    if (!existsSync(workerPath)) {
      const error = `driver runtime missing: ${workerPath} (run npm run build)`;
      setImmediate(() => cb.ended(error, 1));
      return { runId: undefined, where: 'none', post: () => false, stop() {}, kill() {} };
    }
    const confinement = this.options.confined?.(spec);
    if (confinement && 'refused' in confinement) {
      setImmediate(() => cb.ended(confinement.refused, 1));
      return { runId: undefined, where: 'none', post: () => false, stop() {}, kill() {} };
    }
    const confinedArgs = confinement?.execArgv;
    const runner = confinedArgs ? 'process' : this.runnerFor(spec);
    // a confined instance reads its own section's files: it shares its process with no other
    const cap = confinedArgs ? 1 : Math.max(1, Math.floor(this.options.instancesPerWorker(spec)));
    const key = `${confinedArgs ? 'confined' : runner}|${spec.driver}|${spec.entryPath}|${cap}`;
    let list = this.open.get(key);
    if (!list) this.open.set(key, (list = []));
    let w = list.find((x) => x.accepting && x.slots.size < x.cap);
    if (!w) {
      const linkOptions = {
        workerPath,
        name: `nut-ts ${spec.driver}${cap === 1 ? ` ${spec.upsname}` : ''}`,
        slots: cap,
        resourceLimits: this.options.resourceLimits,
        execArgv: confinedArgs,
      };
      w = new PooledWorker(runner === 'process' ? processLink(linkOptions) : threadLink(linkOptions), key, cap, this);
      w.confined = confinedArgs !== undefined;
      list.push(w);
      this.all.add(w);
      this.ensureWatch();
    }
    return w.attach(spec, budget, cb);
  }

  /** A worker takes no more instances (ending or gone). */
  retire(w: PooledWorker): void {
    const list = this.open.get(w.key);
    const i = list?.indexOf(w) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    this.all.delete(w);
    if (this.all.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  wedged(w: PooledWorker, culprit: { name: string } | undefined): void {
    const what = `thread ${w.link.id} (${w.key.split('|')[1]}${culprit ? `, blocked by [${culprit.name}]` : ''})`;
    this.stuck.push(what);
    const entry = w.key.split('|')[2];
    this.moved.add(entry);
    this.options.log?.(
      'error',
      `${what} did not end within ${TERMINATE_MS} ms of terminate: plugin code is blocked in a system call. ` +
        `Its instances run in child processes from now on (host setting outOfProcess makes this the default for ${w.key.split('|')[1]}).`,
    );
  }

  private ensureWatch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const w of [...this.all]) w.watch(now);
    }, WATCH_MS);
    this.timer.unref();
  }

  /** Ends every worker (the host is closing; instances were asked to stop before). */
  async close(): Promise<void> {
    const all = [...this.all];
    for (const w of all) w.kill('the host is closing', undefined);
    await Promise.race([Promise.all(all.map((w) => w.link.terminate())), new Promise((r) => setTimeout(r, TERMINATE_MS).unref())]);
  }

  /** Workers alive now (status, tests). */
  workers(): Array<{ runner: WorkerRunner; id: number; instances: string[] }> {
    return [...this.all].map((w) => ({ runner: w.link.runner, id: w.link.id, instances: [...w.slots.values()].map((s) => s.name) }));
  }
}
