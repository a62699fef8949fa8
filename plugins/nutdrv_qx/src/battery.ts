/**
 * battery.charge / battery.runtime guesstimation as nutdrv_qx does it (qx_initbattery,
 * qx_battery, qx_load and the end of a full walk): charge from the battery voltage between
 * battery.voltage.low/high, runtime from `runtimecal` integrated over time on battery and
 * recharged over `chargetime` on line.
 */
import { cformat, strtod, strtol } from './cformat.js';

export interface BatteryHost {
  getinfo(name: string): string | undefined;
  setinfo(name: string, value: string): void;
  getval(name: string): string | undefined;
  log(message: string): void;
  /** Seconds (NUT's time()). */
  now(): number;
}

/** A setting NUT's driver refuses (fatalx). */
export class BatterySettingError extends Error {}

export class BatteryEstimator {
  packs = 1;
  runtime = { act: -1, nom: -1, est: 0, exp: 0 };
  volt = { act: -1, high: -1, nom: -1, low: -1 };
  charge = { act: -1, time: 43200 };
  load = { act: 0, low: 0.1, eff: 1 };
  private lastpoll = 0;

  constructor(private readonly host: BatteryHost) {}

  /** qx_battery: actual voltage and the voltage-based charge when the UPS gives none. */
  battery(): boolean {
    const val = this.host.getinfo('battery.voltage');
    if (val === undefined) return false;
    this.volt.act = this.packs * strtod(val);
    if (this.charge.act === -1 && this.volt.low > 0 && this.volt.high > this.volt.low) {
      let c = (100 * (this.volt.act - this.volt.low)) / (this.volt.high - this.volt.low);
      c = Math.min(100, Math.max(0, c));
      this.charge.act = c;
      this.host.setinfo('battery.charge', cformat('%.0f', c));
    }
    return true;
  }

  private loadEffective(): boolean {
    const val = this.host.getinfo('ups.load');
    if (val === undefined) return false;
    this.load.act = strtod(val);
    this.load.eff = Math.pow(this.load.act / 100, this.runtime.exp);
    if (this.load.eff < this.load.low) this.load.eff = this.load.low;
    return true;
  }

