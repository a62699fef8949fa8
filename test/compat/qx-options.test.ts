/**
 * ups.conf options, NUT 2.8.0's nutdrv_qx and ours on the same simulated unit: the flags
 * that skip queries or bits (norating, ignoresab), delays, pollfreq, cablepower, the
 * guesstimation settings with default.battery.voltage.*, and the settings NUT refuses.
 */
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { dumpAll, normalizeDump, oursDump, startNut, startOurs, startSim, type Sim } from './qx-harness.js';

const DUMP = join(resolve(import.meta.dirname, '..', 'fixtures', 'ddl'), 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');
const sims: Sim[] = [];
afterAll(async () => {
  for (const s of sims) await s.close();
});

describe('nutdrv_qx options (NUT and ours)', () => {
  it('norating, ignoresab, delays, pollfreq, cablepower, runtimecal with default.battery.voltage.*', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    const sim = await startSim(DUMP);
    sims.push(sim);
    sim.device.shutdownActive = true; // ignoresab must hide it
    const options = {
      protocol: 'megatec', norating: true, ignoresab: true, ondelay: '300', offdelay: '120', pollfreq: '10', cablepower: 'reverse',
      runtimecal: '240,100,720,50', chargetime: '3600', idleload: '5',
    } as const;
    const defaults: Array<[string, string]> = [['battery.voltage.low', '21'], ['battery.voltage.high', '27'], ['battery.voltage.nominal', '24']];
    const nut = await startNut(sim.pty.path, { ...options, ...Object.fromEntries(defaults.map(([k, v]) => [`default.${k}`, v])) });
    const theirs = await dumpAll(nut.socket);
    await nut.stop();
    const ours = await startOurs(sim.pty.path, { ...options }, { defaults });
    const mine = oursDump(ours.rt);
    await ours.stop();
    const t = normalizeDump(theirs) as { vars: Record<string, { value?: string }> };
    expect(t.vars['ups.status']?.value).toBe('OL');
    expect(t.vars['input.voltage.nominal']).toBeUndefined();
    expect(t.vars['ups.delay.start']?.value).toBe('300');
    expect(t.vars['battery.charge']).toBeDefined(); // battery.runtime waits for the first full poll, in both
    expect(normalizeDump(mine)).toEqual(t);
  }, 60_000);

  for (const [what, bad, message] of [
    ['runtimecal with too few numbers', { runtimecal: '240,100' }, 'Insufficient parameters for runtimecal'],
    ['an offdelay out of range', { offdelay: '700' }, "Shutdown delay '700' out of range"],
    ['an unknown cablepower', { cablepower: 'sideways' }, "Value 'sideways' not valid for 'cablepower'"],
  ] as const) {
    it(`refuses ${what} as NUT does`, async () => {
      requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
      const sim = await startSim(DUMP);
      sims.push(sim);
      const options = { protocol: 'megatec', ...bad };
      const nut = await startNut(sim.pty.path, options).then(
        async (n) => {
          await n.stop();
          return n.stderr();
        },
        (e: Error) => e.message,
      );
      expect(nut).toContain(message);
      await expect(startOurs(sim.pty.path, options)).rejects.toThrow(message);
    }, 60_000);
  }
});
