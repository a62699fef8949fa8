/**
 * Synthetic recordings for compatibility tests: real recordings (test/fixtures/snmprec) with some
 * objects replaced, added or removed, to reach decoding edge cases and code paths (daisy chain)
 * that the recordings alone do not. Each variant is served under its own community.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIX = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'snmprec');
export const BASE = join(FIX, 'apc_smx750i.snmprec');
/** Variants built on another recording than the APC one. */
const BASE_OF: Record<string, string> = {
  // Eaton Marlin ePDU: the recording lacks the model object NUT probes (index 0); with it,
  // NUT 2.8.0 selects eaton_epdu: daisy-chain, templates, phase alarms, converters.
  marlin_with_model: join(FIX, 'eatonpdu_2.snmprec'),
  // The same, as a daisy chain of two: unitsPresent "0,1" and every per-unit object of unit 0
  // copied to unit 1 (another serial number).
  marlin_chain_of_two: join(FIX, 'eatonpdu_2.snmprec'),
  // Eaton (Powerware XUPS MIB): the recording lacks the model NUT probes; with it, NUT selects
  // "pw": ups.alarms walks the alarm table and maps alarm OIDs to status and alarm texts.
  marlin_sensor_c: join(FIX, 'eatonpdu_2.snmprec'),
  marlin_sensor_f: join(FIX, 'eatonpdu_2.snmprec'),
  pw_alarms: join(FIX, 'eatonups.snmprec'),
  pw_us_date: join(FIX, 'eatonups.snmprec'),
};
const XUPS = '1.3.6.1.4.1.534.1';
const MARLIN = '1.3.6.1.4.1.534.6.6.7';

/** Copies each object of Marlin unit 0 (the 15th arc) to unit 1. */
function secondUnit(map: Map<string, string>): void {
  for (const [oid, line] of [...map]) {
    const arcs = oid.split('.');
    if (!oid.startsWith(MARLIN + '.') || arcs.length < 15 || arcs[14] !== '0') continue;
    arcs[14] = '1';
    const copy = arcs.join('.');
    if (!map.has(copy)) map.set(copy, copy + '|' + line.slice(line.indexOf('|') + 1).replace('H619P44058', 'H619P44059'));
  }
}
const A = '1.3.6.1.4.1.318.1.1.1';
const IEM = '1.3.6.1.4.1.318.1.1.10.2.3.2.1';
const hex = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 37 + seed) & 0xff).toString(16).padStart(2, '0')).join('');

