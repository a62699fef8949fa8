/** BestUPS (drivers/nutdrv_qx_bestups.c): the ID reply, model quirks, runtime, packs, voltage settings. */
import { cformat, strtod, strtol } from '../cformat.js';
import { blazer } from './blazer.js';
import { claimItems } from './claim.js';
import type { FunctionSet, QxApi, ValueFunction } from './types.js';

const statusBits = blazer.value!.blazer_process_status_bits!;
const OL = 1 << 0;
const CAL = 1 << 6;
const FSD = 1 << 11;

/** [low, boost, nominal, buck, high] by the UPS's setting index; +10 for 230 V models (E). */
const VOLTAGE_SETTINGS: Array<[number, number, number, number, number]> = [
  [96, 109, 120, 130, 146], [96, 109, 120, 138, 156], [90, 104, 120, 130, 146], [90, 104, 120, 138, 156], [90, 104, 110, 120, 130],
  [90, 104, 110, 130, 146], [90, 96, 110, 120, 130], [90, 96, 110, 130, 146], [96, 109, 128, 146, 156], [90, 104, 128, 146, 156],
  [200, 222, 240, 250, 284], [200, 222, 240, 264, 290], [188, 210, 240, 250, 284], [188, 210, 240, 264, 290], [188, 210, 230, 244, 270],
  [188, 210, 230, 250, 284], [180, 200, 230, 244, 270], [180, 200, 230, 250, 284], [165, 188, 208, 222, 244], [165, 188, 208, 244, 270],
];

const unskip = (qx: QxApi, name: string, flag: string[] = [], noflag: string[] = []): boolean => {
  const it = qx.find(name, flag, noflag);
  if (!it) return false;
  it.flags.delete('skip');
  return true;
};

const model: ValueFunction = (item, _v, qx) => {
  const v = item.value;
  const dfl = item.dfl ?? '%s';
  const names: Record<string, string> = { AX1: 'Axxium Rackmount', FOR: 'Fortress', FTC: 'Fortress Telecom', PR2: 'Patriot Pro II', PRO: 'Patriot Pro' };
  let out: string;
  if (names[v]) {
    out = cformat(dfl, names[v]);
    if (v === 'PR2' || v === 'PRO') qx.memory.set('bestups.invertedBbb', true);
  } else if (['320', '325', '520', '525', '620'].includes(v)) {
    out = `Sola ${v}`;
  } else {
    // NUT passes the format "Unknown (%s)" as the value of a %s: the model reads "Unknown (%s)".
    out = cformat(dfl, 'Unknown (%s)', v);
    qx.log(`Unknown model detected - please report this ID: '${v}'`);
  }
  if (v !== 'PRO' && v !== '320' && !unskip(qx, 'battery.runtime')) return null;
  if ((v === 'AX1' || v === '620') && !unskip(qx, 'battery.packs', [], ['setvar'])) return null;
  return out;
};

export const bestups: FunctionSet = {
  claim: { bestups_claim: (qx) => claimItems(qx, ['input.voltage', 'device.model']) },
  answer: {
    bestups_preprocess_id_answer: (item, len) => {
      if (len <= 0) return len;
      if (len < 25 || len > 27) return -1;
      const tokens = item.answer.split('\0')[0]!.split(',').filter((t) => t.length);
      let refined = '';
      tokens.forEach((t, i) => {
        if (i === 0) refined = t;
        else if (i === 1) refined += `,${t.padStart(4)}`;
        else if (i === 5) refined += `,${t.padStart(6)}`;
        else refined += `,${t}`;
      });
      if (tokens.length !== 6 || refined.length !== 28) return -1;
      item.answer = refined;
      return refined.length;
    },
  },
  value: {
    bestups_process_setvar: (item, value, qx) => {
      if (!value.length) return null;
      const val = strtod(value);
      if (item.name.toLowerCase() === 'pins_shutdown_mode' && val === qx.memory.get('bestups.pins')) {
        qx.log(`${item.name} is already set to ${cformat('%.0f', val)}`);
        return null;
      }
      return cformat(item.command ?? '', val);
    },
    bestups_process_bbb_status_bit: (item, value, qx) => {
      const st = qx.status();
      let bit = item.value;
      if (!(st & OL) || st & (CAL | FSD)) {
        if (bit[0] === '1') bit = `0${bit.slice(1)}`;
      } else if (qx.memory.get('bestups.invertedBbb')) {
        if (bit[0] === '1') bit = `0${bit.slice(1)}`;
        else if (bit[0] === '0') bit = `1${bit.slice(1)}`;
      }
      item.value = bit;
      return statusBits(item, value, qx);
    },
    bestups_manufacturer: (item) => {
      const v = item.value;
      const dfl = item.dfl ?? '%s';
      if (['AX1', 'FOR', 'FTC', 'PR2', 'PRO'].includes(v)) return cformat(dfl, 'Best Power');
      if (['325', '520', '620'].includes(v)) return cformat(dfl, 'Sola Australia');
      return cformat(dfl, 'Unknown');
    },
    bestups_model: model,
    bestups_batt_runtime: (item) => {
      if (!/^[0-9 .]*$/.test(item.value)) return null;
      return cformat(item.dfl ?? '%.0f', strtod(item.value) * 60);
    },
    bestups_batt_packs: (item, _v, qx) => {
      if (!/^[0-9 ]*$/.test(item.value)) return null;
      const out = cformat(item.dfl ?? '%d', strtol(item.value));
      return unskip(qx, 'battery.packs', ['setvar']) ? out : null;
    },
    bestups_get_pins_shutdown_mode: (item, _v, qx) => {
      if (!/^[0-9]*$/.test(item.value)) return null;
      const l = strtol(item.value);
      qx.memory.set('bestups.pins', l);
      const out = cformat(item.dfl ?? '%d', l);
      if (item.flags.has('nonut') && qx.getval(item.name) === undefined) return out;
      return unskip(qx, item.name, ['setvar']) ? out : null;
    },
    bestups_voltage_settings: (item, _v, qx) => {
      if (!/^[0-9]*$/.test(item.value)) return null;
      let index = strtol(item.value);
      if (index < 0 || index > 9) return null;
      const nominal = qx.getinfo('input.voltage.nominal') ?? qx.getinfo('output.voltage.nominal');
      if (nominal === undefined) return null;
      if (strtol(nominal) > 160) index += 10;
      const row = VOLTAGE_SETTINGS[index]!;
      const which: Record<string, number> = {
        'input.transfer.low': 0, 'input.transfer.boost.low': 0, 'input.transfer.boost.high': 1, 'input.voltage.nominal': 2,
        'output.voltage.nominal': 2, 'input.transfer.trim.low': 3, 'input.transfer.trim.high': 4, 'input.transfer.high': 4,
      };
      const col = which[item.name.toLowerCase()];
      if (col === undefined) return null;
      return cformat(item.dfl ?? '%d', row[col]!);
    },
  },
  options: {
    bestups_makevartable: {
      pins_shutdown_mode: ['value', "Set shutdown mode functionality of Pin 1 and Pin 7 on the UPS DB9 communication port (Per Best Power's EPS-0059) to n (integer, 0-6)"],
      ignoresab: ['flag', "Ignore 'Shutdown Active' bit in UPS status"],
    },
  },
};
