/** MIB tables as data: loading and checking the JSON files (schema/mib-table.schema.json). */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { textParsers, valueConverters } from './converters.js';

/** snmp_info_t.flags bits, NUT 2.8.0 (drivers/snmp-ups.h). */
export const SU = {
  OK: 1 << 0,
  STATIC: 1 << 1,
  ABSENT: 1 << 2,
  STALE: 1 << 3,
  NEGINVALID: 1 << 4,
  UNIQUE: 1 << 5,
  ZEROINVALID: 1 << 6,
  NAINVALID: 1 << 7,
  CMD_OFFSET: 1 << 8,
  SEMI_STATIC: 1 << 9,
  OUTLET_GROUP: 1 << 10,
  OUTLET: 1 << 11,
  INPUT_1: 1 << 12,
  INPUT_3: 1 << 13,
  OUTPUT_1: 1 << 14,
  OUTPUT_3: 1 << 15,
  BYPASS_1: 1 << 16,
  BYPASS_3: 1 << 17,
  TYPE_INT: 1 << 18,
  TYPE_TIME: 1 << 19,
  TYPE_CMD: 1 << 20,
  TYPE_DAISY_1: 1 << 21,
  TYPE_DAISY_2: 1 << 22,
  DAISY: 1 << 23,
  TYPE_DAISY_MASTER_ONLY: 1 << 24,
  AMBIENT_TEMPLATE: 1 << 26,
  STATUS_PWR: 1 << 28,
  STATUS_BATT: 1 << 29,
  STATUS_CAL: 1 << 30,
  STATUS_RB: 2 ** 31,
} as const;
export type FlagName = keyof typeof SU;

export const SU_INPHASES = SU.INPUT_1 | SU.INPUT_3;
export const SU_OUTPHASES = SU.OUTPUT_1 | SU.OUTPUT_3;
export const SU_BYPPHASES = SU.BYPASS_1 | SU.BYPASS_3;
const TYPE_MASK = SU.TYPE_INT | SU.TYPE_TIME | SU.TYPE_CMD;

/** SU_TYPE(t) == SU_TYPE_CMD */
export function isCommand(flags: number): boolean {
  return (flags & TYPE_MASK) === SU.TYPE_CMD;
}
export function isTime(flags: number): boolean {
  return (flags & TYPE_MASK) === SU.TYPE_TIME;
}

export const ST_FLAG_RW = 1;
export const ST_FLAG_STRING = 2;

export interface LookupEntry {
  value: number;
  text: string;
  convert?: string;
  parse?: string;
}

/** One row as the engine uses it; `flags` is mutable per instance (NUT edits its tables). */
export interface Row {
  name: string;
  oid: string | null;
  len: number;
  infoFlags: number;
  dfl: string | null;
  flags: number;
  lookup: LookupEntry[] | null;
}

export interface AlarmInfo {
  oid: string;
  status?: string;
  alarm?: string;
}

export interface MibTable {
  file: string;
  source?: string;
  rows: Row[];
  alarms: AlarmInfo[];
}

export interface MibEntry {
  name: string;
  version: string;
  priority: number;
  sysOID?: string;
  autoCheckOID?: string;
  powerStatusOID?: string;
  table: MibTable;
}

export class TableError extends Error {
  constructor(file: string, where: string, message: string) {
    super(`${file}: ${where}: ${message}`);
    this.name = 'TableError';
  }
}

const OID_RE = /^\.?[0-9]+(\.([0-9]+|%i))*$/;
const DEFAULT_PRIORITY = 285;

type Json = Record<string, unknown>;

