/** Voltronic-QS-Hex (drivers/nutdrv_qx_voltronic-qs-hex.c): the binary QS reply decoded to hex text. */
import { cformat } from '../cformat.js';
import type { FunctionSet } from './types.js';

/** A byte written as its bits in decimal digits (0x09 → 1001), as NUT's char_to_binary does. */
const binary = (b: number) => Number(b.toString(2));
const hex2 = (b: number) => b.toString(16).padStart(2, '0');
const HEXISH = /^[0-9A-Fa-f ]*$/;

/** strtol(s, &end, 16) twice: the two hex numbers of a field ("6C01 35"). */
function twoHex(s: string): [number, number] {
  const m = /^\s*([0-9A-Fa-f]*)\s*([0-9A-Fa-f]*)/.exec(s)!;
  return [m[1] ? parseInt(m[1], 16) : 0, m[2] ? parseInt(m[2], 16) : 0];
}

const ESCAPED: Record<number, number> = { 0x00: 0x0d, 0x01: 0x11, 0x02: 0x13, 0x03: 0x0a, 0x04: 0x20 };

export const voltronicQsHex: FunctionSet = {
  answer: {
    voltronic_qs_hex_preprocess_qs_answer: (item, len) => {
      if (len <= 0) return len;
      const a = item.answer;
      if (a[0] !== '#') return -1;
      let refined = '#';
      let token = 1;
      const byte = (i: number) => a.charCodeAt(i) & 0xff;
      const put = (b: number) => (refined += token !== 10 && token !== 11 ? hex2(b) : String(binary(b)).padStart(8, '0'));
      for (let i = 1; i < len; i++) {
        const b = byte(i);
        if (b === 0x20) {
          refined += ' ';
          token++;
          continue;
        }
        if (b === 0x28) {
          const unescaped = ESCAPED[byte(i + 1)];
          if (unescaped !== undefined) {
            refined += hex2(unescaped);
            i++;
          } else {
            put(b);
          }
          continue;
        }
        if (b === 0x0d) break;
        put(b);
      }
      if (token < 10 || token > 11 || (token === 10 && refined.length !== 46) || (token === 11 && refined.length !== 55)) return -1;
      item.answer = `${refined}\r`;
      return item.answer.length;
    },
  },
  value: {
    voltronic_qs_hex_protocol: (item, _v, qx) => {
      const v = item.value.toLowerCase();
      if (v !== 'p' && v !== 't') return null;
      const out = cformat(item.dfl ?? '%s', item.value);
      if (v === 'p') return out;
      for (const [name, flags] of [
        ['test.battery.start.quick', ['command']],
        ['output.frequency.nominal', []],
        ['battery.voltage.nominal', []],
        ['output.voltage.nominal', []],
      ] as const) {
        const it = qx.find(name, flags);
        if (!it) return null;
        it.flags.delete('skip');
      }
      return out;
    },
    voltronic_qs_hex_input_output_voltage: (item) => {
      if (!HEXISH.test(item.value)) return null;
      const [a, b] = twoHex(item.value);
      return cformat(item.dfl ?? '%.1f', Math.trunc((a * b) / 51) / 256.0);
    },
    voltronic_qs_hex_load: (item) => {
      if (!/^[0-9A-Fa-f]*$/.test(item.value)) return null;
      return cformat(item.dfl ?? '%d', item.value ? parseInt(item.value, 16) : 0);
    },
    voltronic_qs_hex_frequency: (item) => {
      if (!HEXISH.test(item.value)) return null;
      const [a, b] = twoHex(item.value);
      return cformat(item.dfl ?? '%.1f', Math.min(99.9, b / a));
    },
    voltronic_qs_hex_battery_voltage: (item) => {
      if (!HEXISH.test(item.value)) return null;
      const [a, b] = twoHex(item.value);
      return cformat(item.dfl ?? '%.2f', (a * b) / 510.0);
    },
    voltronic_qs_hex_process_ratings_bits: (item) => {
      if (!/^[01]*$/.test(item.value)) return null;
      const val = Number(item.value || '0');
      let ret: number;
      switch (item.from) {
        case 47:
          ret = val === 0 ? 50 : 60;
          break;
        case 48:
          ret = val === 0 ? 12 : val === 1 ? 24 : val === 10 ? 36 : 48;
          break;
        case 52: {
          const v = ({ 0: 110, 1: 120, 10: 220, 11: 230, 100: 240 } as Record<number, number>)[val];
          if (v === undefined) return null;
          ret = v;
          break;
        }
        default:
          return null;
      }
      return cformat(item.dfl ?? '%.1f', ret);
    },
  },
};
