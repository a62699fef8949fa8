/**
 * A Voltronic Power unit (the "Voltronic" protocol, QGS/QPI…) built from a upsc dump: it answers
 * the queries NUT's voltronic subdriver sends from the dump's values, keeps its settings and
 * capability flags, and acknowledges the commands (load off/on, shutdowns, tests, beeper,
 * bypass, capability and limit settings); what it does not know it refuses with (NAK.
 */
import { field, Q1Device } from './q1-device.js';

const ACK = '(ACK\r';
const NAK = '(NAK\r';

/** QFLAG letters of the settings that have a NUT variable. */
const FLAG_VARS: Record<string, string> = {
  'ups.start.auto': 'r', 'battery.protection': 's', 'battery.energysave': 'g', 'ups.start.battery': 'c', 'outlet.0.switchable': 'j',
};

export class VoltronicDevice extends Q1Device {
  /** Capability letter → enabled; letters absent are capabilities the unit lacks. */
  readonly flags = new Map<string, boolean>();
  /** Load switched off (SOFF): standby mode. */
  off = false;
  muted = false;

  constructor(dump: Map<string, string>) {
    super('voltronic', dump);
    const yes = (n: string) => dump.get(n) === 'yes';
    for (const [name, letter] of Object.entries(FLAG_VARS)) if (dump.has(name)) this.flags.set(letter, yes(name));
    // The beeper can be switched (alarm control) unless the dump shows none; bypass alarm,
    // battery alarm and advanced ECO as most units ship; ECO mode where the unit reports its limits.
    if (dump.has('ups.beeper.status')) this.flags.set('a', dump.get('ups.beeper.status') !== 'disabled');
    this.muted = dump.get('ups.beeper.status') === 'muted';
    for (const l of ['p', 'b', 'n']) this.flags.set(l, true);
    for (const l of ['o', 'v', 'f', 'l']) this.flags.set(l, false);
    if (dump.has('input.transfer.high') || dump.has('input.frequency.high')) this.flags.set('e', true);
    this.off = (dump.get('ups.status') ?? '').split(/\s+/).includes('OFF');
  }

  private protocolNumber(): string {
    return (this.get('ups.firmware.aux') ?? 'P01').slice(1).padStart(2, '0');
  }

  private qflag(): string {
    const on = [...this.flags].filter(([, v]) => v).map(([k]) => k).join('');
    const off = [...this.flags].filter(([, v]) => !v).map(([k]) => k).join('');
    return `(E${on}D${off}\r`;
  }

  private qgs(): string {
    const v = (n: string) => this.get(n);
    const type = v('ups.type') === 'online' ? '10' : v('ups.type') === 'line-interactive' ? '01' : '00';
    const beeper = this.muted || this.flags.get('a') === false || this.get('ups.beeper.status') === 'disabled' ? '1' : '0';
    // Bypass/boost/buck only with utility power: NUT rejects it against an input of 0 V.
    const bypass = this.bypassBoostBuck && !this.utilityFail;
    const bits = `${type}${this.utilityFail ? 1 : 0}${this.batteryLow ? 1 : 0}${bypass ? 1 : 0}0` +
      `0${this.testing ? 1 : 0}${this.shutdownActive ? 1 : 0}${beeper}01`;
    return (
      `(${field(v('input.voltage'), 5, 1)} ${field(v('input.frequency'), 4, 1)} ${field(v('output.voltage'), 5, 1)} ` +
      `${field(v('output.frequency'), 4, 1)} ${field(v('output.current'), 5, 1)} ${field(v('ups.load'), 3, 0)} ---.- ---.- ` +
      `${field(v('battery.voltage'), 5, 1)} ---.- ${field(v('ups.temperature'), 5, 1)} ${bits}\r`
    );
  }

  private qmod(): string {
    if (this.off) return '(S\r';
    if (this.shutdownActive) return '(D\r';
    if (this.testing) return '(T\r';
    if (this.utilityFail) return '(B\r';
    const status = (this.get('ups.status') ?? '').split(/\s+/);
    if (status.includes('BYPASS')) return '(Y\r';
    return '(L\r';
  }

