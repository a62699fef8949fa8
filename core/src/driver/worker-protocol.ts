/**
 * Messages between the host (main thread) and a driver worker. A worker runs one or more
 * instances of one plugin; every message names its instance by the id the host gave it in
 * `start`. Data changes travel as DstateOp batches, one batch per update; commands go the
 * other way with tracking ids. Everything a worker says within one event-loop turn leaves as
 * one `batch` message, whatever the number of instances.
 *
 * Besides messages, a worker keeps a call board (CallBoard below): its heartbeat, the instance
 * whose code runs right now, and the plugin call each instance is in since when. In a worker
 * thread the board is shared memory that the host reads while the worker is blocked; a worker
 * in a child process sends a copy with each heartbeat.
 */
import type { DstateOp } from '../dstate/ops.js';
import type { BrokerReply, BrokerRequest } from '../transport/protocol.js';

/** Everything a worker needs to run one instance; plain data (structured clone). */
export interface InstanceSpec {
  upsname: string;
  driver: string;
  /** Absolute path of the plugin module to load (jiti). */
  entryPath: string;
  /** Plugin's internal version (driver.version.internal) and long name for the banner. */
  pluginVersion: string;
  pluginName: string;
  port: string;
  confPath: string;
  pollinterval: number;
  synchronous: 'auto' | 'yes' | 'no';
  debugLevel: number;
  /** Accepted driver options: value string, or true for a flag. */
  options: Record<string, string | true>;
  /** Names of options the manifest marks sensitive (never published). */
  sensitive: string[];
  /** override.<var> and default.<var> from ups.conf, in file order. */
  overrides: Array<[string, string]>;
  defaults: Array<[string, string]>;
  /** Milliseconds a single call into the plugin may take before the host steps in. */
  watchdogMs: number;
  /** 'shutdown': run initups then shutdown, then end (upsdrvctl shutdown, driver -k). Default 'run'. */
  mode?: 'run' | 'shutdown';
  /** Absolute paths of mapping tables (engine's first, then the vendor plugin's). */
  tables?: string[];
  /** Directory of the plugin package that was asked for (the vendor plugin for `extends`). */
  pluginDir?: string;
  /** Manifest says experimental: print NUT's experimental-driver warning. */
  experimental?: boolean;
}

/** An instance's id within its worker (also its row on the call board). */
export type InstanceId = number;

export type HostToWorker =
  /**
   * devices: the end of a channel to the host's transport service for this instance (what
   * TransportService.attach returned); the worker builds the instance's DeviceAccess from it.
   */
  | { t: 'start'; id: InstanceId; spec: InstanceSpec; devices?: unknown }
  | { t: 'instcmd'; id: InstanceId; command: string; param?: string; tracking?: string }
  | { t: 'set'; id: InstanceId; name: string; value: string; tracking?: string }
  | { t: 'shutdown'; id: InstanceId }
  | { t: 'stop'; id: InstanceId }
  /** Forget the instance at once (it overstayed its stop or its start); no reply. */
  | { t: 'drop'; id: InstanceId }
  /** A device-broker reply for the instance, relayed over a child process's IPC channel. */
  | { t: 'dev'; id: InstanceId; m: BrokerReply };

/**
 * `devices` of a `start` to a worker in a child process: a MessagePort cannot cross a process
 * boundary, so the host relays the instance's device channel as `dev` messages over IPC.
 */
export const IPC_DEVICES = 'ipc';

export type PluginCall = 'initups' | 'initinfo' | 'updateinfo' | 'instcmd' | 'setvar' | 'shutdown' | 'cleanup';

export type InstanceEvent = { id: InstanceId } & (
  | { t: 'ops'; ops: DstateOp[] }
  /** Entering / leaving a call into plugin code (the host's shutdown request listens for these). */
  | { t: 'enter'; call: PluginCall }
  /** ms: how long the call took. */
  | { t: 'leave'; call: PluginCall; ms?: number }
  | { t: 'ready' }
  | { t: 'tracking'; tracking: string; status: number }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  /** The instance cannot go on (init failed, plugin threw); the worker forgets it after this. */
  | { t: 'fatal'; message: string }
  | { t: 'stopped' }
);

export type WorkerToHost =
  | { t: 'batch'; events: InstanceEvent[] }
  /** Heartbeat of a worker in a child process: a copy of its call board. */
  | { t: 'beat'; board: number[] }
  /** A device-broker request of the instance, relayed over a child process's IPC channel. */
  | { t: 'dev'; id: InstanceId; m: BrokerRequest };

/** What the host passes as workerData to a worker thread. */
export interface WorkerData {
  board?: SharedArrayBuffer;
}

/** How often a worker beats, and after how long without a beat the host calls it blocked. */
export const BEAT_MS = 500;
export const BLOCKED_MS = 2_500;

const CALLS: PluginCall[] = ['initups', 'initinfo', 'updateinfo', 'instcmd', 'setvar', 'shutdown', 'cleanup'];

/**
 * Cells: [0] last heartbeat (ms since epoch), [1] instance whose code runs now (-1: none),
 * then per instance id i: [2+2i] call code (0: none, else index in CALLS + 1), [3+2i] since (ms).
 */
export class CallBoard {
  constructor(readonly cells: Float64Array) {}

  static create(slots: number, shared: boolean): CallBoard {
    const bytes = (2 + 2 * slots) * Float64Array.BYTES_PER_ELEMENT;
    const board = new CallBoard(new Float64Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)));
    board.cells[0] = Date.now();
    board.cells[1] = -1;
    return board;
  }

  get slots(): number {
    return (this.cells.length - 2) / 2;
  }

  beat(now: number): void {
    this.cells[0] = now;
  }

  get lastBeat(): number {
    return this.cells[0];
  }

  setRunning(id: InstanceId | undefined): void {
    this.cells[1] = id ?? -1;
  }

  /** The instance whose code ran when the worker last got here (-1 / undefined: none). */
  get running(): InstanceId | undefined {
    const v = this.cells[1];
    return v >= 0 && v < this.slots ? v : undefined;
  }

  enter(id: InstanceId, call: PluginCall, now: number): void {
    if (id < 0 || id >= this.slots) return;
    this.cells[3 + 2 * id] = now;
    this.cells[2 + 2 * id] = CALLS.indexOf(call) + 1;
  }

  leave(id: InstanceId): void {
    if (id < 0 || id >= this.slots) return;
    this.cells[2 + 2 * id] = 0;
  }

  /** The call instance `id` is in, and since when; undefined when it is not in a call. */
  call(id: InstanceId): { call: PluginCall; since: number } | undefined {
    if (id < 0 || id >= this.slots) return undefined;
    const code = this.cells[2 + 2 * id];
    if (!(code >= 1 && code <= CALLS.length)) return undefined;
    return { call: CALLS[code - 1], since: this.cells[3 + 2 * id] };
  }

  /** Copies a snapshot (a child process's heartbeat) into this board. */
  load(values: readonly number[]): void {
    const n = Math.min(values.length, this.cells.length);
    for (let i = 0; i < n; i++) this.cells[i] = values[i];
  }
}
