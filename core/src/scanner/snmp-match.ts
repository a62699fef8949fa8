/**
 * What the SNMP scan matches against: per mapping table, the sysObjectID that selects it
 * (the manifest's `match.snmp`, which discovery derives from the plugin's tables) and the
 * model OID that confirms it (the table's `autoCheckOID`). Nothing here loads driver code.
 * This is the one place that knows where the match data lives.
 */
import { readFileSync } from 'node:fs';
import type { PluginInfo } from '../plugins/registry.js';

export interface SnmpMatchRow {
  /** The driver to run (snmp-ups for its own tables and the packages that extend it). */
  driver: string;
  /** The `mibs =` value. */
  mib: string;
  sysOID: string;
  /** Read to confirm the table; without one the sysObjectID alone decides. */
  modelOID?: string;
  /** NUT's source file the table came from, which orders NUT's own scanner table. */
  source: string;
  priority: number;
}

interface TableFile {
  source?: string;
  mibs?: Array<{ name: string; sysOID?: string; autoCheckOID?: string; priority?: number }>;
}

const canonical = (oid: string): string => '.' + oid.replace(/^\./, '');

function readTable(file: string): TableFile {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TableFile;
  } catch {
    return {};
  }
}

/**
 * Rows in the order NUT's scanner tries them: NUT's tables by source file name, then each
 * file's rows by priority; tables from other packages follow in the order found.
 */
export function snmpMatchRows(plugins: readonly PluginInfo[]): SnmpMatchRow[] {
  const nut: SnmpMatchRow[] = [];
  const other: SnmpMatchRow[] = [];
  for (const p of plugins) {
    const entries = p.match.snmp ?? [];
    if (entries.length === 0) continue;
    const driver = p.manifest.extends ?? p.driver;
    const mibs = p.tables.flatMap((file) => {
      const t = readTable(file);
      return (t.mibs ?? []).map((m) => ({ ...m, source: t.source ?? '' }));
    });
    for (const e of entries) {
      const m = mibs.find((x) => x.sysOID !== undefined && canonical(x.sysOID) === canonical(e.sysObjectId) && (e.table === undefined || x.name === e.table));
      const fromNut = /^NUT [0-9.]+ drivers\//.test(m?.source ?? '');
      (fromNut ? nut : other).push({
        driver,
        mib: e.table ?? m?.name ?? driver,
        sysOID: e.sysObjectId,
        modelOID: m?.autoCheckOID,
        source: (m?.source ?? '').replace(/^.*\//, ''),
        priority: m?.priority ?? 0,
      });
    }
  }
  nut.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.priority - b.priority));
  return [...nut, ...other];
}
