/** nutdrv_qx's status bits: items set or clear them (`LB`, `!OL`), the driver publishes them in a fixed order. */
export const STATUS_BITS = ['OL', 'LB', 'RB', 'CHRG', 'DISCHRG', 'BYPASS', 'CAL', 'OFF', 'OVER', 'TRIM', 'BOOST', 'FSD'] as const;
export type StatusBit = (typeof STATUS_BITS)[number];

export const bit = (name: StatusBit): number => 1 << STATUS_BITS.indexOf(name);

/** update_status: `TOKEN` sets, `!TOKEN` clears; unknown tokens are ignored. */
export function updateStatus(mask: number, token: string): number {
  const clear = token.startsWith('!');
  const name = (clear ? token.slice(1) : token).toUpperCase();
  const i = STATUS_BITS.indexOf(name as StatusBit);
  if (i < 0) return mask;
  return clear ? mask & ~(1 << i) : mask | (1 << i);
}

/** ups_status_set: the tokens in NUT's order. */
export function statusTokens(mask: number): string[] {
  const out = [mask & bit('OL') ? 'OL' : 'OB'];
  for (const b of ['DISCHRG', 'CHRG', 'LB', 'OVER', 'RB', 'TRIM', 'BOOST', 'BYPASS', 'OFF', 'CAL', 'FSD'] as const) {
    if (mask & bit(b)) out.push(b);
  }
  return out;
}

/** ups_alarm_set. */
export function statusAlarms(mask: number): string[] {
  const out: string[] = [];
  if (mask & bit('RB')) out.push('Replace battery!');
  if (mask & bit('FSD')) out.push('Shutdown imminent!');
  return out;
}
