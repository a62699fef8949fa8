/**
 * MIB tables as data: loading the JSON files, checked against schema/mib-table.schema.json (the
 * one statement of the format), resolving includes, named lookups and named converters.
 */
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileJsonSchema } from '@nut-ts/core/plugin-api';
import { builtinConverters, type Converters, type TextParser, type ValueConverter } from './converters.js';

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
}

/** One row as the engine uses it; `flags` is mutable per instance (NUT edits its tables). */
export interface Row {
  name: string;
  oid: string | null;
  /** stringLength of string rows, multiplier of numeric rows (NUT's info_len). */
  len: number;
  infoFlags: number;
  dfl: string | null;
  flags: number;
  lookup: LookupEntry[] | null;
  convert: ValueConverter | null;
  parse: TextParser | null;
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
  /** Brought by an installed package rather than shipped with the engine. */
  vendor?: boolean;
}

export class TableError extends Error {
  constructor(file: string, where: string, message: string) {
    super(`${file}: ${where}: ${message}`);
    this.name = 'TableError';
  }
}

const DEFAULT_PRIORITY = 285;
const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'mib-table.schema.json');

interface RowDoc {
  name: string;
  oid?: string;
  string?: true;
  stringLength?: number;
  multiplier?: number;
  writable?: true;
  default?: string;
  flags?: FlagName[];
  lookup?: string;
  convert?: string;
  parse?: string;
}

interface TableDoc {
  source?: string;
  include?: string;
  remove?: string[];
  mibs: Array<{ name: string; version: string; priority?: number; sysOID?: string; autoCheckOID?: string; powerStatusOID?: string }>;
  alarms?: AlarmInfo[];
  lookups?: Record<string, LookupEntry[]>;
  rows: RowDoc[];
}

let checkSchema: ((value: unknown) => Array<{ path: Array<string | number>; message: string }>) | undefined;

/** Schema check; the error names the file, the row (index and variable) and the key. */
function validate(file: string, data: unknown): TableDoc {
  checkSchema ??= compileJsonSchema(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  const problems = checkSchema(data);
  if (problems.length === 0) return data as TableDoc;
  const { path, message } = problems[0];
  const [section, index, ...rest] = path;
  let where = path.length === 0 ? 'top level' : String(section);
  if (typeof index === 'number') {
    where += `[${index}]`;
    const name = section === 'rows' ? (data as TableDoc).rows?.[index]?.name : undefined;
    if (typeof name === 'string') where += ` (${name})`;
  } else if (index !== undefined) where += `.${index}`;
  const key = rest.length ? `"${rest.join('.')}" ` : '';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  throw new TableError(file, where, `${key}${message}${more}`);
}

/** What a table file is read with: where includes are found, and the converters its rows may name. */
export interface TableContext {
  /** Table name (file name without .json) -> file, for `include`. */
  byName: ReadonlyMap<string, string>;
  /** Converters available to rows of this file (the engine's and its package's). */
  converters: (file: string) => Converters;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TableError(file, 'read', (e as Error).message);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TableError(file, 'JSON', (e as Error).message);
  }
}

interface Composed {
  rows: RowDoc[];
  lookups: Record<string, LookupEntry[]>;
  alarms: AlarmInfo[];
  /** For each row, the file it was written in (its converters come from that file's package). */
  origin: string[];
}

/** Rows, lookups and alarms of a table with its includes applied (base rows replaced by name, in place). */
function compose(file: string, doc: TableDoc, ctx: TableContext, seen: readonly string[]): Composed {
  if (doc.include === undefined) {
    if (doc.remove !== undefined) throw new TableError(file, 'remove', 'needs "include" (rows to leave out of an included table)');
    return { rows: doc.rows, lookups: doc.lookups ?? {}, alarms: doc.alarms ?? [], origin: doc.rows.map(() => file) };
  }
  const baseFile = ctx.byName.get(doc.include);
  if (!baseFile) throw new TableError(file, 'include', `no table named "${doc.include}" (known: ${[...ctx.byName.keys()].join(', ')})`);
  if (seen.includes(baseFile)) throw new TableError(file, 'include', `includes loop: ${[...seen, baseFile].map((f) => basename(f, '.json')).join(' -> ')}`);
  const base = compose(baseFile, validate(baseFile, readJson(baseFile)), ctx, [...seen, baseFile]);
  const rows = [...base.rows];
  const origin = [...base.origin];
  const at = (name: string) => rows.reduce<number[]>((list, r, i) => (r.name === name ? [...list, i] : list), []);
  for (const name of doc.remove ?? []) {
    const found = at(name);
    if (found.length === 0) throw new TableError(file, 'remove', `"${name}" is not a row of "${doc.include}"`);
    for (const i of found.reverse()) {
      rows.splice(i, 1);
      origin.splice(i, 1);
    }
  }
  doc.rows.forEach((row, i) => {
    const found = at(row.name);
    if (found.length > 1) throw new TableError(file, `rows[${i}] (${row.name})`, `"${doc.include}" has ${found.length} rows of this name: an override must name a single row`);
    if (found.length === 1) {
      rows[found[0]] = row;
      origin[found[0]] = file;
    } else {
      rows.push(row);
      origin.push(file);
    }
  });
  return { rows, lookups: { ...base.lookups, ...(doc.lookups ?? {}) }, alarms: doc.alarms ?? base.alarms, origin };
}

