/**
 * Converters the tables name (NUT's info_lkp_t fun/nuf pairs): value → text for reading,
 * text → value for writing. Scale factors some subdrivers learn at claim time live in the
 * instance's `state`, never in module variables.
 */
import { atol, cFixed } from './format.js';

export interface ConverterEnv {
  getinfo(name: string): string | undefined;
  setinfo(name: string, value: string): void;
  delinfo(name: string): void;
  /** USB string descriptor by index ('' when the device has none). */
  getString(index: number): Promise<string>;
  /** Per-instance values set by claim quirks and converters (scales, detected types). */
  state: Record<string, number>;
  log(message: string): void;
}

export type Decode = (value: number, env: ConverterEnv) => string | undefined | Promise<string | undefined>;
export type Encode = (text: string | undefined, env: ConverterEnv) => number;

const long = (v: number) => Math.trunc(v);
const two = (n: number) => String(n).padStart(2, '0');
const scaled = (key: string, digits: number, dflt = 1): Decode => (v, env) => cFixed((env.state[key] ?? dflt) * v, digits);

export const decoders: Record<string, Decode> = {
  // usbhid-ups.c
  date_conversion_fun(v) {
    if (long(v) === 0) return 'not set';
    const n = long(v);
    return `${String(1980 + (n >> 9)).padStart(4, '0')}/${two((n >> 5) & 0x0f)}/${two(n & 0x1f)}`;
  },
  hex_conversion_fun: (v) => (BigInt.asUintN(64, BigInt(long(v)))).toString(16).padStart(8, '0'),
  stringid_conversion_fun: (v, env) => env.getString(long(v)),
  divide_by_10_conversion_fun: (v) => cFixed(v * 0.1, 1),
  kelvin_celsius_conversion_fun: (v) => (v >= 273 && v <= 373 ? cFixed(v - 273.15, 1) : cFixed(v, 1)),

  // apc-hid.c: hexadecimal-as-decimal date, 0x102202 = 2002/10/22
  apc_date_conversion_fun(v) {
    const n = long(v);
    if (n === 0) return 'not set';
    let year = (n & 0xf) + 10 * ((n >> 4) & 0xf);
    const month = ((n >> 16) & 0xf) + 10 * ((n >> 20) & 0xf);
    const day = ((n >> 8) & 0xf) + 10 * ((n >> 12) & 0xf);
    year += year >= 70 ? 1900 : 2000;
    return `${String(year).padStart(4, '0')}/${two(month)}/${two(day)}`;
  },

  // belkin-hid.c
  belkin_firmware_conversion_fun: (v) => String(long(v) >> 4),
  belkin_upstype_conversion_fun: (v) =>
    ({ 1: 'offline', 2: 'line-interactive', 3: 'simple online', 4: 'simple offline', 5: 'simple line-interactive' })[long(v) & 0x0f] ?? 'online',
  belkin_sensitivity_conversion_fun: (v) => ({ 1: 'reduced', 2: 'low' })[long(v)] ?? 'normal',
  liebert_config_voltage_fun(v, env) {
    if (v < 1) {
      if (Math.abs(v - 1e-7) < 1e-9) {
        env.state.liebertConfigVoltageMult = 1e8;
        env.state.liebertLineVoltageMult = 1e7;
      } else env.log('ConfigVoltage exponent looks wrong, but not correcting.');
    }
    return cFixed(v * (env.state.liebertConfigVoltageMult ?? 1), 1);
  },
  // Later NUT's scale detection (getexponenttest-belkin-hid.c): 2.8.0 compared against 1e-7
  // only and published 0.0 for units that report 0.000273 for 27.3 V.
  liebert_line_voltage_fun(v, env) {
    if (v < 1) {
      if (Math.abs(v - 1e-5) < 4 * 1e-5) env.state.liebertLineVoltageMult = 1e7;
      else if (Math.abs(v - 1e-3) < 4 * 1e-3) env.state.liebertLineVoltageMult = 1e5;
      else env.log('LineVoltage exponent looks wrong, but not correcting.');
    }
    return cFixed(v * (env.state.liebertLineVoltageMult ?? 1), 1);
  },

  // cps-hid.c: some units report the battery voltage 1.5 times too high
  cps_battvolt_fun(v, env) {
    if (env.state.cpsMightNeedBatteryScale && !env.state.cpsBatteryScaleChecked) {
      const nominal = Number.parseFloat(env.getinfo('battery.voltage.nominal') ?? '');
      if (Number.isFinite(nominal) && nominal !== 0) {
        if (v / nominal > 1.4) {
          env.log('cps_adjust_battery_scale: battery readings will be scaled by 2/3');
          env.state.cpsBatteryScale = 2.0 / 3;
        }
        env.state.cpsBatteryScaleChecked = 1;
      }
    }
    return cFixed((env.state.cpsBatteryScale ?? 1) * v, 1);
  },
  cps_battcharge_fun: (v) => cFixed(v < 100 ? v : 100, 0),

  // delta_ups-hid.c
  delta_ups_type_fun(v) {
    let type = long(v) & 0xf;
    if (type === 6) type = 4;
    else if (type > 2 && type <= 5) type -= 2;
    return ['online', 'offline', 'line-interactive', '3-phase', 'split-phase'][type];
  },

  // legrand-hid.c
  legrand_times10: (v) => cFixed(v * 10, 1),
  legrand_times100k: (v) => cFixed(v * 100000, 1),
  legrand_times1M: (v) => cFixed(v * 1000000, 1),
  legrand_times10M: (v) => cFixed(v * 10000000, 1),

  // tripplite-hid.c
  tripplite_chemistry_fun(v, env) {
    const pid = env.getinfo('ups.productid');
    if (pid === '1003' || pid === '2005') return 'unknown';
    return env.getString(long(v));
  },
  tripplite_battvolt_fun: scaled('trippliteBatteryScale', 1),
  tripplite_iovolt_fun: scaled('trippliteIoVoltageScale', 1),
  tripplite_iofreq_fun: scaled('trippliteIoFrequencyScale', 1),
  tripplite_ioamp_fun: scaled('trippliteIoCurrentScale', 1),

  // powercom-hid.c: delays in swapped-byte minutes
  powercom_startup_fun(v) {
    const i = long(v) & 0xffff;
    return String(60 * (((i & 0x00ff) << 8) + (i >> 8)));
  },
  powercom_shutdown_fun(v) {
    const i = long(v) & 0xffff;
    return String(60 * (i & 0x00ff) + (i >> 8));
  },
  powercom_voltage_conversion_fun: (v) => cFixed(v * 4, 0),

  // openups-hid.c
  openups_scale_vin_fun: scaled('openupsVinScale', 2),
  openups_scale_vout_fun: scaled('openupsVoutScale', 2),
  openups_scale_vbat_fun: scaled('openupsVbatScale', 2, 1),
  openups_scale_ccharge_fun: scaled('openupsCchargeScale', 3),
  openups_scale_cdischarge_fun: scaled('openupsCdischargeScale', 3),

  // mge-hid.c (the ones that need no model detection)
  mge_powerfactor_conversion_fun: (v) => cFixed(v / 100, 2),
  mge_battery_capacity_fun: (v) => cFixed(v / 3600, 2),
  mge_date_conversion_fun(v) {
    const d = new Date(long(v) * 1000);
    return `${String(d.getFullYear()).padStart(4, '0')}/${two(d.getMonth() + 1)}/${two(d.getDate())}`;
  },
  mge_time_conversion_fun(v) {
    const d = new Date(long(v) * 1000);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  },
};

