/**
 * What a driver plugin imports. A plugin module's default export is the value returned by
 * defineDriver(); it runs inside a worker thread and sees the device only through the
 * DriverContext the host gives it.
 */
import { HandlerStatus } from '../dstate/ops.js';
import type { DeviceAccess } from './transports.js';

export { HandlerStatus, FLAG_RW, FLAG_STRING, FLAG_NUMBER, FLAG_IMMUTABLE } from '../dstate/ops.js';
export type { DstateOp } from '../dstate/ops.js';

export type Awaitable<T> = T | Promise<T>;

/** NUT's dstate_* helpers (drivers/dstate.c), writing the instance's state tree. */
export interface DstateWriter {
  setinfo(name: string, value: string | number): void;
  getinfo(name: string): string | undefined;
  delinfo(name: string): void;
  /** Replaces RW/STRING/NUMBER flags (IMMUTABLE variables refuse). */
  setflags(name: string, flags: number): void;
  addflags(name: string, flags: number): void;
  setaux(name: string, aux: number): void;
  addenum(name: string, value: string): void;
  delenum(name: string, value: string): void;
  /** Also adds the NUMBER flag, as NUT 2.8.0 does. */
  addrange(name: string, min: number, max: number): void;
  delrange(name: string, min: number, max: number): void;
  addcmd(name: string): void;
  delcmd(name: string): void;
  dataok(): void;
  datastale(): void;
  isStale(): boolean;
}

/** status_init/status_set/status_commit (and the alarm_* equivalents). */
export interface StatusComposer {
  init(): void;
  set(token: string): void;
  commit(): void;
}

export interface DriverLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Shown when the instance runs with debug level >= level (-D count). */
  debug(level: number, message: string): void;
}

export interface DriverContext extends DeviceAccess {
  /** ups.conf section name (or -s id). */
  readonly upsname: string;
  /** `port` from the section. */
  readonly port: string;
  /** Directory of ups.conf (NUT_CONFPATH), for drivers that read files next to it. */
  readonly confPath: string;
  readonly pollinterval: number;
  readonly debugLevel: number;
  /** Mapping tables for table-driven engines: the engine's own first, then those of the plugin
   * that extends it (manifest `tables`, absolute paths). Undefined when the host gives none. */
  readonly tables?: readonly string[];
  /** Driver option value (ups.conf key or -x key=value); undefined when unset or a flag. */
  getval(name: string): string | undefined;
  /** True when the option or flag is set. */
  testvar(name: string): boolean;
  readonly dstate: DstateWriter;
  readonly status: StatusComposer;
  readonly alarm: StatusComposer;
  readonly log: DriverLog;
  /** Resolves after ms; use instead of timers so the host can account for time. */
  sleep(ms: number): Promise<void>;
  /** The clock plugins use (milliseconds, epoch based); tests drive it. */
  now(): number;
  /** Aborted when the instance stops: pass it on to anything that waits. */
  readonly signal: AbortSignal;
  /**
   * Run updateinfo as soon as the current call returns instead of at the next poll (an
   * interrupt report or an alert byte arrived); its changes reach clients at once.
   */
  requestUpdate(): void;
}

export interface DriverPlugin {
  /** Open and identify the device. Throwing here is fatal for the instance. */
  initups?(ctx: DriverContext): Awaitable<void>;
  /** Static data, flags, enums, ranges, commands. */
  initinfo?(ctx: DriverContext): Awaitable<void>;
  /** Poll the device; end with ctx.dstate.dataok() or datastale(). */
  updateinfo(ctx: DriverContext): Awaitable<void>;
  instcmd?(ctx: DriverContext, command: string, param?: string): Awaitable<HandlerStatus>;
  setvar?(ctx: DriverContext, name: string, value: string): Awaitable<HandlerStatus>;
  /** Tell the device to power off after its delay (upsdrvctl shutdown, -k). Only initups ran. */
  shutdown?(ctx: DriverContext): Awaitable<void>;
  cleanup?(ctx: DriverContext): Awaitable<void>;
}

/** Called once per instance: everything an instance keeps lives in what it returns. */
export type DriverFactory = (instance: { readonly upsname: string }) => DriverPlugin;

/**
 * A plugin module's default export. Prefer the factory form: instances of one plugin may
 * share a worker, and a factory gives each its own state. The object form is for plugins
 * that keep no state outside the context.
 */
export function defineDriver<T extends DriverPlugin | DriverFactory>(plugin: T): T {
  return plugin;
}

export * from './transports.js';
export { ensureDesCbc } from './des-cbc.js';

/** NUT's config grammar (parseconf), for plugins that read NUT-style files. */
export { tokenizeConfig, encodeValue, type ConfigLine } from '../config/parseconf.js';

/** JSON Schema validation for data files a plugin loads (mapping tables). */
export { compileJsonSchema, type SchemaProblem } from './json-schema.js';

/** How NUT's C code reads numbers (atoi, strtol base 0, str_to_long), for drivers that must agree with it. */
export { cAtoi, cAtoiInt, cAtof, cStrtol0, cStrToLong, isCleanInteger, isCleanNumber } from '../config/c-numbers.js';
