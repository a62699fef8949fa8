/**
 * Named converters: the C functions NUT's tables point to (info_lkp_t.fun_vp2s / nuf_s2l).
 * A table refers to them by name; vendor tables may use any of them.
 */

export interface ConverterState {
  /** Set by eaton_sensor_temperature_unit, read by eaton_sensor_temperature. */
  temperatureUnit: 'kelvin' | 'celsius' | 'fahrenheit' | 'unknown';
}

/** Raw value -> text (fun_vp2s). A number for integer varbinds, text for string ones. */
export type ValueConverter = (raw: number | string, state: ConverterState) => string | undefined;
/** Text -> integer (nuf_s2l). */
export type TextParser = (text: string) => number;

const usDate = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{1,4})/;

export const valueConverters: Record<string, ValueConverter> = {
  /** su_usdate_to_isodate_info_fun: "mm/dd/yyyy" -> "yyyy-mm-dd" ("" when it does not parse). */
  iso_date(raw) {
    const m = usDate.exec(String(raw));
    if (!m) return '';
    const [mm, dd, yyyy] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (mm < 1 || mm > 12 || dd < 1 || dd > 31) return '';
    return `${String(yyyy).padStart(4, '0')}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
  },
  /** eaton_sensor_temperature_unit_fun: remembers the sensor unit, publishes "celsius". */
  eaton_sensor_temperature_unit(raw, state) {
    const v = typeof raw === 'number' ? raw : Number.parseInt(raw, 10);
    state.temperatureUnit = v === 0 ? 'kelvin' : v === 1 ? 'celsius' : v === 2 ? 'fahrenheit' : 'unknown';
    return 'celsius';
  },
  /** su_temperature_read_fun: tenths of the device unit -> degrees Celsius ("%.1f"). */
  eaton_sensor_temperature(raw, state) {
    const v = (typeof raw === 'number' ? raw : Number.parseInt(raw, 10)) / 10;
    switch (state.temperatureUnit) {
      case 'kelvin':
        return (v - 273.15).toFixed(1);
      case 'fahrenheit':
        return (((v - 32) * 5) / 9).toFixed(1);
      case 'celsius':
        return v.toFixed(1);
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