export const encoders: Record<string, Encode> = {
  date_conversion_reverse(text) {
    const m = /^\s*([+-]?\d{1,4})\/?(\d{0,2})\/?(\d{0,2})/.exec(text ?? '');
    const [year, month, day] = m ? [Number(m[1]), Number(m[2] || 0), Number(m[3] || 0)] : [0, 0, 0];
    if (year - 1980 > 127 || month > 12 || day > 31) return 0;
    return ((year - 1980) << 9) + (month << 5) + day;
  },
  apc_date_conversion_reverse(text) {
    const m = /^\s*([+-]?\d{1,4})\/?(\d{0,2})\/?(\d{0,2})/.exec(text ?? '');
    let [year, month, day] = m ? [Number(m[1]), Number(m[2] || 0), Number(m[3] || 0)] : [0, 0, 0];
    if (year >= 2070 || month > 12 || day > 31) return 0;
    year %= 100;
    let date = (((year / 10) & 0x0f) << 4) + (year % 10);
    date += (((month / 10) & 0x0f) << 20) + ((month % 10) << 16);
    date += (((day / 10) & 0x0f) << 12) + ((day % 10) << 8);
    return date;
  },
  powercom_startup_nuf(text, env) {
    const iv = Math.trunc(atol(text ?? env.getinfo('ups.delay.start') ?? '') / 60);
    if (iv < 0 || iv > 0xffff) return 0;
    return ((iv << 8) & 0xffff) + (iv >> 8);
  },
  powercom_shutdown_nuf(text, env) {
    const iv = atol(text ?? env.getinfo('ups.delay.shutdown') ?? '');
    if (iv < 0 || iv > 0xffff) return 0;
    const val = iv || 1;
    return ((((val % 60) << 8) & 0xffff) + Math.trunc(val / 60)) | 0x4000;
  },
  powercom_stayoff_nuf(text, env) {
    const iv = atol(text ?? env.getinfo('ups.delay.shutdown') ?? '');
    if (iv < 0 || iv > 0xffff) return 0;
    const val = iv || 1;
    return ((((val % 60) << 8) & 0xffff) + Math.trunc(val / 60)) | 0x8000;
  },
};