  private query(c: string): string | undefined {
    const v = (n: string) => this.get(n);
    const has = (...n: string[]) => n.every((x) => v(x) !== undefined);
    switch (c) {
      case 'QGS':
        return this.qgs();
      case 'QPI':
        return `(PI${this.protocolNumber()}\r`;
      case 'QMOD':
        return this.qmod();
      case 'QRI':
        if (!has('output.voltage.nominal')) return NAK;
        return `(${field(v('output.voltage.nominal'), 5, 1)} ${field(v('output.current.nominal'), 3, 0)} ${field(v('battery.voltage.nominal'), 5, 1)} ${field(v('output.frequency.nominal'), 4, 1)}\r`;
      case 'QMD': {
        if (!has('device.model')) return NAK;
        const pad = (s: string | undefined, n: number) => (s ?? '').slice(0, n).padStart(n, '#');
        const pf = Math.round(Number(v('output.powerfactor') ?? 0.8) * 100);
        const vn = (n: string) => field(v(n) ?? v('output.voltage.nominal'), 3, 0);
        return `(${pad(v('device.model'), 15)} ${pad(v('ups.power.nominal'), 7)} ${field(String(pf), 2, 0)} ${v('input.phases') ?? 1}/${v('output.phases') ?? 1} ${vn('input.voltage.nominal')} ${vn('output.voltage.nominal')} 02 12.0\r`;
      }
      case 'F':
        if (!has('input.current.nominal')) return NAK;
        return `#${field(v('input.voltage.nominal'), 5, 1)} ${field(v('input.current.nominal'), 3, 0)} ${field(v('battery.voltage.nominal'), 5, 1)} ${field(v('input.frequency.nominal'), 4, 1)}\r`;
      case 'QMF':
        return v('device.mfr') !== undefined ? `(${v('device.mfr')}\r` : NAK;
      case 'QVFW':
        return `(VERFW:${(v('ups.firmware') ?? '00000.00').padEnd(8).slice(0, 8)}\r`;
      case 'QID':
        return `(${v('device.serial') ?? '00000000000000'}\r`;
      case 'QWS':
        return `(${'0'.repeat(64)}\r`;
      case 'QFS':
        return '(OK\r';
      case 'QBV': {
        const runtime = String(Math.round(Number(v('battery.runtime') ?? 0) / 60));
        // Batteries in a pack: 12 V blocks make up the nominal voltage.
        const number = v('battery.number') ?? String(Math.max(1, Math.round(Number(v('battery.voltage.nominal') ?? 24) / 12)));
        return `(${field(v('battery.voltage'), 5, 1)} ${field(number, 2, 0)} ${field(v('battery.packs') ?? '1', 2, 0)} ${field(v('battery.charge'), 3, 0)} ${field(runtime, 3, 0)}\r`;
      }
      case 'QLDL':
        if (!has('output.power.minimum.percent')) return NAK;
        return `(${field(v('output.power.minimum.percent'), 3, 0)} ${field(v('output.power.maximum.percent'), 3, 0)}\r`;
      case 'QFLAG':
        return this.qflag();
      case 'QHE':
        return has('input.transfer.high', 'input.transfer.low') ? `(${field(v('input.transfer.high'), 3, 0)} ${field(v('input.transfer.low'), 3, 0)}\r` : NAK;
      case 'QFRE':
        return has('input.frequency.high', 'input.frequency.low') ? `(${field(v('input.frequency.high'), 4, 1)} ${field(v('input.frequency.low'), 4, 1)}\r` : NAK;
      case 'QBYV': {
        const high = Number(v('input.voltage.nominal') ?? 230) >= 200;
        return `(${field(v('bypass.voltage.high') ?? (high ? '264' : '132'), 3, 0)} ${field(v('bypass.voltage.low') ?? (high ? '170' : '085'), 3, 0)}\r`;
      }
      case 'QBYF': {
        const sixty = Number(v('output.frequency.nominal') ?? 50) === 60;
        return `(${field(v('bypass.frequency.high') ?? (sixty ? '63.0' : '53.0'), 4, 1)} ${field(v('bypass.frequency.low') ?? (sixty ? '57.0' : '47.0'), 4, 1)}\r`;
      }
      case 'RE0':
        // battery.voltage.low with .high comes from ups.conf defaults: this protocol reports no high.
        return has('battery.voltage.low') && !has('battery.voltage.high') ? `#${field(v('battery.voltage.low'), 2, 0)}\r` : NAK;
    }
    const outlet = /^QSK(T?)([1-4])$/.exec(c);
    if (outlet) {
      const n = outlet[2];
      if (!has(`outlet.${n}.status`)) return NAK;
      if (outlet[1]) return `(${field(String(Math.round(Number(v(`outlet.${n}.delay.shutdown`) ?? 0) / 60)), 3, 0)}\r`;
      return `(${v(`outlet.${n}.status`) === 'on' ? 1 : 0}\r`;
    }
    return undefined;
  }