  /** qx_initbattery, after the INIT walk. */
  init(): void {
    const h = this.host;
    if (h.getinfo('battery.charge') !== undefined && h.getinfo('battery.runtime') !== undefined) return;
    let val = h.getinfo('battery.voltage.high');
    if (val !== undefined) this.volt.high = strtod(val);
    val = h.getinfo('battery.voltage.low');
    if (val !== undefined) this.volt.low = strtod(val);
    val = h.getinfo('battery.voltage.nominal');
    if (val !== undefined) this.volt.nom = strtod(val);

    if (this.volt.nom !== -1 && (this.volt.low === -1 || this.volt.high === -1)) {
      h.log('No values for battery high/low voltages');
      this.volt.low = (104 * this.volt.nom) / 120;
      this.volt.high = (130 * this.volt.nom) / 120;
      h.setinfo('battery.voltage.low', cformat('%.2f', this.volt.low));
      h.setinfo('battery.voltage.high', cformat('%.2f', this.volt.high));
      h.log(`Using 'guesstimation' (low: ${this.volt.low.toFixed(6)}, high: ${this.volt.high.toFixed(6)})!`);
    }

    val = h.getinfo('battery.packs');
    if (val !== undefined && /^[0-9 .]*$/.test(val)) {
      this.packs = strtod(val);
    } else if (this.battery() && this.volt.nom !== -1) {
      for (const p of [120, 100, 80, 60, 48, 36, 30, 24, 18, 12, 8, 6, 4, 3, 2, 1, 0.5]) {
        if (p * this.volt.act > 1.2 * this.volt.nom) continue;
        if (p * this.volt.act < 0.8 * this.volt.nom) {
          h.log(`Can't autodetect number of battery packs [${cformat('%.0f/%.2f', this.volt.nom, this.volt.act)}]`);
          break;
        }
        this.packs = p;
        break;
      }
    } else {
      h.log(`Can't autodetect number of battery packs [${cformat('%.0f/%.2f', this.volt.nom, this.volt.act)}]`);
    }

    this.battery();

    const cal = h.getval('runtimecal');
    if (cal === undefined) {
      h.log('Battery runtime will not be calculated (runtimecal not set)');
      return;
    }
    this.lastpoll = h.now();
    const parts = cal.split(',').map((x) => strtod(x));
    if (parts.length < 4 || cal.split(',').slice(0, 4).some((x) => !/^\s*[+-]?(\d|\.\d)/.test(x))) {
      throw new BatterySettingError('Insufficient parameters for runtimecal');
    }
    const [rh, lh, rl, ll] = parts as [number, number, number, number];
    if (rl < rh || rh <= 0) throw new BatterySettingError('Parameter out of range (runtime)');
    if (lh > 100 || ll > lh || ll <= 0) throw new BatterySettingError('Parameter out of range (load)');
    this.runtime.exp = Math.log(rl / rh) / Math.log(lh / ll);
    this.runtime.nom = rh * Math.pow(lh / 100, this.runtime.exp);

    val = h.getinfo('battery.charge');
    if (val === undefined && this.volt.nom !== -1) {
      this.volt.low = this.volt.nom;
      this.volt.high = 1.15 * this.volt.nom;
      if (!this.battery()) throw new BatterySettingError('Initial battery charge undetermined');
      val = h.getinfo('battery.charge');
    }
    if (val === undefined) throw new BatterySettingError('Initial battery charge undetermined');
    this.runtime.est = (this.runtime.nom * strtod(val)) / 100;

    const ct = h.getval('chargetime');
    if (ct !== undefined) {
      this.charge.time = strtol(ct);
      if (this.charge.time <= 0) throw new BatterySettingError('Charge time out of range [1..s]');
    } else {
      h.log(`No charge time specified, using built in default [${this.charge.time} seconds]`);
    }
    const il = h.getval('idleload');
    if (il !== undefined) {
      this.load.low = strtod(il) / 100;
      if (this.load.low <= 0 || this.load.low > 1) throw new BatterySettingError('Idle load out of range [0..100]');
    } else {
      h.log(`No idle load specified, using built in default [${cformat('%.1f', 100 * this.load.low)} %]`);
    }
  }

  /** Start of a full walk: forget what the UPS reported last time. */
  beginFullWalk(): void {
    this.runtime.act = -1;
    this.charge.act = -1;
  }

  /** A value the UPS itself reported (ups_infoval_set). */
  reported(name: string, value: string): void {
    if (name.toLowerCase() === 'battery.charge') this.charge.act = strtol(value);
    else if (name.toLowerCase() === 'battery.runtime') this.runtime.act = strtol(value);
  }

  /** End of a successful full walk. */
  endFullWalk(online: boolean): void {
    if (this.runtime.act !== -1 && this.charge.act !== -1) return;
    const h = this.host;
    if (h.getval('runtimecal') === undefined) {
      this.battery();
      return;
    }
    const now = h.now();
    const elapsed = now - this.lastpoll;
    const r = this.runtime;
    if (online) {
      r.est += (r.nom * elapsed) / this.charge.time;
      if (r.est > r.nom) r.est = r.nom;
    } else {
      r.est -= this.load.eff * elapsed;
      if (r.est < 0) r.est = 0;
    }
    const val = h.getinfo('battery.voltage');
    if (val !== undefined) {
      this.volt.act = this.packs * strtod(val);
      if (this.volt.act > 0 && this.volt.low > 0 && this.volt.high > this.volt.low) {
        let vc = (this.volt.act - this.volt.low) / (this.volt.high - this.volt.low);
        vc = Math.min(1, Math.max(0, vc));
        if (vc < r.est / r.nom) r.est = vc * r.nom;
      }
    }
    if (this.charge.act === -1) h.setinfo('battery.charge', cformat('%.0f', (100 * r.est) / r.nom));
    if (this.runtime.act === -1 && this.loadEffective()) h.setinfo('battery.runtime', cformat('%.0f', r.est / this.load.eff));
    this.lastpoll = now;
  }
}
