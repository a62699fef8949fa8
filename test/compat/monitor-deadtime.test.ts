/**
 * upsd stops answering. On battery, a UPS not heard from for more than DEADTIME seconds is
 * taken as OB LB (critical) and the host shuts down; on line only COMMBAD and NOCOMM follow.
 * Bounds come from the configured seconds (NUT compares whole seconds with time()).
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { COMBOS, loggedIn, seq, setSeq, startStack, startUpsmon, types, waitFor, type Stack } from './monitor-harness.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

const results = new Map<string, { onBattery: string[]; onLine: string[] }>();
const record = (key: string, field: 'onBattery' | 'onLine', value: string[]) => {
  const r = results.get(key) ?? { onBattery: [], onLine: [] };
  r[field] = value;
  results.set(key, r);
};

const DEADTIME = 5;
const POLLFREQALERT = 1;

describe.each(COMBOS)('upsd %s, upsmon %s', (upsd, impl) => {
  it('on battery: COMMBAD, then after DEADTIME the UPS is critical and the host shuts down', async () => {
    stack = await startStack(upsd, { u1: seq('OL') });
    const m = startUpsmon(stack, {
      name: 'primary',
      impl,
      split: true,
      body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 2\nPOLLFREQALERT ${POLLFREQALERT}\nDEADTIME ${DEADTIME}\nHOSTSYNC 5\nFINALDELAY 0`,
    });
    await waitFor(() => loggedIn(m), 'logged in');
    setSeq(stack, 'u1', seq('OB DISCHRG', 50));
    await waitFor(() => types(m).includes('ONBATT'), 'ONBATT');
    await stack.stopServer();
    expect(await m.exit).toBe(0);
    expect(existsSync(m.marker)).toBe(true);
    expect(m.order()).toEqual(['ONBATT', 'COMMBAD', 'SHUTDOWN']);
    const at = (t: string) => m.notes().find((n) => n.type === t)!.t;
    // the last good poll was at most POLLFREQALERT before COMMBAD; promotion needs more than
    // DEADTIME whole seconds since it
    expect(at('SHUTDOWN') - at('COMMBAD')).toBeGreaterThan(DEADTIME - POLLFREQALERT - 1);
    record(`${upsd}/${impl}`, 'onBattery', m.order());
  });

  it('on line: only COMMBAD and then NOCOMM every NOCOMMWARNTIME, no shutdown after DEADTIME', async () => {
    stack = await startStack(upsd, { u1: seq('OL') });
    const m = startUpsmon(stack, {
      name: 'primary',
      impl,
      split: true,
      body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1\nPOLLFREQALERT 1\nDEADTIME 3\nNOCOMMWARNTIME 2\nHOSTSYNC 5\nFINALDELAY 0`,
    });
    await waitFor(() => loggedIn(m), 'logged in');
    await stack.stopServer();
    // two NOCOMM notices are more than 2 × NOCOMMWARNTIME (> DEADTIME) after the last poll
    await waitFor(() => types(m).filter((t) => t === 'NOCOMM').length >= 2, 'two NOCOMM');
    expect(m.exitCode()).toBeUndefined();
    expect(existsSync(m.marker)).toBe(false);
    const order = m.order();
    expect(order.slice(0, 3)).toEqual(['COMMBAD', 'NOCOMM', 'NOCOMM']);
    expect(order).not.toContain('SHUTDOWN');
    record(`${upsd}/${impl}`, 'onLine', order.slice(0, 3));
  });
});

describe('all runs agree with NUT on NUT', () => {
  it('same notifications in the same order', () => {
    const ref = results.get('nut/nut');
    expect(ref).toBeDefined();
    for (const [key, r] of results) expect(r, key).toEqual(ref);
    expect(results.size).toBe(COMBOS.length);
  });
});
