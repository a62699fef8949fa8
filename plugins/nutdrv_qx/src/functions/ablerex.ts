/** Ablerex (drivers/nutdrv_qx_ablerex.c): binary Q5/At/TR replies, battery tables, its own status bits. */
import { cformat, strtod } from '../cformat.js';
import type { FunctionSet } from './types.js';

const ONLINE_V = [2.22, 2.21, 2.2, 2.19, 2.18, 2.17, 2.16, 2.15, 2.14, 2.13, 2.12, 2.11, 2.1, 2.09, 2.08, 2.07, 2.06, 2.05, 2.04, 2.03, 2.02, 2.01, 2.0, 1.99, 1.98, 1.97, 1.96, 1.95, 1.94, 1.93, 1.92, 1.91, 1.9, 1.89, 1.88, 1.87, 1.86, 1.85, 1.84, 1.83, 1.82, 1.81, 1.8, 1.79, 1.78, 1.77, 1.76, 1.75, 1.74, 1.73, 1.72, 1.71, 1.7, 1.69, 1.68, 1.67];
const ONLINE_C = [100, 90, 88, 87, 85, 83, 82, 80, 78, 77, 75, 73, 72, 70, 68, 65, 65, 62, 62, 58, 58, 55, 55, 53, 52, 50, 48, 47, 45, 43, 42, 40, 38, 37, 35, 33, 32, 30, 28, 27, 25, 23, 22, 20, 18, 17, 15, 13, 12, 10, 8, 7, 5, 3, 2, 0, -1];
const OFFLINE_V = [13.5, 13.3, 13.2, 13.1, 13, 12.9, 12.8, 12.7, 12.6, 12.5, 12.4, 12.3, 12.2, 12.1, 12, 11.9, 11.8, 11.7, 11.6, 11.5, 11.4, 11.3, 11.2, 11.1, 11, 10.9, 10.8, 10.7, 10.6, 10.5, 10.4, 10.3, 10.2, 10.1, 10];
const OFFLINE_C = [100, 90, 88, 86, 83, 80, 77, 74, 72, 69, 66, 63, 61, 58, 55, 52, 49, 47, 44, 41, 38, 36, 33, 30, 27, 24, 22, 19, 16, 13, 11, 8, 5, 2, 0, -1];

/** Charge from a cell (below 3 V) or 12 V block voltage, by NUT's tables. */
function chargeOf(v: number): number {
  const [volts, charges] = v < 3.0 ? [ONLINE_V, ONLINE_C] : [OFFLINE_V, OFFLINE_C];
  for (let i = 0; charges[i]! > 0; i++) if (v >= volts[i]!) return charges[i]!;
  return 0;
}

const word = (s: string, i: number) => (s.charCodeAt(i) & 0xff) * 256 + (s.charCodeAt(i + 1) & 0xff);

export const ablerex: FunctionSet = {
  value: {
    ablerex_Q5: (item, _v, qx) => {
      const a = item.answer;
      const fout = word(a, 1);
      qx.memory.set('ablerex.vb', word(a, 7));
      qx.memory.set('ablerex.vbc', word(a, 9));
      qx.setinfo('output.frequency', cformat('%.1f', 0.1 * fout));
      qx.setinfo('ups.alarm', String(word(a, 13)));
      qx.setinfo('output.current', cformat('%.1f', 0.1 * word(a, 15)));
      return cformat('%.1f', fout * 0.1);
    },
    ablerex_battery: (item, _v, qx) => {
      const battV = strtod(item.value);
      const nominal = qx.getinfo('battery.voltage.nominal');
      if (nominal === undefined) return cformat('%.2f', battV);
      const nom = strtod(nominal);
      const vb = (qx.memory.get('ablerex.vb') as number | undefined) ?? -1;
      const act = vb > 0 ? (vb * nom) / 1200 : battV > 3.0 ? battV : (battV * 6 * nom) / 12;
      return cformat('%.2f', act);
    },
    ablerex_batterycharge: (item, _v, qx) => {
      let battV = strtod(item.value);
      const nominal = qx.getinfo('battery.voltage.nominal');
      if (nominal === undefined) return '100';
      if (battV > 3.0) battV = battV / (strtod(nominal) / 12);
      return String(chargeOf(battV));
    },
    ablerex_initbattery: (item, _v, qx) => {
      const nom = strtod(qx.getinfo('battery.voltage.nominal'));
      const vbc = (qx.memory.get('ablerex.vbc') as number | undefined) ?? -1;
      const low = vbc > 0 ? (vbc * nom) / 1200 : (960 * nom) / 1200;
      const high = (1365 * nom) / 1200;
      if (item.from === 1) return cformat('%.2f', low);
      if (item.from === 2) return cformat('%.2f', high);
      return null;
    },
    ablerex_At: (item) => {
      const a = item.answer;
      const b = (i: number) => a.charCodeAt(i) & 0xff;
      // int arithmetic as in C (wraps at 32 bits).
      return String((b(1) * 65536 * 256 + b(2) * 65536 + b(3) * 256 + b(4)) | 0);
    },
    ablerex_TR: (item) => item.answer.slice(1, 5).split('\0')[0]!,
    ablerex_process_status_bits: (item, _v, qx) => {
      switch (item.from) {
        case 40:
          if (item.value[0] === '1') {
            const vi = strtod(qx.getinfo('input.voltage'));
            const vo = strtod(qx.getinfo('output.voltage'));
            if (item.value[2] === '1') {
              if (vo < 0.5 * vi) return null;
              if (vo < 0.95 * vi) qx.statusSet('TRIM');
              else if (vo < 1.05 * vi) qx.statusSet('BYPASS');
              else if (vo < 1.5 * vi) qx.statusSet('BOOST');
              else return null;
            } else {
              qx.statusSet('BYPASS');
            }
          }
          return '';
        case 41:
          if (item.value[0] === '1') qx.statusSet('RB');
          if (strtod(qx.getinfo('output.voltage')) < 50.0) qx.statusSet('OFF');
          return '';
        default:
          return null;
      }
    },
  },
};
