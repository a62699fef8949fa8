/**
 * A Q1-family UPS: the Megatec status line (Q1, or QS / D in the protocols that rename it),
 * ratings (F), vendor line (I or FW?) and the commands (Q, S…R…, C, T…, CT), built from a
 * upsc dump. Unknown commands are echoed back, as real units do.
 */
import type { SimulatedProtocol } from './dump.js';

interface ProtocolShape {
  status: string;
  rating?: string;
  vendor?: string;
  /** Protocol query and its fixed reply. */
  ident?: [string, string];
  /** ratings describe the output (voltronic-qs) instead of the input. */
  ratingSide: 'input' | 'output';
}

const SHAPES: Record<SimulatedProtocol, ProtocolShape> = {
  megatec: { status: 'Q1', rating: 'F', vendor: 'I', ratingSide: 'input' },
  'megatec/old': { status: 'D', rating: 'F', vendor: 'I', ratingSide: 'input' },
  mustek: { status: 'QS', rating: 'F', vendor: 'I', ratingSide: 'input' },
  q1: { status: 'Q1', ratingSide: 'input' },
  zinto: { status: 'Q1', rating: 'F', vendor: 'FW?', ratingSide: 'input' },
  hunnox: { status: 'Q1', rating: 'F', vendor: 'FW?', ratingSide: 'input' },
  'voltronic-qs': { status: 'QS', rating: 'F', ident: ['M', 'V'], ratingSide: 'output' },
  mecer: { status: 'Q1', rating: 'F', vendor: 'I', ident: ['QPI', '(PI98'], ratingSide: 'input' },
  bestups: { status: 'Q1', ratingSide: 'input' },
  'voltronic-qs-hex': { status: 'QS', ident: ['M', 'P'], ratingSide: 'output' },
};

/** Voltronic-QS-Hex escapes: a byte the line cannot carry goes as 0x28 and a code. */
const HEX_ESCAPES: Record<number, number> = { 0x0d: 0x00, 0x11: 0x01, 0x13: 0x02, 0x0a: 0x03, 0x20: 0x04 };
const escapeBytes = (bytes: number[]) => bytes.flatMap((b) => (HEX_ESCAPES[b] !== undefined ? [0x28, HEX_ESCAPES[b]!] : [b]));
const be = (n: number, width: number) => Array.from({ length: width }, (_, i) => (Math.max(0, Math.round(n)) >> (8 * (width - 1 - i))) & 0xff);

/** Text of a number in a fixed-width field (`width` chars, `decimals` after the point). */
export function field(value: string | undefined, width: number, decimals: number): string {
  const n = Number(value ?? 0);
  let s = (Number.isFinite(n) ? Math.max(0, n) : 0).toFixed(decimals);
  // A value wider than the field loses decimals first (41.04 in a 4-wide field: 41.0).
  for (let d = decimals - 1; s.length > width && d >= 0; d--) s = n.toFixed(d);
  return s.length > width ? s.slice(0, width) : s.padStart(width, '0');
}

export class Q1Device {
  readonly values: Map<string, string>;
  readonly shape: ProtocolShape;
  utilityFail: boolean;
  batteryLow: boolean;
  bypassBoostBuck: boolean;
  failed: boolean;
  lineInteractive: boolean;
  testing = false;
  shutdownActive = false;
  beeper: boolean;
  /** Commands received (for tests and the log). */
  readonly received: string[] = [];

