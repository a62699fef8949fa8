/** upslog format escapes (reference/clients.md §4), checked against NUT's documented output. */
import { describe, expect, it } from 'vitest';
import { compileFormat, DEFAULT_FORMAT, renderFormat, strftime } from '../../src/monitor/upslog-format.js';

const vars: Record<string, string> = { 'battery.charge': '100', 'input.voltage': '230.0', 'ups.load': '230.0', 'ups.status': 'FSD OL CHRG' };
const ctx = {
  now: new Date(2026, 10, 24, 1, 30, 48),
  hostname: 'box',
  upshost: 'ups@server',
  pid: 4242,
  getVar: async (n: string) => vars[n],
};

describe('upslog format', () => {
  it('renders the default format like NUT (NA for missing variables)', async () => {
    expect(await renderFormat(compileFormat(DEFAULT_FORMAT), ctx)).toBe('20261124 013048 100 230.0 230.0 [FSD OL CHRG] NA NA');
  });

  it('knows every escape; unknown ones, VAR without a dot and an unclosed % print INVALID', async () => {
    const out = await renderFormat(compileFormat('%% %ETIME% %HOST% %UPSHOST% %PID% %VAR ups.load% %VAR load% %FOO% %time @H:@M% tail %open'), ctx);
    expect(out).toBe(`% ${Math.floor(ctx.now.getTime() / 1000)} box ups@server 4242 230.0 INVALID INVALID 01:30 tail INVALIDopen`);
  });

  it('%t is a TAB (2.8.1+) but %time… stays the TIME escape', async () => {
    expect(await renderFormat(compileFormat('%UPSHOST%%t%VAR ups.status%'), ctx)).toBe('ups@server\tFSD OL CHRG');
  });

  it('strftime covers the usual conversions', () => {
    expect(strftime('%Y-%m-%d %H:%M:%S %j %a %b %e %y %%', ctx.now)).toBe('2026-11-24 01:30:48 328 Tue Nov 24 26 %');
  });
});
