/**
 * Each protocol the simulator speaks (not only the ones the library's dumps were taken with):
 * one dump served as megatec/old, mustek, q1, zinto, hunnox, voltronic-qs, voltronic-qs-hex, mecer and bestups. NUT
 * 2.8.0's nutdrv_qx detects that protocol (with protocol= and, for one, without), and ours
 * publishes the same tree.
 */
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SimulatedProtocol } from '../../plugins/nutdrv_qx/src/simulator/dump.js';
import { requireOracle } from '../helpers/oracle.js';
import { dumpAll, normalizeDump, oursDump, startNut, startOurs, startSim, type Sim } from './qx-harness.js';

const DUMP = join(resolve(import.meta.dirname, '..', 'fixtures', 'ddl'), 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');
const VERSIONS: Record<string, string> = {
  'megatec/old': 'Megatec/old 0.07', mustek: 'Mustek 0.07', q1: 'Q1 0.07', zinto: 'Zinto 0.06', hunnox: 'Hunnox 0.01', 'voltronic-qs': 'Voltronic-QS 0.07', mecer: 'Mecer 0.07', bestups: 'BestUPS 0.06', 'voltronic-qs-hex': 'Voltronic-QS-Hex 0.10',
};
const sims: Sim[] = [];
afterAll(async () => {
  for (const s of sims) await s.close();
});

describe('nutdrv_qx protocols on the simulator (NUT and ours)', () => {
  for (const [protocol, version] of Object.entries(VERSIONS)) {
    for (const detect of protocol === 'voltronic-qs' ? [true, false] : [false]) {
      it(`${protocol}${detect ? ' (detected without protocol=)' : ''}`, async () => {
        requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
        const sim = await startSim(DUMP, protocol as SimulatedProtocol);
        sims.push(sim);
        const options: Record<string, string> = detect ? {} : { protocol };
        const nut = await startNut(sim.pty.path, options);
        const theirs = await dumpAll(nut.socket);
        await nut.stop();
        expect(nut.stderr()).toContain(`Using protocol: ${version}`);
        const ours = await startOurs(sim.pty.path, options);
        const mine = oursDump(ours.rt);
        await ours.stop();
        expect(ours.logs).toContain(`Using protocol: ${version}`);
        const t = normalizeDump(theirs) as { vars: Record<string, unknown> };
        expect(Object.keys(t.vars).length).toBeGreaterThan(10);
        expect(normalizeDump(mine)).toEqual(t);
      }, 60_000);
    }
  }
});
