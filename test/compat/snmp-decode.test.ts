/**
 * Value decoding edge cases, NUT 2.8.0 vs ours on the same agent: binary strings (Net-SNMP hex
 * rendering), over-long strings, numbers sent as strings (strtol base 0), TimeTicks, Counter64
 * and IpAddress (unhandled), OID values (followed, else last arc), negative values on
 * NEGINVALID|UNIQUE rows, status lookup misses, APC IEM temperature units.
 * The recordings are the APC Smart-UPS X 750 recording with some objects replaced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { createSnmpUpsDriver } from '../../plugins/snmp-ups/src/index.js';
import { dumpDriver, makeInstance } from '../../plugins/snmp-ups/test/helpers/context.js';
import { asClientsSee, DUMP_LINE, nutSnmpDump, NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';
import { BASE, VARIANTS, writeVariants } from '../../plugins/snmp-ups/test/helpers/variants.js';

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
      // NUT's driver prints a long hex dump over several lines; its upsd serves it as one, as ours does.
      const ours = await dumpDriver(plugin, inst, o);
      await plugin.cleanup?.(inst.ctx);
      expect(ours).toEqual(asClientsSee(nut.lines, DUMP_LINE));
      expect(ours.join('\n')).not.toMatch(/[^\x20-\x7f\n]/);
    });
  }
});
