/** Field values as NUT reads and writes them (hidparser.c GetValue/SetValue, libhid.c). */
import type { HidObject } from './descriptor.js';

function hibit(x: bigint): bigint {
  let res = 0n;
  while (x > 0xffn) {
    x >>= 8n;
    res += 8n;
  }
  while (x) {
    x >>= 1n;
    res += 1n;
  }
  return res;
}

/** GetValue: bits LSB first from bit offset+8 (byte 0 is the report id), masked to the logical range's width, sign-extended when LogMin < 0, clamped. */
export function getLogical(buf: Uint8Array, o: Pick<HidObject, 'offset' | 'size' | 'logMin' | 'logMax'>): number {
  let value = 0n;
  let bit = o.offset + 8;
  for (let w = 0; w < o.size; w++, bit++) {
    if ((buf[bit >> 3] ?? 0) & (1 << (bit & 7))) value += 1n << BigInt(w);
  }
  const logMin = BigInt(o.logMin);
  const logMax = BigInt(o.logMax);
  const U64 = (1n << 64n) - 1n;
  const magMax = logMax >= 0n ? logMax : -(logMax + 1n);
  const magMin = logMin >= 0n ? logMin : -(logMin + 1n);
  const signbit = (1n << hibit(magMax > magMin ? magMax : magMin)) & U64;
  const mask = ((signbit - 1n) & U64) | (logMin < 0n ? signbit : 0n);
  value &= mask;
  if (logMin < 0n && (value & signbit) !== 0n) value = BigInt.asIntN(64, value | (~mask & U64));
  if (value < logMin) value = logMin;
  else if (value > logMax) value = logMax;
  return Number(value);
}

/** SetValue: writes the low `size` bits of value at the object's place in the report buffer. */
export function setLogical(buf: Uint8Array, o: Pick<HidObject, 'offset' | 'size'>, value: number): void {
  const v = BigInt.asIntN(64, BigInt(Math.trunc(value)));
  let bit = o.offset + 8;
  for (let w = 0; w < o.size; w++, bit++) {
    if ((bit >> 3) >= buf.length) break;
    if (v & (1n << BigInt(w))) buf[bit >> 3] |= 1 << (bit & 7);
    else buf[bit >> 3] &= ~(1 << (bit & 7));
  }
}

/** NUT's HID unit table: exponent corrections for units whose SI base is not the unit NUT shows. */
const UNIT_EXPONENT = new Map<number, number>([
  [0x00000000, 0],
  [0x00f0d121, 7], // volt
  [0x00100001, 0], // ampere
  [0x0000d121, 7], // VA, watt
  [0x00001001, 0], // second
  [0x00010001, 0], // kelvin
  [0x0000f001, 0], // hertz
  [0x00101001, 0], // ampere-second
]);

export function unitExponent(o: Pick<HidObject, 'unit' | 'unitExp'>): number {
  return o.unitExp - (UNIT_EXPONENT.get(o.unit) ?? 0);
}

/** exponent(10, b) as NUT computes it: repeated multiplication, so float results match. */
export function power10(b: number): number {
  if (b > 0) return 10 * power10(b - 1);
  if (b < 0) return (1 / 10) * power10(b + 1);
  return 1;
}

function physicalRange(o: HidObject): boolean {
  if (!o.havePhyMax || !o.havePhyMin || (o.phyMax === 0 && o.phyMin === 0)) return false;
  return !(o.phyMax <= o.phyMin || o.logMax <= o.logMin);
}

export function logicalToPhysical(o: HidObject, logical: number): number {
  if (!physicalRange(o)) return logical;
  const factor = (o.phyMax - o.phyMin) / (o.logMax - o.logMin);
  const physical = (logical - o.logMin) * factor + o.phyMin;
  if (physical > o.phyMax) return o.phyMax;
  if (physical < o.phyMin) return o.phyMin;
  return physical;
}

export function physicalToLogical(o: HidObject, physical: number): number {
  if (!physicalRange(o)) return Math.trunc(physical);
  const factor = (o.logMax - o.logMin) / (o.phyMax - o.phyMin);
  const logical = Math.trunc((physical - o.phyMin) * factor) + o.logMin;
  if (logical > o.logMax) return o.logMax;
  if (logical < o.logMin) return o.logMin;
  return logical;
}

/** HIDGetDataValue after the report is in the buffer. */
export function decodeValue(buf: Uint8Array, o: HidObject): number {
  return logicalToPhysical(o, getLogical(buf, o)) * power10(unitExponent(o));
}

/** HIDSetDataValue's conversion: the logical value to write for a physical one. */
export function encodeValue(o: HidObject, physical: number): number {
  return physicalToLogical(o, physical / power10(unitExponent(o)));
}