  constructor(
    readonly protocol: SimulatedProtocol,
    dump: Map<string, string>,
  ) {
    this.shape = SHAPES[protocol];
    this.values = new Map(dump);
    const status = (dump.get('ups.status') ?? 'OL').split(/\s+/);
    this.utilityFail = status.includes('OB');
    this.batteryLow = status.includes('LB');
    this.bypassBoostBuck = status.some((s) => s === 'BYPASS' || s === 'TRIM' || s === 'BOOST');
    this.failed = (dump.get('ups.alarm') ?? '').includes('UPS selftest failed!');
    this.lineInteractive = dump.get('ups.type') !== 'online';
    this.testing = status.includes('CAL');
    this.shutdownActive = status.includes('FSD');
    this.beeper = (dump.get('ups.beeper.status') ?? dump.get('beeper.status')) === 'enabled';
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  set(name: string, value: string): void {
    this.values.set(name, value);
  }

  /** QS of the hex protocol: binary fields (volts×256 over 51, Hz as a ratio, battery as a product). */
  hexStatusLine(bits: string): string {
    const v = (n: string) => Number(this.values.get(n) ?? 0);
    const volts = (x: number) => [...escapeBytes(be(x * 256, 2)), 0x20, ...escapeBytes([51])];
    const freq = v('output.frequency') || v('input.frequency');
    const bytes = [
      0x23, ...volts(v('input.voltage')), 0x20, ...volts(v('output.voltage')), 0x20, ...escapeBytes([Math.min(255, v('ups.load'))]), 0x20,
      ...escapeBytes(be(1000, 2)), 0x20, ...escapeBytes(be(freq * 1000, 3)), 0x20,
      ...escapeBytes([Math.min(255, Math.round(v('battery.voltage') * 2))]), 0x20, 0xff, 0x20, ...escapeBytes([parseInt(bits, 2)]), 0x0d,
    ];
    return Buffer.from(bytes).toString('latin1');
  }

  statusLine(): string {
    const v = (n: string) => this.values.get(n);
    const side = this.shape.ratingSide;
    const bits = [this.utilityFail, this.batteryLow, this.bypassBoostBuck, this.failed, this.lineInteractive, this.testing, this.shutdownActive, this.beeper]
      .map((b) => (b ? '1' : '0'))
      .join('');
    if (this.protocol === 'voltronic-qs-hex') return this.hexStatusLine(bits);
    const freq = side === 'output' ? (v('output.frequency') ?? v('input.frequency')) : v('input.frequency');
    return (
      `(${field(v('input.voltage'), 5, 1)} ${field(v('input.voltage.fault'), 5, 1)} ${field(v('output.voltage'), 5, 1)} ` +
      `${field(v('ups.load'), 3, 0)} ${field(freq, 4, 1)} ${field(v('battery.voltage'), 4, 2)} ${field(v('ups.temperature'), 4, 1)} ${bits}\r`
    );
  }

  ratingLine(): string | undefined {
    const side = this.shape.ratingSide;
    const v = (n: string) => this.values.get(`${side}.${n}`) ?? (side === 'output' ? this.values.get(`input.${n}`) : undefined);
    const nominal = v('voltage.nominal');
    const battery = this.values.get('battery.voltage.nominal');
    if (nominal === undefined && battery === undefined) return undefined;
    return `#${field(nominal, 5, 1)} ${field(v('current.nominal'), 3, 0)} ${field(battery, 5, 2)} ${field(v('frequency.nominal'), 4, 1)}\r`;
  }

  vendorLine(): string | undefined {
    const mfr = this.values.get('device.mfr') ?? this.values.get('ups.mfr');
    const model = this.values.get('device.model') ?? this.values.get('ups.model');
    let firmware = this.values.get('ups.firmware');
    if (firmware === undefined && mfr === undefined && model === undefined) return undefined;
    // Old drivers published the whole line as mfr/model: what the model field cannot hold
    // goes to the firmware field (which must not be empty for the Megatec claim).
    firmware ??= (model ?? '').slice(10).trim() || (model ?? mfr ?? '').slice(0, 10);
    const pad = (s: string | undefined, n: number) => (s ?? '').slice(0, n).padEnd(n);
    return `#${pad(mfr, 15)} ${pad(model, 10)} ${pad(firmware, 10)}\r`;
  }

  /** BestUPS/Sola queries: ID (model, VA, nominal volts, battery window), RT, BP?, SS?, M. */
  private bestupsReply(c: string): string | undefined {
    const v = (n: string) => this.values.get(n);
    if (c === 'ID') {
      const nominal = field(v('input.voltage.nominal'), 3, 0);
      const battery = (n: string, w: number) => field(v(n), w, 1);
      return `FOR,${field(v('ups.power.nominal') ?? '750', 4, 0).replace(/^0+/, '')},${nominal},${field(v('output.voltage.nominal') ?? v('input.voltage.nominal'), 3, 0)},${battery('battery.voltage.low', 4)},${battery('battery.voltage.high', 4)}\r`;
    }
    if (c === 'RT') return `${field(String(Math.round(Number(v('battery.runtime') ?? 900) / 60)), 3, 0)}\r`;
    if (c === 'BP?') return `${field(v('battery.packs') ?? '1', 2, 0)}\r`;
    if (c === 'SS?') return '0\r';
    if (c === 'M') return '0\r';
    return undefined;
  }

  /** The reply to one command line (without its CR); null = no reply at all. */
  reply(cmd: string): string | null {
    this.received.push(cmd);
    const s = this.shape;
    const c = cmd.toUpperCase();
    if (c === s.status) return this.statusLine();
    if (s.rating && c === s.rating) return this.ratingLine() ?? `${cmd}\r`;
    if (s.vendor && c === s.vendor) return this.vendorLine() ?? `${cmd}\r`;
    if (s.ident && c === s.ident[0]) return `${s.ident[1]}\r`;
    if (this.protocol === 'bestups') {
      const b = this.bestupsReply(c);
      if (b !== undefined) return b;
    }
    if (c === 'Q') {
      this.beeper = !this.beeper;
      return null;
    }
    if (c === 'T' || c === 'TL' || /^T\d\d$/.test(c) || /^T\.\d$/.test(c)) {
      this.testing = true;
      return null;
    }
    if (c === 'CT') {
      this.testing = false;
      return null;
    }
    if (c === 'C') {
      this.shutdownActive = false;
      return null;
    }
    if (/^S(\.\d|\d\d)(R\d{4})?$/.test(c)) {
      this.shutdownActive = true;
      return null;
    }
    return `${cmd}\r`;
  }
}
