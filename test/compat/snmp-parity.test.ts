/**
 * snmp-ups parity: for each recording in test/fixtures/snmprec, served by snmpsim, NUT 2.8.0's
 * snmp-ups (`-d 1`) and ours (same options, same agent) publish the same variables and values;
 * where NUT detects nothing, ours refuses the device with the same message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { createSnmpUpsDriver } from '../../plugins/snmp-ups/src/index.js';
import { dumpDriver, makeInstance } from '../../plugins/snmp-ups/test/helpers/context.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'snmprec');
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.snmprec'))
  .sort()
  .map((f) => join(FIXTURES, f));

function nutDump(port: number, community: string): { status: number | null; lines: string[]; stderr: string } {
  const state = mkdtempSync(join(tmpdir(), 'nut-ts-snmp-state-'));
  try {
    const r = spawnSync(
      '/lib/nut/snmp-ups',
      ['-s', 't', '-x', `port=127.0.0.1:${port}`, '-x', `community=${community}`, '-x', 'snmp_version=v1', '-x', 'snmp_retries=1', '-d', '1', '-u', 'root'],
      { env: { ...process.env, NUT_STATEPATH: state }, encoding: 'latin1', timeout: 110_000 },
    );
    const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('Network UPS Tools - '));
    return { status: r.status, lines, stderr: r.stderr };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

describe('snmp-ups parity with NUT 2.8.0 (snmpsim, SNMP v1)', () => {
  let sim: Snmpsim;
  beforeAll(async () => {
    requireOracle('/lib/nut/snmp-ups');
    sim = await startSnmpsim(files);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  for (const file of files) {
    const community = basename(file, '.snmprec');
    it(`${community}: same variables and values`, async () => {
      const nut = nutDump(sim.port, community);
      const o = {
        port: `127.0.0.1:${sim.port}`,
        options: { community, snmp_version: 'v1', snmp_retries: '1' } as Record<string, string>,
        sensitive: ['community', 'secName', 'authPassword', 'privPassword'],
      };
      const plugin = createSnmpUpsDriver();
      const inst = makeInstance(o);
      if (nut.status !== 0) {
        const nutMsg = /No supported device detected at \[t\] \(host [^)]*\)/.exec(nut.stderr + nut.lines.join('\n'));
        expect(nutMsg, `NUT failed without the expected message: ${nut.stderr}`).not.toBeNull();
        await expect(dumpDriver(plugin, inst, o)).rejects.toThrow(nutMsg![0]);
        return;
      }
      const ours = await dumpDriver(plugin, inst, o);
      await plugin.cleanup?.(inst.ctx);
      expect(ours).toEqual(nut.lines);
    });
  }
});