function converterNamed<T>(kind: 'convert' | 'parse', name: string, available: Converters, fail: (msg: string) => never): T {
  const fn = available[kind][name];
  if (!fn) fail(`unknown converter "${name}" for "${kind}" (known: ${Object.keys(available[kind]).join(', ') || 'none'})`);
  return fn as T;
}

function buildRow(file: string, index: number, r: RowDoc, lookups: Record<string, LookupEntry[]>, converters: Converters): Row {
  const fail = (msg: string): never => {
    throw new TableError(file, `rows[${index}] (${r.name})`, msg);
  };
  let flags = 0;
  for (const f of r.flags ?? []) flags |= SU[f];
  let lookup: LookupEntry[] | null = null;
  if (r.lookup !== undefined) {
    lookup = lookups[r.lookup] ?? fail(`unknown lookup "${r.lookup}" (known: ${Object.keys(lookups).join(', ') || 'none'})`);
  }
  return {
    name: r.name,
    oid: r.oid ?? null,
    len: r.string ? r.stringLength! : (r.multiplier ?? 1),
    infoFlags: (r.writable ? ST_FLAG_RW : 0) | (r.string ? ST_FLAG_STRING : 0),
    dfl: r.default ?? null,
    flags,
    lookup,
    convert: r.convert === undefined ? null : converterNamed<ValueConverter>('convert', r.convert, converters, fail),
    parse: r.parse === undefined ? null : converterNamed<TextParser>('parse', r.parse, converters, fail),
  };
}

/** Parses and checks one table's content; errors name the file, the row and the key. */
export function parseTable(file: string, data: unknown, ctx: TableContext = defaultContext([])): MibEntry[] {
  const doc = validate(file, data);
  const composed = compose(file, doc, ctx, [file]);
  const rows = composed.rows.map((r, i) => {
    const from = composed.origin[i];
    // An included row is reported where it was written.
    const index = from === file ? doc.rows.indexOf(r) : i;
    return buildRow(from, index, r, composed.lookups, ctx.converters(from));
  });
  const table: MibTable = { file, source: doc.source, rows, alarms: composed.alarms };
  return doc.mibs.map((m) => ({
    name: m.name,
    version: m.version,
    priority: m.priority ?? DEFAULT_PRIORITY,
    sysOID: m.sysOID,
    autoCheckOID: m.autoCheckOID,
    powerStatusOID: m.powerStatusOID,
    table,
  }));
}

export function loadTableFile(file: string, ctx: TableContext = defaultContext([file])): MibEntry[] {
  return parseTable(file, readJson(file), ctx);
}

function tablesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'tables');
}

/** The tables shipped with this package (tables/*.json). */
export function builtinTableFiles(): string[] {
  const dir = tablesDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

/** True for a table shipped with this package. */
export function isBuiltinTable(file: string): boolean {
  return dirname(real(file)) === real(tablesDir());
}

/** Includes resolve among the given files first, then the shipped ones; converters are the engine's. */
export function defaultContext(files: readonly string[], converters: (file: string) => Converters = () => builtinConverters): TableContext {
  const byName = new Map<string, string>();
  for (const f of [...files, ...builtinTableFiles()]) if (!byName.has(tableName(f))) byName.set(tableName(f), f);
  return { byName, converters };
}

/**
 * Detection order. Tables from installed packages come first (on a sysObjectID match, in the
 * model probe and for mibs=<name>), each group by priority then file order; a package's entry
 * with the same name and sysOID as a shipped one replaces it.
 */
export function loadMibs(files: readonly string[], converters?: (file: string) => Converters): MibEntry[] {
  const ctx = defaultContext(files, converters);
  const vendor: MibEntry[] = [];
  const shipped: MibEntry[] = [];
  for (const f of files) {
    const own = isBuiltinTable(f);
    for (const e of loadTableFile(f, ctx)) (own ? shipped : vendor).push(own ? e : { ...e, vendor: true });
  }
  const replaced = (e: MibEntry) => vendor.some((v) => v.name === e.name && v.sysOID === e.sysOID);
  const byPriority = (list: MibEntry[]) =>
    list
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.priority - b.e.priority || a.i - b.i)
      .map((x) => x.e);
  return [...byPriority(vendor), ...byPriority(shipped.filter((e) => !replaced(e)))];
}

export function tableName(file: string): string {
  return basename(file, '.json');
}
