/**
 * Discovery data that lives in a plugin's tables, read as JSON (no plugin code runs): the
 * sysObjectIDs of SNMP mapping tables (`mibs[].sysOID`). A manifest that lists match.snmp
 * itself must agree with its tables.
 */
import { readFileSync } from 'node:fs';
import type { PluginManifest, PluginMatch, SnmpMatch } from './manifest.js';

function snmpEntries(file: string): SnmpMatch[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return []; // the engine reports unreadable tables when it loads them
  }
  const mibs = (doc as { mibs?: unknown }).mibs;
  if (!Array.isArray(mibs)) return [];
  return mibs.flatMap((m: { name?: unknown; sysOID?: unknown }) =>
    typeof m?.sysOID === 'string' ? [{ sysObjectId: m.sysOID, ...(typeof m.name === 'string' ? { table: m.name } : {}) }] : [],
  );
}

const canonical = (oid: string) => '.' + oid.replace(/^\./, '');

/** The manifest's match with match.snmp derived from the tables; a message when they disagree. */
export function tableMatch(manifest: PluginManifest, tables: readonly string[]): PluginMatch | string {
  const fromTables = tables.flatMap(snmpEntries);
  const match: PluginMatch = { ...(manifest.match ?? {}) };
  if (fromTables.length === 0) return match;
  const declared = manifest.match?.snmp;
  if (declared) {
    const have = new Set(fromTables.map((e) => canonical(e.sysObjectId)));
    const stray = declared.filter((e) => !have.has(canonical(e.sysObjectId))).map((e) => e.sysObjectId);
    const named = new Set(declared.map((e) => canonical(e.sysObjectId)));
    const unlisted = [...have].filter((o) => !named.has(o));
    if (stray.length || unlisted.length) {
      return (
        `"match.snmp" disagrees with the tables (leave it out: it is read from the tables)` +
        (stray.length ? `; not in any table: ${stray.join(', ')}` : '') +
        (unlisted.length ? `; in the tables but not listed: ${unlisted.join(', ')}` : '')
      );
    }
  }
  match.snmp = fromTables;
  return match;
}
