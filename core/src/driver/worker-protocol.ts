/**
 * Messages between the host (main thread) and a driver worker. Data changes travel as
 * DstateOp batches, one batch per update; commands go the other way with tracking ids.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DstateOp } from '../dstate/ops.js';

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
  /** Milliseconds a single call into the plugin may take before the host kills the worker. */
  watchdogMs: number;
  /** 'shutdown': run initups then shutdown, then exit (upsdrvctl shutdown, driver -k). Default 'run'. */
  mode?: 'run' | 'shutdown';
  /** Absolute paths of mapping tables (engine's first, then the vendor plugin's). */
  tables?: string[];
  /** Directory of the plugin package that was asked for (the vendor plugin for `extends`). */
  pluginDir?: string;
  /** Manifest says experimental: print NUT's experimental-driver warning. */
  experimental?: boolean;
}

export type HostToWorker =
  /** `devices`: this run's port to the host's device broker (in the transfer list). */
  | { t: 'start'; spec: InstanceSpec; devices?: MessagePort }
  | { t: 'instcmd'; command: string; param?: string; tracking?: string }
  | { t: 'set'; name: string; value: string; tracking?: string }
  | { t: 'shutdown' }
  | { t: 'stop' };

export type PluginCall = 'initups' | 'initinfo' | 'updateinfo' | 'instcmd' | 'setvar' | 'shutdown' | 'cleanup';

export type WorkerToHost =
  | { t: 'ops'; ops: DstateOp[] }
  /** Entering / leaving a call into plugin code: the host's watchdog arms and disarms. */
  | { t: 'enter'; call: PluginCall }
  | { t: 'leave'; call: PluginCall }
  | { t: 'ready' }
  | { t: 'tracking'; id: string; status: number }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  /** The instance cannot go on (init failed, plugin threw); the worker exits after this. */
  | { t: 'fatal'; message: string }
  | { t: 'stopped' };
