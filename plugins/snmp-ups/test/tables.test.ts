/** The MIB tables as data: every shipped table follows the schema, loads, and bad tables are refused clearly. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { builtinTableFiles, loadMibs, parseTable, TableError } from '../src/table.js';

const SCHEMA = JSON.parse(readFileSync(join(__dirname, '..', 'schema', 'mib-table.schema.json'), 'utf8'));
const MANIFEST = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))['nut-ts'];

/** NUT 2.8.0's detection order (reference/snmp-ups.md §2, `snmp-ups -x mibs=--list`). */
const NUT_ORDER = [
  'apc_ats', 'apc_pdu', 'apc_pdu', 'apc_pdu', 'apcc', 'baytech', 'bestpower', 'cpqpower', 'cyberpower', 'delta_ups',
  'eaton_ats16_nmc', 'eaton_ats16_nm2', 'eaton_ats30', 'eaton_epdu', 'emerson_avocent_pdu', 'aphel_revelation',
  'aphel_genesisII', 'pulizzi_switched1', 'pulizzi_switched2', 'hpe_epdu', 'huawei', 'mge', 'netvision', 'pw',
  'pxgx_ups', 'raritan', 'raritan-px2', 'xppc', 'tripplite', 'ietf',
];

describe('snmp-ups tables', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(SCHEMA);

  for (const file of builtinTableFiles()) {
    it(`${file.split('/').pop()} follows schema/mib-table.schema.json`, () => {
      const ok = validate(JSON.parse(readFileSync(file, 'utf8')));
      expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
      expect(ok).toBe(true);
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

  it('the manifest lists every table file and every sysObjectID', () => {
    const files = builtinTableFiles().map((f) => 'tables/' + f.split('/').pop());
    expect([...MANIFEST.tables].sort()).toEqual(files.sort());
    const oids = new Set(loadMibs(builtinTableFiles()).flatMap((m) => (m.sysOID ? [m.sysOID] : [])));
    expect(new Set(MANIFEST.match.snmp.map((m: { sysObjectId: string }) => m.sysObjectId))).toEqual(oids);
    for (const secret of ['community', 'secName', 'authPassword', 'privPassword']) expect(MANIFEST.options.properties[secret].sensitive).toBe(true);
  });

  it('refuses a bad table naming the file, the row and the key', () => {
    const base = { mibs: [{ name: 'x', version: '1' }], rows: [{ name: 'ups.model', oid: '.1.2.3', len: 1 }] };
    const bad = (over: object) => () => parseTable('vendor.json', { ...base, ...over });
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2.x', len: 1 }] })).toThrow(/vendor\.json: rows\[0\] \(ups\.model\): "oid" must be a numeric OID/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', len: 1, flags: ['STATIK'] }] })).toThrow(/unknown flag "STATIK"/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2', len: 1, lookup: 'nope' }] })).toThrow(/rows\[0\] \(ups\.model\): unknown lookup "nope"/);
    expect(bad({ rows: [{ name: 'ups.model', oid: '1.2' }] })).toThrow(/"len" must be a number/);
    expect(bad({ mibs: [] })).toThrow(/vendor\.json: mibs: must list at least one/);
    expect(bad({ lookups: { l: [{ value: 1, text: 'x', convert: 'rot13' }] } })).toThrow(/lookups\.l\[0\]: unknown converter "rot13"/);
    expect(() => parseTable('v.json', 'nonsense')).toThrow(TableError);
  });

  it('a later table with the same mapping name and sysOID replaces the shipped one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-table-'));
    try {
      const mine = join(dir, 'mine.json');
      writeFileSync(mine, JSON.stringify({ mibs: [{ name: 'ietf', version: '9', sysOID: '.1.3.6.1.2.1.33', priority: 300 }], rows: [{ name: 'ups.model', oid: '1.2', len: 1 }] }));
      const mibs = loadMibs([...builtinTableFiles(), mine]);
      expect(mibs.filter((m) => m.name === 'ietf').map((m) => m.version)).toEqual(['9']);
      expect(mibs.at(-1)!.name).toBe('ietf');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
