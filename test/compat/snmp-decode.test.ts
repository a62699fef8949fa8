/**
 * Value decoding edge cases, NUT 2.8.0 vs ours on the same agent: binary strings (Net-SNMP hex
 * rendering), over-long strings, numbers sent as strings (strtol base 0), TimeTicks, Counter64
 * and IpAddress (unhandled), OID values (followed, else last arc), negative values on
 * NEGINVALID|UNIQUE rows, status lookup misses, APC IEM temperature units.
 * The recordings are the APC Smart-UPS X 750 recording with some objects replaced.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { createSnmpUpsDriver } from '../../plugins/snmp-ups/src/index.js';
import { dumpDriver, makeInstance } from '../../plugins/snmp-ups/test/helpers/context.js';
import { nutSnmpDump, NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';

const BASE = join(__dirname, '..', 'fixtures', 'snmprec', 'apc_smx750i.snmprec');
const A = '1.3.6.1.4.1.318.1.1.1';
const IEM = '1.3.6.1.4.1.318.1.1.10.2.3.2.1';
const hex = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 37 + seed) & 0xff).toString(16).padStart(2, '0')).join('');

/** Objects replaced (value: `tag|value`) or removed (null). */
const VARIANTS: Record<string, Record<string, string | null>> = {
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

function writeVariants(dataDir: string): void {
  const base = readFileSync(BASE, 'latin1').split('\n').filter(Boolean);
  for (const [name, over] of Object.entries(VARIANTS)) {
    const map = new Map(base.map((l) => [l.split('|')[0], l]));
    for (const [oid, rest] of Object.entries(over)) {
      if (rest === null) map.delete(oid);
      else map.set(oid, `${oid}|${rest}`);
    }
    const lines = [...map.values()].sort((a, b) => cmpOid(a.split('|')[0], b.split('|')[0]));
    writeFileSync(join(dataDir, `${name}.snmprec`), lines.join('\n') + '\n');
  }
}

describe('snmp-ups value decoding, NUT 2.8.0 vs ours', () => {
  let sim: Snmpsim;
  beforeAll(async () => {
    requireOracle(NUT_SNMP_UPS);
    sim = await startSnmpsim([BASE], [], writeVariants);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  for (const name of Object.keys(VARIANTS)) {
    it(`${name}: same -d 1 dump`, async () => {
      const port = `127.0.0.1:${sim.port}`;
      const options = { community: name, snmp_version: 'v1', snmp_retries: '1' };
      const nut = nutSnmpDump(port, options);
      expect(nut.status, nut.output).toBe(0);
      const o = { port, options, sensitive: ['community'] };
      const plugin = createSnmpUpsDriver();
      const inst = makeInstance(o);
      // NUT prints values as they are: a value with a newline spans two lines of its output.
      const ours = (await dumpDriver(plugin, inst, o)).flatMap((l) => l.split('\n')).filter((l) => l !== '');
      await plugin.cleanup?.(inst.ctx);
      expect(ours).toEqual(nut.lines);
    });
  }
});
