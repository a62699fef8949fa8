/** The shipped tables: valid against the schema, and every name a table uses exists. */
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { decoders, encoders } from '../src/converters.js';
import { claimHooks, descriptorFixes, identityFormats } from '../src/quirks.js';
import { builtinTableFiles, loadTables, sharedTables, type Lookup, type SubdriverTable } from '../src/table.js';
import { UsageTable } from '../src/hid/usages.js';

const schema = JSON.parse(readFileSync(new URL('../schema/hid-table.schema.json', import.meta.url), 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Converters of NUT 2.8.0 that need model detection not yet carried over; rows using them publish nothing. */
export const NOT_YET: ReadonlySet<string> = new Set<string>([]);

describe('usbhid-ups tables', () => {
  const files = builtinTableFiles();
  const validate = new Ajv({ allErrors: true, strictTuples: false }).compile(schema);

  it('ships the generic table and the 16 subdrivers of NUT 2.8.0, all named in the manifest', () => {
    const set = loadTables(files);
    expect(set.subdrivers.map((s) => s.subdriver)).toEqual([
      'explore', 'mge', 'apc', 'arduino', 'belkin', 'cps', 'delta_ups', 'ever', 'idowell', 'legrand', 'liebert', 'openups', 'powercom', 'powervar', 'salicru', 'tripplite',
    ]);
    expect(pkg['nut-ts'].tables.map((t: string) => t.replace('tables/', '')).sort()).toEqual(files.map((f) => f.replace(/.*\//, '')).sort());
  });

  it.each(files.map((f) => [f.replace(/.*\//, ''), f]))('%s is valid against the table schema', (_n, f) => {
    const ok = validate(JSON.parse(readFileSync(f, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('instances share one loaded table set; a table file changed on disk is read again', () => {
    expect(sharedTables(files)).toBe(sharedTables([...files]));
    const dir = mkdtempSync(join(tmpdir(), 'hid-tables-'));
    try {
      const vendorFile = join(dir, 'example-ups.json');
      const original = readFileSync(new URL('./fixtures/vendor-hid/example-ups.json', import.meta.url), 'utf8');
      writeFileSync(vendorFile, original);
      const withVendor = [vendorFile, ...files];
      const first = sharedTables(withVendor);
      expect(sharedTables(withVendor)).toBe(first);
      const table = JSON.parse(original) as SubdriverTable;
      writeFileSync(vendorFile, JSON.stringify({ ...table, version: `${table.version}-edited` }));
      utimesSync(vendorFile, new Date(), new Date(Date.now() + 5_000));
      const second = sharedTables(withVendor);
      expect(second).not.toBe(first);
      expect(second.subdrivers.find((s) => s.subdriver === table.subdriver)?.version).toBe(`${table.version}-edited`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the example vendor table (test/fixtures/vendor-hid) is valid too', () => {
    const t = JSON.parse(readFileSync(new URL('./fixtures/vendor-hid/example-ups.json', import.meta.url), 'utf8'));
    expect(validate(t), JSON.stringify(validate.errors)).toBe(true);
  });

  it('every lookup, converter, quirk and identity function a table names exists (or is listed as not yet carried over)', () => {
    const set = loadTables(files);
    const missing: string[] = [];
    const notYetUsed = new Set<string>();
    for (const s of set.subdrivers as SubdriverTable[]) {
      const lookups: Record<string, Lookup> = { ...set.generic.lookups, ...s.lookups };
      for (const r of s.rows ?? []) if (r.lookup && !lookups[r.lookup]) missing.push(`${s.subdriver}: lookup ${r.lookup}`);
      for (const l of Object.values(lookups)) {
        if (!('converter' in l)) continue;
        for (const [fn, have] of [[l.decode, decoders], [l.encode, encoders]] as const) {
          if (!fn || fn in have) continue;
          if (NOT_YET.has(fn)) notYetUsed.add(fn);
          else missing.push(`${s.subdriver}: converter ${fn}`);
        }
      }
      for (const id of s.claim.ids ?? []) if (id.hook && !claimHooks[id.hook]) missing.push(`${s.subdriver}: claim hook ${id.hook}`);
      if (s.fixReportDesc && !descriptorFixes[s.fixReportDesc]) missing.push(`${s.subdriver}: fix ${s.fixReportDesc}`);
      for (const k of ['mfr', 'model', 'serial'] as const) {
        const fn = s.identity?.[k];
        if (fn && !identityFormats[fn]) missing.push(`${s.subdriver}: identity ${fn}`);
      }
    }
    expect(missing).toEqual([]);
    // The list shrinks as converters are carried over; an entry nobody uses is stale.
    expect([...NOT_YET].filter((f) => !notYetUsed.has(f))).toEqual([]);
  });

  it('every row path resolves to usage names the subdriver knows', () => {
    const set = loadTables(files);
    const unresolved: string[] = [];
    for (const s of set.subdrivers) {
      const u = new UsageTable([...(s.usages ?? []), ...set.generic.usages]);
      for (const r of s.rows ?? []) {
        const tokens = r.path.split('.');
        if (u.parsePath(r.path).length !== tokens.length) unresolved.push(`${s.subdriver}: ${r.path}`);
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('transcribes NUT facts: APC claims 051d:0002 with its quirk, generic Power Device and Battery System names', () => {
    const set = loadTables(files);
    const apc = set.subdrivers.find((s) => s.subdriver === 'apc')!;
    expect(apc.version).toBe('APC HID 0.98');
    expect(apc.claim.ids).toContainEqual({ vendorId: '051d', productId: '0002', hook: 'general_apc_check' });
    const u = new UsageTable(set.generic.usages);
    expect(u.usage('RemainingCapacity')).toBe(0x00850066);
    expect(u.usage('PowerSummary')).toBe(0x00840024);
    expect(u.formatPath([0x00840004, 0x00ff0001, 0xff860016])).toBe('UPS.[1].ff860016');
  });
});
