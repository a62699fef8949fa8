/**
 * Decoding against NUT's own unit tests: tests/getvaluetest.c (GetValue vectors, NUT 2.8.0)
 * and tests/getexponenttest-belkin-hid.c (Liebert voltage multipliers, later NUT).
 */
import { describe, expect, it } from 'vitest';
import { getLogical, setLogical } from '../src/hid/value.js';
import { decoders, type ConverterEnv } from '../src/converters.js';

// [buf, Offset, Size, LogMin, LogMax, expectedValue] from getvaluetest.c's testData[].
const GETVALUE: Array<[string, number, number, number, number, number]> = [
  ['00 ff ff ff ff', 0, 32, -1, 2147483647, -1],
  ['00 ff', 0, 8, -1, 127, -1],
  ['00 ff', 0, 8, 0, 127, 127],
  ['00 ff', 0, 8, 0, 255, 255],
  ['33 00 0a 08 80', 0, 32, 0, 65535, 2560],
  ['00 00 08 00 00', 0, 32, 0, 65535, 2048],
  ['06 00 00 08', 0, 8, 0, 255, 0],
  ['06 00 00 08', 8, 8, 0, 255, 0],
  ['06 00 00 08', 16, 8, 0, 255, 8],
  ['16 0c 00 00 00', 0, 1, 0, 1, 0],
  ['16 0c 00 00 00', 1, 1, 0, 1, 0],
  ['16 0c 00 00 00', 2, 1, 0, 1, 1],
  ['16 0c 00 00 00', 3, 1, 0, 1, 1],
  ['16 0c 00 00 00', 4, 1, 0, 1, 0],
  ['16 0c 00 00 00', 5, 1, 0, 1, 0],
  ['16 0c 00 00 00', 6, 1, 0, 1, 0],
  ['16 0c 00 00 00', 7, 1, 0, 1, 0],
  ['16 0c 00 00 00', 8, 1, 0, 1, 0],
  ['16 0c 00 00 00', 9, 1, 0, 1, 0],
  ['16 0c 00 00 00', 10, 1, 0, 1, 0],
];

const buf = (hex: string) => new Uint8Array(hex.split(' ').map((b) => Number.parseInt(b, 16)));

describe('GetValue (NUT tests/getvaluetest.c)', () => {
  it.each(GETVALUE.map((v, i) => [i + 1, ...v] as const))('vector %i: %s at %i/%i in [%i,%i] -> %i', (_n, hex, offset, size, logMin, logMax, expected) => {
    expect(getLogical(buf(hex), { offset, size, logMin, logMax })).toBe(expected);
  });

  it('SetValue writes back what GetValue reads', () => {
    const b = buf('06 00 00 08');
    setLogical(b, { offset: 8, size: 8 }, 0x5a);
    expect(getLogical(b, { offset: 8, size: 8, logMin: 0, logMax: 255 })).toBe(0x5a);
    expect([...b]).toEqual([0x06, 0x00, 0x5a, 0x08]);
  });
});

function env(): ConverterEnv & { logs: string[] } {
  const logs: string[] = [];
  return { getinfo: () => undefined, setinfo: () => {}, delinfo: () => {}, getString: async () => '', state: {}, log: (m) => void logs.push(m), report: () => undefined, statusHas: () => false, logs };
}

// [raw, type (1 config, 2 line), expected multiplier, expected value] from getexponenttest-belkin-hid.c.
const EXPONENT: Array<[number, 1 | 2, number, number]> = [
  [0.000273, 2, 1e5, 27.3],
  [0.001212, 2, 1e5, 121.2],
  [0.002456, 2, 1e5, 245.6],
  [0.003801, 2, 1e5, 380.1],
  [0.004151, 2, 1e5, 415.1],
  [0.00000139, 2, 1e7, 13.9],
  [0.00001273, 2, 1e7, 127.3],
  [0.00002201, 2, 1e7, 220.1],
  [0.00004201, 2, 1e7, 420.1],
  [12.0, 2, 1, 12.0],
  [12.3, 2, 1, 12.3],
  [232.1, 2, 1, 232.1],
  [240.0, 2, 1, 240.0],
  [24.0, 1, 1, 24.0],
  [120.0, 1, 1, 120.0],
];

describe('Liebert voltage exponents (NUT tests/getexponenttest-belkin-hid.c)', () => {
  it.each(EXPONENT)('%f (%i) -> x%f = %f', async (raw, type, mult, value) => {
    const e = env();
    const text = await (type === 1 ? decoders.liebert_config_voltage_fun : decoders.liebert_line_voltage_fun)(raw, e);
    const got = Number.parseFloat(text!);
    const gotMult = (type === 1 ? e.state.liebertConfigVoltageMult : e.state.liebertLineVoltageMult) ?? 1;
    expect(Math.abs(got - value)).toBeLessThan(1e-9);
    expect(gotMult).toBe(mult);
  });
});

describe("converters print into NUT's C buffers", () => {
  it('cuts text at the buffer size (tripplite-hid.c: char buf[8])', async () => {
    const e = env();
    expect(await decoders.tripplite_iovolt_fun!(462596, e)).toBe('462596.');
    expect(await decoders.tripplite_iovolt_fun!(230.4, e)).toBe('230.4');
  });
});
