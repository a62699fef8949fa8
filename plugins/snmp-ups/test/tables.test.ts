/** The MIB tables as data: every shipped table follows the schema, loads, and bad tables are refused clearly. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDriverPlugin } from '../../../core/src/plugins/registry.js';
import { builtinTableFiles, loadMibs, parseTable, TableError } from '../src/table.js';
import { loadTableSet } from '../src/table-set.js';

const MANIFEST = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))['nut-ts'];

/** NUT 2.8.0's detection order (reference/snmp-ups.md §2, `snmp-ups -x mibs=--list`). */
const NUT_ORDER = [
  'apc_ats', 'apc_pdu', 'apc_pdu', 'apc_pdu', 'apcc', 'baytech', 'bestpower', 'cpqpower', 'cyberpower', 'delta_ups',
  'eaton_ats16_nmc', 'eaton_ats16_nm2', 'eaton_ats30', 'eaton_epdu', 'emerson_avocent_pdu', 'aphel_revelation',
  'aphel_genesisII', 'pulizzi_switched1', 'pulizzi_switched2', 'hpe_epdu', 'huawei', 'mge', 'netvision', 'pw',
  'pxgx_ups', 'raritan', 'raritan-px2', 'xppc', 'tripplite', 'ietf',
];

describe('snmp-ups tables', () => {
  for (const file of builtinTableFiles()) {
    it(`${file.split('/').pop()} loads (schema, includes, lookups, converters)`, () => {
      expect(() => parseTable(file, JSON.parse(readFileSync(file, 'utf8')))).not.toThrow();
    });
  }

  it('holds the 30 mappings of NUT 2.8.0 in its detection order', () => {
    const mibs = loadMibs(builtinTableFiles());
    expect(mibs.map((m) => m.name)).toEqual(NUT_ORDER);
    const ietf = mibs.find((m) => m.name === 'ietf')!;
    expect(ietf.version).toBe('1.54');
    expect(ietf.sysOID).toBe('.1.3.6.1.2.1.33');
    // reference §3 example rows
    const rows = ietf.table.rows;
    expect(rows.find((r) => r.name === 'battery.runtime')).toMatchObject({ oid: '1.3.6.1.2.1.33.1.2.3.0', len: 60 });
    expect(rows.find((r) => r.name === 'load.off')).toMatchObject({ oid: '1.3.6.1.2.1.33.1.8.2.0', dfl: '0' });
    expect(mibs.find((m) => m.name === 'tripplite')!.table).toBe(ietf.table);
  });

  it('the manifest lists every table file; discovery reads every sysObjectID from the tables', () => {
    const files = builtinTableFiles().map((f) => 'tables/' + f.split('/').pop());
    expect([...MANIFEST.tables].sort()).toEqual(files.sort());
    expect(MANIFEST.match).toBeUndefined();
    const oids = new Set(loadMibs(builtinTableFiles()).flatMap((m) => (m.sysOID ? [m.sysOID] : [])));
    const plugin = findDriverPlugin('snmp-ups', { nodeModules: false })!.plugin;
    expect(new Set(plugin.match.snmp!.map((m) => m.sysObjectId))).toEqual(oids);
    expect(plugin.match.snmp).toContainEqual({ sysObjectId: '.1.3.6.1.4.1.534.10.2', table: 'eaton_ats16_nm2' });
    for (const secret of ['community', 'secName', 'authPassword', 'privPassword']) expect(MANIFEST.options.properties[secret].sensitive).toBe(true);
  });

  it('eaton_ats16_nm2 is eaton_ats16_nmc with three rows replaced in place', () => {
    const mibs = loadMibs(builtinTableFiles());
    const nmc = mibs.find((m) => m.name === 'eaton_ats16_nmc')!.table.rows;
    const nm2 = mibs.find((m) => m.name === 'eaton_ats16_nm2')!.table.rows;
    expect(nm2.map((r) => r.name)).toEqual(nmc.map((r) => r.name));
    const changed = nm2.filter((r, i) => JSON.stringify(r) !== JSON.stringify(nmc[i])).map((r) => r.name);
    expect(changed).toEqual(['ups.firmware.aux', 'ambient.temperature', 'ambient.humidity']);
    expect(nm2.find((r) => r.name === 'ambient.temperature')!.len).toBe(1);
  });

  it('refuses a bad table naming the file, the row and the key', () => {
    const base = { mibs: [{ name: 'x', version: '1' }], rows: [{ name: 'ups.model', oid: '.1.2.3', string: true, stringLength: 32 }] };
    const bad = (over: object) => () => parseTable('vendor.json', { ...base, ...over });
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2.x' }] })).toThrow(/vendor\.json: rows\[0\] \(ups\.model\): "oid" must be text matching/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', flags: ['STATIK'] }] })).toThrow(/rows\[0\] \(ups\.model\): "flags.0" must be one of: OK, STATIC/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', lookup: 'nope' }] })).toThrow(/rows\[0\] \(ups\.model\): unknown lookup "nope"/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', len: 1 }] })).toThrow(/rows\[0\] \(ups\.model\): unknown key "len"/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', string: true }] })).toThrow(/rows\[0\] \(ups\.model\): missing "stringLength"/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', multiplier: 'ten' }] })).toThrow(/"multiplier" must be number/);
    expect(bad({ mibs: [] })).toThrow(/vendor\.json: mibs: /);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', convert: 'rot13' }] })).toThrow(/vendor\.json: rows\[0\] \(ups\.model\): unknown converter "rot13"/);
    expect(bad({ include: 'no_such_table' })).toThrow(/vendor\.json: include: no table named "no_such_table"/);
    expect(bad({ include: 'ietf', rows: [{ name: 'input.transfer.low', oid: '1.2' }] })).not.toThrow();
    expect(bad({ remove: ['ups.model'] })).toThrow(/remove: needs "include"/);
    expect(() => parseTable('v.json', 'nonsense')).toThrow(TableError);
  });

  it('a table from a package goes first; with the same mapping name and sysOID it replaces the shipped one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-table-'));
    try {
      const mine = join(dir, 'mine.json');
      writeFileSync(mine, JSON.stringify({ mibs: [{ name: 'ietf', version: '9', sysOID: '.1.3.6.1.2.1.33', priority: 300 }], include: 'ietf', rows: [{ name: 'ups.model', oid: '1.2', string: true, stringLength: 8 }] }));
      const mibs = loadMibs([...builtinTableFiles(), mine]);
      expect(mibs.filter((m) => m.name === 'ietf').map((m) => m.version)).toEqual(['9']);
      expect(mibs[0]).toMatchObject({ name: 'ietf', vendor: true });
      expect(mibs.map((m) => m.name).slice(1)).toEqual(NUT_ORDER.filter((n) => n !== 'ietf'));
      const rows = mibs[0].table.rows;
      expect(rows.length).toBe(mibs.find((m) => m.name === 'tripplite')!.table.rows.length);
      expect(rows.find((r) => r.name === 'ups.model')).toMatchObject({ oid: '1.2', len: 8 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an override must name a single row of the included table', () => {
    // pw has several ups.status rows (alternatives): replacing "the" one is ambiguous.
    const doc = { mibs: [{ name: 'x', version: '1' }], include: 'powerware', rows: [{ name: 'ups.status', oid: '1.2' }] };
    const pw = loadMibs(builtinTableFiles()).find((m) => m.name === 'pw')!.table.rows.filter((r) => r.name === 'ups.status').length;
    if (pw > 1) expect(() => parseTable('v.json', doc)).toThrow(/has \d+ rows of this name/);
    else expect(() => parseTable('v.json', doc)).not.toThrow();
  });

  it('a package converter named in its manifest serves its rows; an unknown name fails naming table and row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-conv-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme-mib', type: 'module', 'nut-ts': { driver: 'acme', kind: 'snmp', description: 'd', version: '1', extends: 'snmp-ups', tables: ['acme.json'], converters: 'conv.js' } }));
      writeFileSync(join(dir, 'conv.js'), 'export function acme_status(raw) { return raw === 7 ? "OB" : undefined; }\nexport const notAFunction = 3;\n');
      const table = (convert: string) => ({ mibs: [{ name: 'acme', version: '1', sysOID: '.1.3.6.1.4.1.99999' }], rows: [{ name: 'ups.model', oid: '1.2', string: true, stringLength: 8 }, { name: 'ups.status', oid: '1.3', convert }] });
      writeFileSync(join(dir, 'acme.json'), JSON.stringify(table('acme_status')));
      const mibs = await loadTableSet([...builtinTableFiles(), join(dir, 'acme.json')]);
      expect(mibs[0]).toMatchObject({ name: 'acme', vendor: true });
      const status = mibs[0].table.rows.find((r) => r.name === 'ups.status')!;
      expect(status.convert!(7, { temperatureUnit: 'unknown' })).toBe('OB');
      // the engine's own converters stay available to the package's rows
      writeFileSync(join(dir, 'acme.json'), JSON.stringify(table('iso_date')));
      await expect(loadTableSet([join(dir, 'acme.json')])).resolves.toHaveLength(1);
      writeFileSync(join(dir, 'acme.json'), JSON.stringify(table('notAFunction')));
      await expect(loadTableSet([join(dir, 'acme.json')])).rejects.toThrow(/acme\.json: rows\[1\] \(ups\.status\): unknown converter "notAFunction" for "convert" \(known: .*acme_status/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