function isObj(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parses and checks one table file's content; errors name the file, the row and the key. */
export function parseTable(file: string, data: unknown): MibEntry[] {
  const fail = (where: string, msg: string): never => {
    throw new TableError(file, where, msg);
  };
  if (!isObj(data)) fail('top level', 'must be a JSON object');
  const doc = data as Json;
  const lookupsIn = doc.lookups ?? {};
  if (!isObj(lookupsIn)) fail('lookups', 'must be an object of arrays');
  const lookups = new Map<string, LookupEntry[]>();
  for (const [name, entries] of Object.entries(lookupsIn as Json)) {
    if (!Array.isArray(entries)) fail(`lookups.${name}`, 'must be an array');
    const list: LookupEntry[] = [];
    (entries as unknown[]).forEach((e, i) => {
      const where = `lookups.${name}[${i}]`;
      if (!isObj(e) || !Number.isInteger(e.value) || typeof e.text !== 'string') fail(where, 'needs integer "value" and string "text"');
      const entry = e as unknown as LookupEntry;
      if (entry.convert !== undefined && !(entry.convert in valueConverters))
        fail(where, `unknown converter "${entry.convert}" (known: ${Object.keys(valueConverters).join(', ')})`);
      if (entry.parse !== undefined && !(entry.parse in textParsers))
        fail(where, `unknown parser "${entry.parse}" (known: ${Object.keys(textParsers).join(', ')})`);
      list.push({ value: entry.value, text: entry.text, convert: entry.convert, parse: entry.parse });
    });
    lookups.set(name, list);
  }
  if (!Array.isArray(doc.rows) || doc.rows.length === 0) fail('rows', 'must be a non-empty array');
  const rows: Row[] = (doc.rows as unknown[]).map((r, i) => {
    const where = `rows[${i}]`;
    if (!isObj(r)) return fail(where, 'must be an object');
    if (typeof r.name !== 'string' || r.name === '') fail(where, '"name" must be a non-empty string');
    const w = `${where} (${r.name as string})`;
    if (typeof r.len !== 'number') fail(w, '"len" must be a number (string length, or multiplier)');
    if (r.oid !== undefined && (typeof r.oid !== 'string' || !OID_RE.test(r.oid))) fail(w, `"oid" must be a numeric OID (got ${JSON.stringify(r.oid)})`);
    if (r.default !== undefined && typeof r.default !== 'string') fail(w, '"default" must be a string');
    let flags = 0;
    if (r.flags !== undefined) {
      if (!Array.isArray(r.flags)) fail(w, '"flags" must be an array of flag names');
      for (const f of r.flags as unknown[]) {
        if (typeof f !== 'string' || !(f in SU)) fail(w, `unknown flag ${JSON.stringify(f)} (known: ${Object.keys(SU).join(', ')})`);
        flags |= SU[f as FlagName];
      }
    }
    let lookup: LookupEntry[] | null = null;
    if (r.lookup !== undefined) {
      if (typeof r.lookup !== 'string' || !lookups.has(r.lookup)) fail(w, `unknown lookup ${JSON.stringify(r.lookup)}`);
      lookup = lookups.get(r.lookup as string)!;
    }
    let infoFlags = typeof r.info_flags === 'number' ? r.info_flags : 0;
    if (r.rw === true) infoFlags |= ST_FLAG_RW;
    if (r.string === true) infoFlags |= ST_FLAG_STRING;
    return {
      name: r.name as string,
      oid: (r.oid as string | undefined) ?? null,
      len: r.len as number,
      infoFlags,
      dfl: (r.default as string | undefined) ?? null,
      flags,
      lookup,
    };
  });
  const alarms: AlarmInfo[] = [];
  if (doc.alarms !== undefined) {
    if (!Array.isArray(doc.alarms)) fail('alarms', 'must be an array');
    (doc.alarms as unknown[]).forEach((a, i) => {
      if (!isObj(a) || typeof a.oid !== 'string') return fail(`alarms[${i}]`, 'needs a string "oid"');
      alarms.push({ oid: a.oid, status: a.status as string | undefined, alarm: a.alarm as string | undefined });
    });
  }
  const table: MibTable = { file, source: doc.source as string | undefined, rows, alarms };
  if (!Array.isArray(doc.mibs) || doc.mibs.length === 0) fail('mibs', 'must list at least one {name, version}');
  return (doc.mibs as unknown[]).map((m, i) => {
    const where = `mibs[${i}]`;
    if (!isObj(m) || typeof m.name !== 'string' || m.name === '' || typeof m.version !== 'string') return fail(where, 'needs string "name" and "version"');
    if (m.sysOID !== undefined && (typeof m.sysOID !== 'string' || !/^\.?[0-9]+(\.[0-9]+)*$/.test(m.sysOID))) fail(where, '"sysOID" must be a numeric OID');
    return {
      name: m.name,
      version: m.version,
      priority: typeof m.priority === 'number' ? m.priority : DEFAULT_PRIORITY,
      sysOID: m.sysOID as string | undefined,
      autoCheckOID: m.autoCheckOID as string | undefined,
      powerStatusOID: m.powerStatusOID as string | undefined,
      table,
    };
  });
}

export function loadTableFile(file: string): MibEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TableError(file, 'read', (e as Error).message);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TableError(file, 'JSON', (e as Error).message);
  }
  return parseTable(file, data);
}

/** The tables shipped with this package (tables/*.json). */
export function builtinTableFiles(): string[] {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'tables');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Detection order: by priority, then file order (stable). A later file's entry with the same
 * name and sysOID as an earlier one replaces it (a vendor table overriding a shipped one). */
export function loadMibs(files: readonly string[]): MibEntry[] {
  const all: MibEntry[] = [];
  for (const f of files) {
    for (const e of loadTableFile(f)) {
      const same = all.findIndex((x) => x.name === e.name && x.sysOID === e.sysOID);
      if (same >= 0) all.splice(same, 1);
      all.push(e);
    }
  }
  return all.map((e, i) => ({ e, i })).sort((a, b) => a.e.priority - b.e.priority || a.i - b.i).map((x) => x.e);
}

export function tableName(file: string): string {
  return basename(file, '.json');
}
