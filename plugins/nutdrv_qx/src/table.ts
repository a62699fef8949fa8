/** A protocol table (tables/<protocol>.json, schema/protocol.schema.json) and its loading. */
import { readFileSync } from 'node:fs';

export type ItemFlag =
  | 'static' | 'semiStatic' | 'absent' | 'quickPoll' | 'command' | 'setvar'
  | 'trim' | 'enum' | 'range' | 'nonut' | 'skip';

export interface RwValue {
  value: string;
  /** Named check that drops this value when the device does not support it. */
  preprocess?: string;
}

export interface ItemRow {
  /** NUT variable or command; with `nonut`, a log label or a ups.conf option name. */
  name: string;
  nutFlags?: Array<'rw' | 'string'>;
  /** String length (string vars), enum values (`enum`) or min/max pairs (`range`). */
  rw?: RwValue[];
  command?: string;
  minLength?: number;
  leading?: string;
  /** Inclusive positions of the value in the answer; `to` 0 = up to the CR. */
  from?: number;
  to?: number;
  /** printf format of the published value (read items). */
  format?: string;
  /** Default value (`absent` items) or default argument (`command` items). */
  default?: string;
  flags?: ItemFlag[];
  preprocessCommand?: string;
  preprocessAnswer?: string;
  preprocess?: string;
}

export interface TestingRow {
  command: string;
  answer: string;
  /** Byte length when the answer holds NULs. */
  length?: number;
}

export interface ProtocolTable {
  protocol: string;
  version: string;
  detectionOrder: number;
  claim: string;
  initups?: string;
  initinfo?: string;
  options?: string;
  accepted?: string;
  rejected?: string;
  items: ItemRow[];
  testing?: TestingRow[];
}

export function loadTable(path: string): ProtocolTable {
  let t: ProtocolTable;
  try {
    t = JSON.parse(readFileSync(path, 'utf8')) as ProtocolTable;
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (typeof t.protocol !== 'string' || typeof t.version !== 'string' || !Array.isArray(t.items) || typeof t.claim !== 'string') {
    throw new Error(`${path}: not a nutdrv_qx protocol table (protocol, version, claim and items are required)`);
  }
  return t;
}

/** Tables in NUT's detection order; a later table with the same protocol name replaces the earlier one. */
export function loadTables(paths: readonly string[]): ProtocolTable[] {
  const byName = new Map<string, ProtocolTable>();
  for (const p of paths) {
    const t = loadTable(p);
    byName.set(t.protocol.toLowerCase(), t);
  }
  return [...byName.values()].sort((a, b) => a.detectionOrder - b.detectionOrder);
}