  /** Commands and settings: the new state, ACK; undefined when not one. */
  private command(c: string): string | undefined {
    let m: RegExpExecArray | null;
    if (c === 'SOFF') {
      this.off = true;
      return ACK;
    }
    if (c === 'SON') {
      this.off = false;
      this.shutdownActive = false;
      return ACK;
    }
    if (/^S(\.\d|\d\d)(R\d{4})?$/.test(c)) {
      this.shutdownActive = true;
      return ACK;
    }
    if (c === 'CS') {
      this.shutdownActive = false;
      return ACK;
    }
    if (c === 'T' || c === 'TL' || /^T(\.\d|\d\d)$/.test(c)) {
      this.testing = true;
      return ACK;
    }
    if (c === 'CT') {
      this.testing = false;
      return ACK;
    }
    if (c === 'BZOFF' || c === 'BZON') {
      this.muted = c === 'BZOFF';
      return ACK;
    }
    if (c === 'PF') {
      if (!this.off) return NAK;
      return ACK;
    }
    if ((m = /^P([ED])([A-Z])$/.exec(c))) {
      const letter = m[2]!.toLowerCase();
      if (!this.flags.has(letter)) return NAK;
      this.flags.set(letter, m[1] === 'E');
      const name = Object.entries(FLAG_VARS).find(([, l]) => l === letter)?.[0];
      if (name) this.set(name, m[1] === 'E' ? 'yes' : 'no');
      if (letter === 'a') this.set('ups.beeper.status', m[1] === 'E' ? 'enabled' : 'disabled');
      return ACK;
    }
    const settings: Array<[RegExp, (x: string) => void]> = [
      [/^HEH(\d{3})$/, (x) => this.set('input.transfer.high', String(Number(x)))],
      [/^HEL(\d{3})$/, (x) => this.set('input.transfer.low', String(Number(x)))],
      [/^FREH(\d\d\.\d)$/, (x) => this.set('input.frequency.high', x)],
      [/^FREL(\d\d\.\d)$/, (x) => this.set('input.frequency.low', x)],
      [/^PHV(\d{3})$/, (x) => this.set('bypass.voltage.high', x)],
      [/^PLV(\d{3})$/, (x) => this.set('bypass.voltage.low', x)],
      [/^PGF(\d\d\.\d)$/, (x) => this.set('bypass.frequency.high', x)],
      [/^PSF(\d\d\.\d)$/, (x) => this.set('bypass.frequency.low', x)],
      [/^BATN(\d)$/, (x) => this.set('battery.number', x)],
      [/^BATGN(\d\d)$/, (x) => this.set('battery.packs', String(Number(x)))],
      [/^W0E(\d\d)$/, (x) => this.set('battery.voltage.low', String(Number(x)))],
    ];
    for (const [re, apply] of settings) {
      if ((m = re.exec(c))) {
        apply(m[1]!);
        return ACK;
      }
    }
    if ((m = /^PSK([1-4])(\d{3})$/.exec(c)) && this.get(`outlet.${m[1]}.status`) !== undefined) {
      this.set(`outlet.${m[1]}.delay.shutdown`, String(Number(m[2]) * 60));
      return ACK;
    }
    if ((m = /^SK(ON|OFF)([1-4])$/.exec(c)) && this.get(`outlet.${m[2]}.status`) !== undefined) {
      this.set(`outlet.${m[2]}.status`, m[1] === 'ON' ? 'on' : 'off');
      return ACK;
    }
    return undefined;
  }

  override reply(cmd: string): string | null {
    this.received.push(cmd);
    const c = cmd.toUpperCase();
    return this.query(c) ?? this.command(c) ?? NAK;
  }
}
