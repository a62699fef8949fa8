/**
 * Named converters: the C functions NUT's tables point to (info_lkp_t.fun_vp2s / nuf_s2l).
 * A row names one (`convert`, `parse`); a vendor package may bring more (manifest `converters`:
 * a module whose exported functions are converters by their export names).
 */

/** Per-instance memory shared by an instance's converters (one object per engine). */
export interface ConverterState {
  /** Set by eaton_sensor_temperature_unit, read by eaton_sensor_temperature. */
  temperatureUnit: 'kelvin' | 'celsius' | 'fahrenheit' | 'unknown';
  [key: string]: unknown;
}

/** Raw value -> text (fun_vp2s). A number for integer varbinds, text for string ones. */
export type ValueConverter = (raw: number | string, state: ConverterState) => string | undefined;
/** Text -> integer (nuf_s2l). */
export type TextParser = (text: string) => number;

/** The converters rows of one table may name. */
export interface Converters {
  convert: Readonly<Record<string, ValueConverter>>;
  parse: Readonly<Record<string, TextParser>>;
}

/**
 * glibc strptime(s, "%m/%d/%Y") as far as it gets, then strftime("%Y-%m-%d") of the fields it
 * set (a zeroed struct tm otherwise): NUT formats even when parsing stops early, so
 * "2001-01-01" becomes "1900-02-00".
 */
function usDateToIso(s: string): string {
  const tm = { mon: 0, mday: 0, year: 0 };
  let p = 0;
  const number = (from: number, to: number, digits: number): number | undefined => {
    while (p < s.length && /\s/.test(s[p])) p++;
    if (!(s[p] >= '0' && s[p] <= '9')) return undefined;
    let val = 0;
    let n = digits;
    do {
      val = val * 10 + (s.charCodeAt(p++) - 48);
    } while (--n > 0 && val * 10 <= to && s[p] >= '0' && s[p] <= '9');
    return val < from || val > to ? undefined : val;
  };
  const steps: Array<() => boolean> = [
    () => {
      const v = number(1, 12, 2);
      if (v === undefined) return false;
      tm.mon = v - 1;
      return true;
    },
    () => s[p++] === '/',
    () => {
      const v = number(1, 31, 2);
      if (v === undefined) return false;
      tm.mday = v;
      return true;
    },
    () => s[p++] === '/',
    () => {
      const v = number(0, 9999, 4);
      if (v === undefined) return false;
      tm.year = v - 1900;
      return true;
    },
  ];
  for (const step of steps) if (!step()) break;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${tm.year + 1900}-${two(tm.mon + 1)}-${two(tm.mday)}`;
}

export const valueConverters: Record<string, ValueConverter> = {
  /** su_usdate_to_isodate_info_fun: "mm/dd/yyyy" -> "yyyy-mm-dd". */
  iso_date(raw) {
    return usDateToIso(String(raw));
  },
  /** eaton_sensor_temperature_unit_fun: remembers the sensor unit, publishes "celsius". */
  eaton_sensor_temperature_unit(raw, state) {
    const v = typeof raw === 'number' ? raw : Number.parseInt(raw, 10);
    state.temperatureUnit = v === 0 ? 'kelvin' : v === 1 ? 'celsius' : v === 2 ? 'fahrenheit' : 'unknown';
    return 'celsius';
  },
  /** su_temperature_read_fun: tenths of the sensor unit -> whole degrees Celsius, in C long
   * arithmetic (observed with NUT 2.8.0: 235 (C) -> "23", 743 (F) -> "23"). */
  eaton_sensor_temperature(raw, state) {
    const tenths = Math.trunc(typeof raw === 'number' ? raw : Number.parseInt(raw, 10));
    if (!Number.isFinite(tenths)) return undefined;
    const v = Math.trunc(tenths / 10);
    switch (state.temperatureUnit) {
      case 'kelvin':
        return String(v - 273);
      case 'fahrenheit':
        return String(Math.trunc(((v - 32) * 5) / 9));
      case 'celsius':
        return String(v);
      default:
        return undefined;
    }
  },
};

export const textParsers: Record<string, TextParser> = {
  /** marlin_device_count_fun: "0,3,4,5" -> 4 (commas + 1, no trailing comma). */
  marlin_device_count(list) {
    let count = 0;
    for (const c of list) if (c === ',') count++;
    if (list.length > 0 && !list.endsWith(',')) count++;
    return count;
  },
};

export const builtinConverters: Converters = { convert: valueConverters, parse: textParsers };

/** The engine's converters plus a package's module exports (functions, by export name). */
export function withPackageConverters(module: Record<string, unknown>): Converters {
  const own = Object.fromEntries(Object.entries(module).filter(([, v]) => typeof v === 'function')) as Record<string, never>;
  return { convert: { ...valueConverters, ...own }, parse: { ...textParsers, ...own } };
}
