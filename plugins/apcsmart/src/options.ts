/** ups.conf options of apcsmart (NUT 2.8.0's addvar list) and their checks at start. */
import type { DriverContext } from '@nut-ts/core/plugin-api';

export const ALT_CABLE = '940-0095B';

const CHECKS: Array<[string, RegExp]> = [
  ['awd', /^[0-9]{1,3}$/],
  ['sdtype', /^[0-5]$/],
  ['advorder', /^([0-4]{1,5}|[Nn][Oo])$/],
  ['cshdelay', /^([0-9]\.?|[0-9]?\.[0-9])$/],
];

export interface ApcOptions {
  /** ttymode=raw: NUT's plain raw line instead of its canonical setup. */
  rawTty: boolean;
  /** cable=940-0095B: DTR on, RTS off after opening. */
  altCable: boolean;
  awd?: string;
  sdtype: number;
  /** Shutdown methods to try in order (digits 0-4), or undefined for sdtype. */
  advorder?: string;
  /** Milliseconds between U and S in the CS method. */
  cshdelayMs: number;
}

/** Reads and checks the options; a bad value stops the driver with NUT's message. */
export function readOptions(ctx: DriverContext): ApcOptions {
  for (const [name, re] of CHECKS) {
    const v = ctx.getval(name);
    if (v !== undefined && !re.test(v)) throw new Error(`invalid value (${v}) for option '${name}'`);
  }
  const advorder = ctx.getval('advorder');
  const cshdelay = ctx.getval('cshdelay');
  return {
    rawTty: ctx.getval('ttymode') === 'raw',
    altCable: (ctx.getval('cable') ?? '').toLowerCase() === ALT_CABLE.toLowerCase(),
    awd: ctx.getval('awd'),
    sdtype: Number.parseInt(ctx.getval('sdtype') ?? '0', 10) || 0,
    advorder: advorder !== undefined && advorder.toUpperCase()[0] !== 'N' ? advorder : undefined,
    cshdelayMs: cshdelay !== undefined ? Math.trunc(Number.parseFloat(cshdelay.startsWith('.') ? `0${cshdelay}` : cshdelay) * 1000) : 3500,
  };
}
