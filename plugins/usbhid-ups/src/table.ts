/** HID mapping tables (tables/*.json, schema/hid-table.schema.json): loading and merging. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Lookup =
  | { values: Array<{ value: number; text: string }> }
  | { converter: string; decode: string | null; encode: string | null; values?: Array<{ value: number; text: string }> }
  | { flag: { mask: number; equals?: number; set: string; clear: string } };

export interface HidRow {
  /** NUT variable the row publishes. */
  var?: string;
  /** Instant command the row implements (a feature write of `value`). */
  command?: string;
  /** Status bit collector (NUT's BOOL rows): the lookup gives the status token. */
  status?: boolean;
  /** Alarm text collector (NUT's ups.alarm rows). */
  alarm?: boolean;
  path: string;
  /** printf format for the physical value (when no lookup). */
  format?: string;
  /** Value of a server-side (absent) variable. */
  default?: string;
  /** Default value a command writes. */
  value?: string;
  writable?: boolean;
  number?: boolean;
  stringLength?: number;
  length?: number;
  static?: boolean;
  semiStatic?: boolean;
  absent?: boolean;
  quickPoll?: boolean;
  stale?: boolean;
  enum?: boolean;
  lookup?: string;
}

export interface ClaimId {
  vendorId: string;
  productId: string;
  /** Named quirk (src/quirks.ts) run when this id is claimed. */
  hook?: string;
}

export interface Claim {
  explore?: boolean;
  ids?: ClaimId[];
  /** A known vendor id with an unknown product id is accepted when `productid` is given. */
  possiblySupported?: boolean;
  /** The maker's name in the "not (or perhaps not yet) supported" message. */
  vendorName?: string;
  vendors?: Record<string, { unknownProduct?: 'productidOption' | 'reject'; silent?: boolean; requireString?: string }>;
  reject?: Array<{ vendorId: string; productId: string; message?: string }>;
  productSettings?: Array<{ productId: string; interruptOnly?: boolean; interruptSize?: number }>;
  usb?: { interface?: number; endpointIn?: number; endpointOut?: number };
}

export interface SubdriverTable {
  subdriver: string;
  version: string;
  order?: number;
  /** Another subdriver whose usages, lookups and rows follow this table's own (its rows win). */
  base?: string;
  claim: Claim;
  usages?: Array<[string, string]>;
  lookups?: Record<string, Lookup>;
  rows?: HidRow[];
  identity?: { model?: string; mfr?: string; serial?: string; modelDefault?: string; mfrDefault?: string; serialDefault?: string };
  fixReportDesc?: string;
  /** Named models (mge): product and model strings → model family (type) and display name. */
  models?: Array<{ product: string; model: string; type: number; typeName?: string; name?: string }>;
  source?: string;
}

export interface GenericTable {
  driverVersion?: string;
  usages: Array<[string, string]>;
  lookups: Record<string, Lookup>;
}

export interface TableSet {
  generic: GenericTable;
  /** Claim order: vendor tables first (they win), then the shipped ones in NUT's order. */
  subdrivers: SubdriverTable[];
}

const here = dirname(fileURLToPath(import.meta.url));

export function builtinTableFiles(): string[] {
  const dir = join(here, '..', 'tables');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  return files.map((f) => join(dir, f));
}

function readTable(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`usbhid-ups: cannot read table ${file}: ${(e as Error).message}`);
  }
}

export function loadTables(files: readonly string[]): TableSet {
  const shipped: SubdriverTable[] = [];
  const vendor: SubdriverTable[] = [];
  let generic: GenericTable | undefined;
  const builtinDir = join(here, '..', 'tables');
  for (const file of files) {
    const t = readTable(file) as Partial<SubdriverTable> & Partial<GenericTable>;
    if (!t || typeof t !== 'object') throw new Error(`usbhid-ups: table ${file} is not an object`);
    if (!('subdriver' in t)) {
      if (!Array.isArray(t.usages) || typeof t.lookups !== 'object') throw new Error(`usbhid-ups: table ${file} has neither "subdriver" nor generic "usages"/"lookups"`);
      generic = generic
        ? { ...generic, usages: [...generic.usages, ...t.usages], lookups: { ...generic.lookups, ...t.lookups } }
        : (t as GenericTable);
      continue;
    }
    if (typeof t.subdriver !== 'string' || typeof t.version !== 'string' || !t.claim) {
      throw new Error(`usbhid-ups: table ${file} needs "subdriver", "version" and "claim"`);
    }
    (dirname(file) === builtinDir ? shipped : vendor).push(t as SubdriverTable);
  }
  if (!generic) {
    generic = readTable(join(builtinDir, 'usbhid-ups.json')) as GenericTable;
  }
  shipped.sort((a, b) => (a.order ?? 1e9) - (b.order ?? 1e9));
  const all = [...vendor, ...shipped];
  const byName = new Map(all.map((s) => [s.subdriver, s] as const));
  const resolved = all.map((s) => resolveBase(s, byName, []));
  return { generic, subdrivers: resolved };
}

/** Table sets already loaded in this thread, by their files; stamp: the files' sizes and times. */
const loaded = new Map<string, { stamp: string; set: TableSet }>();

function stampOf(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const st = statSync(f);
        return `${st.size}:${st.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join(' ');
}

/**
 * loadTables, once per thread for the same files: the instances of a worker share one
 * (read-only) table set. Files changed on disk since are read again.
 */
export function sharedTables(files: readonly string[]): TableSet {
  const key = files.join('\n');
  const stamp = stampOf(files);
  const known = loaded.get(key);
  if (known && known.stamp === stamp) return known.set;
  const set = loadTables(files);
  loaded.set(key, { stamp, set });
  return set;
}

function resolveBase(s: SubdriverTable, byName: Map<string, SubdriverTable>, seen: string[]): SubdriverTable {
  if (!s.base) return s;
  if (seen.includes(s.subdriver)) throw new Error(`usbhid-ups: table "base" chain loops (${[...seen, s.subdriver].join(' -> ')})`);
  const base = byName.get(s.base);
  if (!base) throw new Error(`usbhid-ups: table "${s.subdriver}" names base "${s.base}", which no table provides`);
  const b = resolveBase(base, byName, [...seen, s.subdriver]);
  return {
    ...b,
    ...s,
    usages: [...(s.usages ?? []), ...(b.usages ?? [])],
    lookups: { ...b.lookups, ...s.lookups },
    rows: [...(s.rows ?? []), ...(b.rows ?? [])],
    identity: { ...b.identity, ...s.identity },
    fixReportDesc: s.fixReportDesc ?? b.fixReportDesc,
  };
}
