import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseCapabilities } from '../src/engine.js';
import { BUILTIN_TABLE, loadTable, parseTable } from '../src/table.js';

const schema = JSON.parse(readFileSync(new URL('../schema/apcsmart-table.schema.json', import.meta.url), 'utf8'));

describe('protocol table', () => {
  it('the shipped table follows its schema', () => {
    const ajv = new Ajv({ allErrors: true, validateFormats: false });
    const ok = ajv.validate(schema, JSON.parse(readFileSync(BUILTIN_TABLE, 'utf8')));
    expect(ajv.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('holds NUT 2.8.0 rows in their order of preference', () => {
    const t = loadTable();
    expect(t.variables).toHaveLength(46);
    const firmware = t.variables.filter((v) => v.name === 'ups.firmware').map((v) => v.char);
    expect(firmware).toEqual(['b', 'V']);
    const T = t.variables.filter((v) => v.char === 'T').map((v) => v.name);
    expect(T).toEqual(['ambient.0.temperature', 'device.uptime']);
    expect(t.commands.filter((c) => c.name === 'shutdown.return').map((c) => c.char)).toEqual(['@', 'S']);
    expect(t.compatibility.find((c) => c.firmware === '5.4.D')?.chars).toBe('@\x01ABPQRSUYbdfgjmnx9');
  });

  it('rejects rows the engine cannot use, naming them', () => {
    expect(() => parseTable('{')).toThrow(/not JSON/);
    const bad = { variables: [{ name: 'ups.load', char: 'PP' }], commands: [], compatibility: [], transferReasons: {}, unexposedChars: '', firmwareQuirks: {} };
    expect(() => parseTable(JSON.stringify(bad), 't.json')).toThrow(/t\.json: variables\[0\]/);
    bad.variables = [{ name: 'ambient.humidity', char: 'H', packed: true } as never];
    expect(() => parseTable(JSON.stringify(bad))).toThrow(/'\.0\.'/);
  });
});

describe('capability record (^Z)', () => {
  it('splits entries: char, locale, count, length, choices', () => {
    expect(parseCapabilities('#uD43127130133136lD43106103100097q44202050710')).toEqual([
      { char: 'u', locale: 'D', choices: ['127', '130', '133', '136'] },
      { char: 'l', locale: 'D', choices: ['106', '103', '100', '097'] },
      { char: 'q', locale: '4', choices: ['02', '05', '07', '10'] },
    ]);
    const [e] = parseCapabilities('#E4433361680N OFF');
    expect(e).toEqual({ char: 'E', locale: '4', choices: ['336', '168', '0N ', 'OFF'] });
  });

  it('reads the Matrix form with ## before each entry', () => {
    expect(parseCapabilities('##uI43253257261265##s441HMLA')).toEqual([
      { char: 'u', locale: 'I', choices: ['253', '257', '261', '265'] },
      { char: 's', locale: '4', choices: ['H', 'M', 'L', 'A'] },
    ]);
  });

  it('stops at an overflowing record only for firmware known to send one', () => {
    expect(() => parseCapabilities('##uI43253257261265##')).toThrow(/overflowed/);
    expect(parseCapabilities('##uI43253257261265##', true)).toHaveLength(1);
    expect(() => parseCapabilities('#u4')).toThrow(/out of range/);
    expect(() => parseCapabilities('uI41')).toThrow(/start char/);
  });
});