/** Objects replaced (value: `tag|value`) or removed (null). */
export const VARIANTS: Record<string, Record<string, string | null>> = {
  edge_strings: {
    [`${A}.1.2.3.0`]: `4x|${hex(20, 1)}`, // ups.serial: 20 binary bytes
    [`${A}.1.2.1.0`]: `4x|${hex(40, 7)}`, // ups.firmware: 40 binary bytes
    '1.3.6.1.2.1.1.6.0': '4x|41004243', // device.location: NUL inside
    '1.3.6.1.2.1.1.4.0': `4|${'contact-'.repeat(25)}`, // device.contact: 200 chars
    [`${A}.1.1.1.0`]: `4|Smart-UPS ${'X'.repeat(140)}`, // ups.model: 150 chars
    '1.3.6.1.2.1.1.1.0': '6|1.3.6.1.2.1.1.5.0', // device.description: OID pointing at sysName
    [`${IEM}.5.1`]: '2|1', // IEM unit: Celsius
  },
  edge_hex16: { [`${A}.1.2.3.0`]: `4x|${hex(16, 3)}`, [`${A}.1.2.1.0`]: `4x|${hex(32, 5)}` },
  edge_hex48: {
    [`${A}.1.2.3.0`]: `4x|${hex(48, 3)}`,
    [`${A}.1.2.1.0`]: `4x|${hex(64, 5)}`,
    '1.3.6.1.2.1.1.6.0': `4x|${hex(33, 9)}`,
    '1.3.6.1.2.1.1.4.0': `4x|${hex(42, 9)}`,
  },
  edge_numbers: {
    [`${A}.3.2.1.0`]: '4|0x1F', // input.voltage as text, hex
    [`${A}.3.2.4.0`]: '4|  077', // input.frequency as text, octal
    [`${A}.2.2.2.0`]: '6|1.3.6.1.2.1.1.3.0', // ups.temperature: OID pointing at sysUpTime
    [`${A}.4.2.1.0`]: '6|1.3.6.1.4.1.99999.42', // output.voltage: OID pointing nowhere
    [`${A}.2.2.8.0`]: '67|12345', // battery.voltage: TimeTicks
    [`${A}.4.3.3.0`]: '2|-5', // ups.load: negative on NEGINVALID|UNIQUE
    [`${A}.2.3.1.0`]: '65|999', // battery.charge: Counter32
    [`${A}.4.3.4.0`]: '70|123', // output.current: Counter64 (unhandled)
    [`${IEM}.6.1`]: '64|10.0.0.1', // ambient.humidity: IpAddress (unhandled)
    [`${A}.4.1.1.0`]: '2|99', // ups.status: lookup miss
    [`${IEM}.4.1`]: '2|77', // IEM temperature, unit missing: Fahrenheit
  },
  edge_units: {
    [`${IEM}.4.1`]: '2|-3',
    [`${IEM}.5.1`]: '2|2', // Fahrenheit
    [`${A}.2.2.3.0`]: '67|4294967295', // battery.runtime: largest TimeTicks
    [`${A}.3.2.1.0`]: '66|4294967295', // input.voltage: largest Gauge32
    [`${A}.2.2.8.0`]: '2|-2147483648', // battery.voltage: smallest Integer32
  },
  marlin_with_model: {
    '1.3.6.1.4.1.534.6.6.7.1.2.1.2.0': '4|Eaton ePDU MA 1P IN:IEC309 16A 1P OUT:20xC13 4xC19',
  },
  marlin_chain_of_two: {
    '1.3.6.1.4.1.534.6.6.7.1.2.1.2.0': '4|Eaton ePDU MA 1P IN:IEC309 16A 1P OUT:20xC13 4xC19',
    '1.3.6.1.4.1.534.6.6.7.1.1.0': '4|0,1',
  },
  // An environment sensor (EMP) on the Marlin: ambient templates and the temperature converters.
  marlin_sensor_c: {
    '1.3.6.1.4.1.534.6.6.7.1.2.1.2.0': '4|Eaton ePDU MA 1P IN:IEC309 16A 1P OUT:20xC13 4xC19',
    '1.3.6.1.4.1.534.6.8.1.1.1.0': '2|1',
    '1.3.6.1.4.1.534.6.8.1.1.3.1.1.1': '4|EMP 1',
    '1.3.6.1.4.1.534.6.8.1.1.4.1.1.1': '2|1',
    '1.3.6.1.4.1.534.6.8.1.2.3.1.3.1.1': '2|235',
    '1.3.6.1.4.1.534.6.8.1.2.5.0': '2|1',
  },
  marlin_sensor_f: {
    '1.3.6.1.4.1.534.6.6.7.1.2.1.2.0': '4|Eaton ePDU MA 1P IN:IEC309 16A 1P OUT:20xC13 4xC19',
    '1.3.6.1.4.1.534.6.8.1.1.1.0': '2|1',
    '1.3.6.1.4.1.534.6.8.1.1.3.1.1.1': '4|EMP 1',
    '1.3.6.1.4.1.534.6.8.1.1.4.1.1.1': '2|1',
    '1.3.6.1.4.1.534.6.8.1.2.3.1.3.1.1': '2|743',
    '1.3.6.1.4.1.534.6.8.1.2.5.0': '2|2',
  },
  pw_alarms: {
    [`${XUPS}.1.2.0`]: '4|9130i3000T-XL',
    [`${XUPS}.7.1.0`]: '66|3',
    [`${XUPS}.7.2.1.1.1`]: '2|1',
    [`${XUPS}.7.2.1.1.2`]: '2|2',
    [`${XUPS}.7.2.1.1.3`]: '2|3',
    [`${XUPS}.7.2.1.2.1`]: `6|${XUPS}.7.7`, // output overload
    [`${XUPS}.7.2.1.2.2`]: `6|${XUPS}.7.11`, // on bypass
    [`${XUPS}.7.2.1.2.3`]: `6|${XUPS}.7.4`, // low battery (listed without a leading dot in NUT's table)
    [`${XUPS}.7.2.1.3.1`]: '67|1000',
    [`${XUPS}.7.2.1.3.2`]: '67|2000',
    [`${XUPS}.7.2.1.3.3`]: '67|3000',
  },
  pw_us_date: {
    [`${XUPS}.1.2.0`]: '4|9130i3000T-XL',
    [`${XUPS}.2.6.0`]: '4|05/14/2019',
  },
  edge_iem_no_unit: {
    [`${IEM}.4.1`]: '2|77', // IEM temperature with no unit object: taken as Fahrenheit
    [`${IEM}.5.1`]: null,
    [`${A}.2.2.2.0`]: '2|0', // ups.temperature 0
    [`${A}.4.3.3.0`]: '66|0', // ups.load 0 (NEGINVALID only)
  },
};

function cmpOid(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export function writeVariants(dataDir: string): void {
  for (const [name, over] of Object.entries(VARIANTS)) {
    const base = readFileSync(BASE_OF[name] ?? BASE, 'latin1').split('\n').filter(Boolean);
    const map = new Map(base.map((l) => [l.split('|')[0], l]));
    if (name === 'marlin_chain_of_two') secondUnit(map);
    for (const [oid, rest] of Object.entries(over)) {
      if (rest === null) map.delete(oid);
      else map.set(oid, `${oid}|${rest}`);
    }
    const lines = [...map.values()].sort((a, b) => cmpOid(a.split('|')[0], b.split('|')[0]));
    writeFileSync(join(dataDir, `${name}.snmprec`), lines.join('\n') + '\n');
  }
}

