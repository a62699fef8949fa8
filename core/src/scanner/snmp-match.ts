/**
 * What the SNMP scan matches against: per MIB table, the sysObjectID that selects it and the
 * model OID that confirms it. Read from the installed plugins' table files (the snmp-ups
 * plugin and any package that extends it) without loading driver code. This is the one
 * place that knows where the match data lives.
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

/**
 * Rows in the order NUT's scanner tries them: NUT's tables by source file name, then each
 * file's rows by priority; tables from other packages follow in the order found.
 */
export function snmpMatchRows(plugins: readonly PluginInfo[]): SnmpMatchRow[] {
  const nut: SnmpMatchRow[] = [];
  const other: SnmpMatchRow[] = [];
  for (const p of plugins) {
    const driver = p.manifest.kind === 'snmp' && !p.manifest.extends ? p.driver : p.manifest.extends;
    if (!driver) continue;
    for (const file of p.tables) {
      let table: TableFile;
      try {
        table = JSON.parse(readFileSync(file, 'utf8')) as TableFile;
      } catch {
        continue;
      }
      const source = table.source ?? '';
      const fromNut = /^NUT [0-9.]+ drivers\//.test(source);
      for (const m of table.mibs ?? []) {
        if (!m.sysOID) continue;
        (fromNut ? nut : other).push({
          driver,
          mib: m.name,
          sysOID: m.sysOID,
          modelOID: m.autoCheckOID,
          source: source.replace(/^.*\//, ''),
          priority: m.priority ?? 0,
        });
      }
    }
  }
  nut.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.priority - b.priority));
  return [...nut, ...other];
}
