/** What named table functions (NUT's preprocess, claim and initups functions) get to work with. */
import type { Item } from '../item.js';

export interface QxApi {
  readonly items: readonly Item[];
  getinfo(name: string): string | undefined;
  setinfo(name: string, value: string): void;
  delinfo(name: string): void;
  getval(name: string): string | undefined;
  testvar(name: string): boolean;
  log(message: string): void;
  debug(level: number, message: string): void;
  /** find_nut_info: first item with this name that has every `flag` and none of `noflag`. */
  find(name: string, flag?: readonly string[], noflag?: readonly string[]): Item | undefined;
  /** qx_process: send, read, check; false on failure. */
  process(item: Item, command?: string): Promise<boolean>;
  /** ups_infoval_set: -1 failure, 0 status/alarm, 1 published. */
  infovalSet(item: Item): number;
  /** Status bits set so far in this walk (STATUS() mask), see status.ts. */
  status(): number;
  /** status_set() straight into the status being built (before the status bits are added). */
  statusSet(token: string): void;
  /** Per-instance memory of a protocol's functions (what NUT keeps in file-level statics). */
  readonly memory: Map<string, unknown>;
}

/** preprocess: read items → NUT value; command/setvar items → wire command. null = failure. */
export type ValueFunction = (item: Item, value: string, qx: QxApi) => string | null;
/** preprocess_answer: rewrites item.answer; returns the new length or -1. */
export type AnswerFunction = (item: Item, length: number, qx: QxApi) => number;
/** preprocess_command: the command to send, or null. */
export type CommandFunction = (item: Item, command: string, qx: QxApi) => string | null;
/** info_rw preprocess: true when the device supports this value. */
export type RwFunction = (value: string, qx: QxApi) => boolean;
export type ClaimFunction = (qx: QxApi) => Promise<boolean>;
export type InitupsFunction = (qx: QxApi) => void;

export interface FunctionSet {
  value?: Record<string, ValueFunction>;
  answer?: Record<string, AnswerFunction>;
  command?: Record<string, CommandFunction>;
  rw?: Record<string, RwFunction>;
  claim?: Record<string, ClaimFunction>;
  initups?: Record<string, InitupsFunction>;
  /** Options (NUT's makevartable) a protocol brings: option name → [kind, description]. */
  options?: Record<string, Record<string, ['flag' | 'value', string]>>;
}
