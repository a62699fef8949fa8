/**
 * Voltronic Power P98-family units (drivers/nutdrv_qx_voltronic.c, "Voltronic 0.06"): QGS/QPI/
 * QMOD/QFLAG/QWS/QFS/QBV/QHE/QBYV/QBYF/QFRE/QSK/QSKT/QPD/QPAR/QBT/QGR replies, the capability
 * flags, the per-protocol limits of the settable ranges and the wire form of the commands.
 * What NUT keeps in file-level statics lives in the instance's memory (see state()).
 */
import { cformat, strtod, strtol } from '../cformat.js';
import type { Item } from '../item.js';
import { bit } from '../status.js';
import { claimItems } from './claim.js';
import type { FunctionSet, QxApi, RwFunction, ValueFunction } from './types.js';
import { FAULTS, P31_FAULTS, WARNINGS } from './voltronic-messages.js';

const PROTOCOLS = [0, 1, 2, 3, 8, 9, 10, 13, 14, 31, 99];
const CAPABILITIES = [
  'bypass_alarm', 'battery_alarm', 'bypass_when_off', 'alarm_control', 'converter_mode', 'eco_mode',
  'battery_open_status_check', 'bypass_forbidding', 'site_fault_detection', 'advanced_eco_mode',
  'constant_phase_angle', 'limited_runtime_on_battery',
] as const;
/** Capability → its QFLAG letter. */
const CAPABILITY_LETTER: Record<string, string> = {
  bypass_alarm: 'p', battery_alarm: 'b', bypass_when_off: 'o', alarm_control: 'a', converter_mode: 'v', eco_mode: 'e',
  battery_open_status_check: 'd', bypass_forbidding: 'f', site_fault_detection: 'l', advanced_eco_mode: 'n',
  constant_phase_angle: 'q', limited_runtime_on_battery: 'w',
  'ups.start.auto': 'r', 'battery.protection': 's', 'battery.energysave': 'g', 'ups.start.battery': 'c', 'outlet.0.switchable': 'j',
};

interface VoltronicState {
  /** Capability → 'enabled' / 'disabled' as the UPS last reported it (absent: not supported). */
  capability: Map<string, string>;
  maxBypassVolt: number;
  minBypassVolt: number;
  maxBypassFreq: number;
  minBypassFreq: number;
  batteryNumber: number;
  outputPhaseAngle: number;
  workRangeType: number;
}

function state(qx: QxApi): VoltronicState {
  let s = qx.memory.get('voltronic') as VoltronicState | undefined;
  if (!s) {
    s = { capability: new Map(), maxBypassVolt: 0, minBypassVolt: 0, maxBypassFreq: 0, minBypassFreq: 0, batteryNumber: 0, outputPhaseAngle: 0, workRangeType: 0 };
    qx.memory.set('voltronic', s);
  }
  return s;
}

const numeric = (v: string): boolean => /^[0-9 .]*$/.test(v);
const lc = (s: string): string => s.toLowerCase();

/** The protocol number from ups.firmware.aux ("P01" → 1); undefined before QPI is known. */
function protocolOf(qx: QxApi): number | undefined {
  const aux = qx.getinfo('ups.firmware.aux');
  return aux === undefined ? undefined : strtol(aux.slice(1));
}

/** Clears SKIP on the first item with that name and flag; false when there is none. */
function unskip(qx: QxApi, name: string, flag?: string): boolean {
  const it = qx.find(name, flag ? [flag] : []);
  if (!it) return false;
  it.flags.delete('skip');
  return true;
}

// ------------------------------------------------------------ setting limits

/** Which protocols accept a limit, and under which nominal input voltage/output frequency. */
interface Rule {
  p: readonly number[];
  ivn?: 'below200' | 'from200';
  ofn?: 50 | 60;
}
const PA = [2, 3, 10, 13, 14];
const PA99 = [...PA, 99];
const P19 = [1, 9];
const PALL = [1, 2, 3, 9, 10, 13, 14, 99];
const lo = 'below200' as const;
const hi = 'from200' as const;

const BYPASS_VOLT_MAX: Record<number, Rule[]> = {
  60: [{ p: [9] }], 115: [{ p: PA99, ivn: lo }], 120: [{ p: [1], ivn: lo }], 132: [{ p: [99], ivn: lo }], 138: [{ p: PA, ivn: lo }],
  140: [{ p: [9] }, { p: [1], ivn: lo }], 230: [{ p: [1], ivn: hi }], 231: [{ p: PA99, ivn: hi }], 261: [{ p: [99], ivn: hi }],
  264: [{ p: [1], ivn: hi }], 276: [{ p: PA, ivn: hi }],
};
const BYPASS_VOLT_MIN: Record<number, Rule[]> = {
  50: [{ p: [99], ivn: lo }], 55: [{ p: PA, ivn: lo }], 60: [{ p: [9] }], 85: [{ p: [1, 99], ivn: lo }], 104: [{ p: PA, ivn: lo }],
  110: [{ p: PA, ivn: hi }], 115: [{ p: [1], ivn: lo }], 140: [{ p: [9] }], 149: [{ p: [99], ivn: hi }], 170: [{ p: [1], ivn: hi }],
  209: [{ p: PA99, ivn: hi }], 220: [{ p: [1], ivn: hi }],
};
const BYPASS_FREQ_MAX: Record<number, Rule[]> = {
  51: [{ p: PALL, ofn: 50 }], 54: [{ p: PA99, ofn: 50 }], 60: [{ p: P19, ofn: 50 }],
  61: [{ p: PALL, ofn: 60 }], 64: [{ p: PA99, ofn: 60 }], 70: [{ p: P19, ofn: 60 }],
};
const BYPASS_FREQ_MIN: Record<number, Rule[]> = {
  40: [{ p: P19, ofn: 50 }], 46: [{ p: PA99, ofn: 50 }], 49: [{ p: PALL, ofn: 50 }],
  50: [{ p: P19, ofn: 60 }], 56: [{ p: PA99, ofn: 60 }], 59: [{ p: PALL, ofn: 60 }],
};
const ECO_FREQ_MIN: Record<number, Rule[]> = {
  40: [{ p: P19, ofn: 50 }], 46: [{ p: PA99, ofn: 50 }], 47: [{ p: P19, ofn: 50 }], 48: [{ p: PA99, ofn: 50 }],
  50: [{ p: P19, ofn: 60 }], 56: [{ p: PA99, ofn: 60 }], 57: [{ p: P19, ofn: 60 }], 58: [{ p: PA99, ofn: 60 }],
};
const ECO_FREQ_MAX: Record<number, Rule[]> = {
  52: [{ p: PA99, ofn: 50 }], 53: [{ p: P19, ofn: 50 }], 54: [{ p: PA99, ofn: 50 }], 60: [{ p: P19, ofn: 50 }],
  62: [{ p: PA99, ofn: 60 }], 63: [{ p: P19, ofn: 60 }], 64: [{ p: PA99, ofn: 60 }], 70: [{ p: P19, ofn: 60 }],
};

function limit(rules: Record<number, Rule[]>, nominal: 'input.voltage.nominal' | 'output.frequency.nominal'): RwFunction {
  return (value, qx) => {
    const protocol = protocolOf(qx);
    const nom = qx.getinfo(nominal);
    if (protocol === undefined || nom === undefined) return false;
    const ivn = strtol(nom);
    const ofn = strtod(nom);
    return (rules[strtol(value)] ?? []).some(
      (r) =>
        r.p.includes(protocol) &&
        (r.ivn === undefined || (r.ivn === lo ? ivn < 200 : ivn >= 200)) &&
        (r.ofn === undefined || ofn === r.ofn),
    );
  };
}

// ------------------------------------------------------------ value functions

/** voltronic_massive_unskip: the items a protocol number brings. */
function massiveUnskip(qx: QxApi, protocol: number): void {
  const multi: Array<[number[], (i: Item) => boolean]> = [
    [[9], (i) => ['output.bypass.l1-n.voltage', 'output.bypass.l2-n.voltage'].includes(lc(i.name)) && i.row.minLength === 19],
    [[10], (i) => {
      const n = lc(i.name);
      return n === 'output.l3-n.voltage' || (n === 'output.l2-l3.voltage' && i.from === 25) || (n === 'output.l1-l3.voltage' && i.from === 31) ||
        (['output.bypass.l1-n.voltage', 'output.bypass.l2-n.voltage', 'output.bypass.l3-n.voltage'].includes(n) && i.row.minLength === 37) ||
        ['output.bypass.l1-l2.voltage', 'output.bypass.l2-l3.voltage', 'output.bypass.l1-l3.voltage', 'output.l3.current', 'output.l3.power.percent'].includes(n);
    }],
    [[9, 10], (i) => ['output.l1-n.voltage', 'output.l2-n.voltage', 'output.l1-l2.voltage', 'output.l1.current', 'output.l2.current', 'output.l1.power.percent', 'output.l2.power.percent'].includes(lc(i.name))],
    [[3, 9, 10], (i) => ['input.l1-n.voltage', 'input.l2-n.voltage', 'input.l1-l2.voltage', 'input.l1.current', 'input.l2.current'].includes(lc(i.name))],
    [[3, 10], (i) => {
      const n = lc(i.name);
      return n === 'input.l3-n.voltage' || (n === 'input.l2-l3.voltage' && i.from === 25) || (n === 'input.l1-l3.voltage' && i.from === 31) || n === 'input.l3.current';
    }],
    [[31], (i) => {
      const n = lc(i.name);
      return n === 'battery.type' || (n === 'work_range_type' && (!i.has('setvar') || qx.getval(i.name) !== undefined));
    }],
  ];
  for (const item of qx.items) {
    if (!item.command) continue;
    const n = lc(item.name);
    const hit =
      multi.some(([ps, test]) => ps.includes(protocol) && test(item)) ||
      (protocol !== 0 && protocol !== 8 && protocol !== 31 &&
        ['max_bypass_volt', 'min_bypass_volt', 'max_bypass_freq', 'min_bypass_freq'].includes(n) && !item.has('setvar')) ||
      (n === 'reset_to_default' && qx.testvar('reset_to_default')) ||
      (n === 'unknown.7' && qx.testvar('testing'));
    if (hit) item.flags.delete('skip');
  }
}

const protocol: ValueFunction = (item, _v, qx) => {
  if (lc(item.value.slice(0, 2)) !== 'pi') return null;
  const rest = item.value.slice(2);
  if (!/^[0123489]*$/.test(rest)) {
    qx.log(`Protocol [${item.value}] is not supported by this driver`);
    return null;
  }
  const p = strtol(rest);
  if (!PROTOCOLS.includes(p)) {
    qx.log(`Protocol [PI${cformat('%02ld', p)}] is not supported by this driver`);
    return null;
  }
  massiveUnskip(qx, p);
  return cformat('P%02ld', p);
};

/** QFLAG: "(E<enabled letters>D<disabled letters>". */
const capability: ValueFunction = (item, _v, qx) => {
  const st = state(qx);
  // strtok(raw+1, "D") then the rest of the string.
  const raw = item.value.slice(1).replace(/^D+/, '');
  if (!raw.length) return null;
  const d = raw.indexOf('D');
  const enabled = d < 0 ? raw : raw.slice(0, d);
  const disabled = d < 0 ? '' : raw.slice(d + 1);
  const name = lc(item.name);
  const letter = CAPABILITY_LETTER[name];
  if (letter === undefined) return null;
  const isCap = (CAPABILITIES as readonly string[]).includes(name);
  const [on, off] = isCap ? ['enabled', 'disabled'] : ['yes', 'no'];
  let val: string | undefined;
  const gated = name === 'alarm_control' || name === 'eco_mode';
  if (gated && !item.value.includes(letter)) return null;
  if (enabled.includes(letter)) val = on;
  else if (disabled.includes(letter)) val = off;
  if (isCap && val !== undefined) st.capability.set(name, val);
  if (name === 'alarm_control') {
    if (val === 'enabled') {
      const beeper = qx.getinfo('ups.beeper.status');
      if (beeper !== 'muted') qx.setinfo('ups.beeper.status', 'enabled');
    } else if (val === 'disabled') {
      qx.setinfo('ups.beeper.status', 'disabled');
    }
    if (!unskip(qx, 'beeper.enable', 'command') || !unskip(qx, 'beeper.disable', 'command')) return null;
  } else if (name === 'eco_mode') {
    if (!unskip(qx, 'bypass.start', 'command') || !unskip(qx, 'bypass.stop', 'command')) return null;
    for (const n of ['input.transfer.high', 'input.transfer.low', 'input.frequency.high', 'input.frequency.low']) {
      if (!unskip(qx, n, 'semiStatic')) return null;
    }
  } else if (name === 'outlet.0.switchable' && val === 'yes') {
    for (let i = 1; i <= 4; i++) {
      if (!unskip(qx, `outlet.${i}.switchable`) || !unskip(qx, `outlet.${i}.status`)) return null;
    }
  }
  if (val === undefined) return null;
  const out = cformat(item.dfl ?? '%s', val);
  if (item.has('nonut') && qx.getval(item.name) === undefined) return out;
  return unskip(qx, item.name, 'setvar') ? out : null;
};

const processSetvar: ValueFunction = (item, value, qx) => {
  if (!value.length) {
    qx.debug(2, `voltronic_process_setvar: value not given for ${item.name}`);
    return null;
  }
  let val = strtod(value);
  const st = state(qx);
  const name = lc(item.name);
  if (name === 'ups.delay.start') {
    val -= Math.trunc(val) % 60;
    return cformat('%.0f', val);
  }
  if (name === 'ups.delay.shutdown') {
    val -= Math.trunc(val) % (val < 60 ? 6 : 60);
    return cformat('%.0f', val);
  }
  const current: Record<string, [number, string]> = {
    max_bypass_freq: [st.maxBypassFreq, '%.1f'], min_bypass_freq: [st.minBypassFreq, '%.1f'],
    max_bypass_volt: [st.maxBypassVolt, '%.0f'], min_bypass_volt: [st.minBypassVolt, '%.0f'], battery_number: [st.batteryNumber, '%.0f'],
  };
  const cur = current[name];
  if (cur && Math.abs(val - cur[0]) <= Number.EPSILON) {
    qx.log(`${item.name} is already set to ${cformat(cur[1], val)}`);
    return null;
  }
  return cformat(item.command ?? '', val);
};

const processCommand: ValueFunction = (item, value, qx) => {
  const name = lc(item.name);
  const minutes = (off: number): string => (off < 60 ? `.${Math.trunc(off / 6)}` : cformat('%02ld', Math.trunc(off / 60)));
  let buf: string;
  if (name === 'shutdown.return') {
    const off = strtol(qx.getinfo('ups.delay.shutdown'));
    const on = Math.trunc(strtol(qx.getinfo('ups.delay.start')) / 60);
    buf = on === 0 ? minutes(off) : `${minutes(off)}R${cformat('%04ld', on)}`;
  } else if (name === 'shutdown.stayoff') {
    buf = minutes(strtol(qx.getinfo('ups.delay.shutdown')));
  } else if (name === 'test.battery.start') {
    if (!/^[0-9]*$/.test(value)) {
      qx.log(`${item.name}: non numerical value [${value}]`);
      return null;
    }
    const delay = value.length ? strtol(value) : 600;
    if (delay < 12 || delay > 5940) {
      qx.log(`${item.name}: battery test time '${delay}' out of range [12..5940] seconds`);
      return null;
    }
    buf = minutes(delay);
  } else if (name === 'beeper.toggle') {
    const beeper = qx.getinfo('ups.beeper.status');
    if (state(qx).capability.has('alarm_control')) {
      if (beeper === 'enabled') buf = 'OFF';
      else if (beeper === 'muted') buf = 'ON';
      else {
        qx.log('The beeper is already disabled');
        return null;
      }
    } else {
      buf = beeper === 'enabled' ? 'OFF' : beeper === 'disabled' ? 'ON' : '';
    }
  } else {
    return null;
  }
  return cformat(item.command ?? '', buf);
};

const MODES: Record<string, { status?: string; alarm?: string }> = {
  P: { alarm: 'UPS is going ON' }, S: { status: 'OFF' }, Y: { status: 'BYPASS' }, L: { status: 'OL' }, B: { status: '!OL' },
  T: { status: 'CAL' }, F: { alarm: 'Fault reported by UPS.' }, E: { alarm: 'UPS is in ECO Mode.' },
  C: { alarm: 'UPS is in Converter Mode.' }, D: { alarm: 'UPS is shutting down!', status: 'FSD' },
};

const mode: ValueFunction = (item, _v, qx) => {
  const m = MODES[item.value[0] ?? ''];
  if (!m) {
    qx.debug(2, `voltronic_mode: invalid reply from the UPS [${item.value}]`);
    return null;
  }
  const name = lc(item.name);
  if (m.alarm && name === 'ups.alarm') return cformat(item.dfl ?? '%s', m.alarm);
  if (m.status && name === 'ups.status') return cformat(item.dfl ?? '%s', m.status);
  return '';
};

/** QGS's 12-bit flag field, one item per bit. */
const status: ValueFunction = (item, _v, qx) => {
  const v = item.value;
  if (!/^[01]*$/.test(v)) return null;
  const one = v[0] === '1';
  switch (item.from) {
    case 63: {
      const type = strtol(v);
      if (type === 0) return 'offline';
      if (type === 1) return 'line-interactive';
      if (type === 10) return 'online';
      return null;
    }
    case 65:
      return one ? '!OL' : 'OL';
    case 66:
      return one ? 'LB' : '!LB';
    case 67: {
      if (!one) return '';
      const vi = strtod(qx.getinfo('input.voltage'));
      const vo = strtod(qx.getinfo('output.voltage'));
      if (vo < 0.5 * vi) return null;
      if (vo < 0.95 * vi) return 'TRIM';
      if (vo < 1.05 * vi) {
        const p = protocolOf(qx) ?? 0;
        if (p === 0 || p === 8) return lc(item.name) === 'ups.alarm' ? 'UPS is in AVR Mode.' : '';
        return lc(item.name) === 'ups.status' ? 'BYPASS' : '';
      }
      if (vo < 1.5 * vi) return 'BOOST';
      return null;
    }
    case 68:
      // NUT compares the character with the number 1: a fault bit never shows.
      return '';
    case 70:
      return one ? 'CAL' : '!CAL';
    case 71:
      return one ? 'FSD' : '!FSD';
    case 72: {
      if (state(qx).capability.has('alarm_control')) {
        const beeper = qx.getinfo('ups.beeper.status');
        if (beeper === undefined || lc(beeper) !== 'disabled') return v[0] === '0' ? 'enabled' : 'muted';
        return '';
      }
      return v[0] === '0' ? 'enabled' : 'disabled';
    }
    default:
      return null;
  }
};

const fault: ValueFunction = (item, _v, qx) => {
  const v = item.value;
  qx.log('Checking for faults..');
  if (lc(v) === 'ok') {
    const out = cformat(item.dfl ?? '%s', 'No fault found');
    qx.log(out);
    item.flags.add('skip');
    return out;
  }
  const span = /^[0-9ABC]*/.exec(v)![0].length;
  let found: [string] | [string, string] | undefined;
  if (span === 2 && (v[0] === '1' || /^[0-9]/.test(v.slice(1)))) {
    if (protocolOf(qx) === 31) {
      if (!/[ABC]/.test(v.slice(1))) found = P31_FAULTS[String(strtol(v))];
    } else {
      const code = strtol(v);
      found = code === 1 ? (FAULTS[`1${v[1]}`] ?? FAULTS['1']) : FAULTS[String(code)];
    }
  }
  const alarm = found ? found[0] : `Unknown fault [${v}]`;
  if (found?.[1]) qx.updateStatus(found[1]);
  qx.log(`Fault found: ${alarm}`);
  item.flags.add('skip');
  return cformat(item.dfl ?? '%s', alarm);
};

const ST_MAX_VALUE_LEN = 256;

const warning: ValueFunction = (item, _v, qx) => {
  const v = item.value;
  if (!/^[01]*$/.test(v)) return null;
  if (/^0*$/.test(v)) return '';
  let unk = '';
  let bitwarns = '';
  let warns = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '1') continue;
    const known = WARNINGS[String(i)];
    const n = cformat('%02d', i + 1);
    const warn = known ? known[0] : `Unknown warning from UPS [bit: #${n}]`;
    if (known?.[1]) qx.updateStatus(known[1]);
    qx.log(`Warning from UPS: ${warn}`);
    if (!known) unk += `, #${n}`;
    else if (warns.length) {
      bitwarns += `, #${n}`;
      warns += ` ${warn}`;
    } else {
      bitwarns = `Known (see log or manual) [bit: #${n}`;
      warns = warn;
    }
  }
  if (warns.length) {
    if (unk.length) {
      warns += ` Unknown warnings [bit:${unk.slice(1)}]`;
      bitwarns += `]; Unknown warnings [bit:${unk.slice(1)}]`;
    } else {
      bitwarns += ']';
    }
  } else {
    warns = `Unknown warnings [bit:${unk.slice(1)}]`;
    bitwarns = warns;
  }
  return `UPS warnings: ${ST_MAX_VALUE_LEN - 32 > warns.length ? warns : bitwarns}`;
};

const ecoVolt: ValueFunction = (item, _v, qx) => {
  if (!numeric(item.value)) return null;
  const out = cformat(item.dfl ?? '', strtod(item.value));
  const nominal = qx.getinfo('output.voltage.nominal');
  if (nominal === undefined) return out;
  const ovn = strtol(nominal);
  if (ovn < 0) return out;
  const p = protocolOf(qx) ?? -1;
  let span: [number, number, number, number];
  if (p === 1 || p === 9) span = ovn >= 200 ? [24, 7, 7, 24] : [12, 3, 3, 12];
  else if (PA99.includes(p)) span = ovn >= 200 ? [24, 11, 11, 24] : [12, 5, 5, 12];
  else return out;
  const name = lc(item.name);
  const limits = name === 'input.transfer.high' ? [ovn + span[2], ovn + span[3]] : name === 'input.transfer.low' ? [ovn - span[0], ovn - span[1]] : undefined;
  // NUT's read and setvar rows share one range array.
  if (limits) for (const it of qx.items) if (lc(it.name) === name) it.rw = limits.map((l) => ({ value: String(l) }));
  if (!unskip(qx, `${item.name}.min`, 'semiStatic') || !unskip(qx, `${item.name}.max`, 'semiStatic')) return null;
  return unskip(qx, item.name, 'setvar') ? out : null;
};

const ecoVoltRange: ValueFunction = (item, _v, qx) => {
  const m = /^(input\.transfer\.(?:low|high))\.(min|max)$/.exec(lc(item.name));
  if (!m) return null;
  const from = qx.find(m[1]!, ['semiStatic']);
  const v = from?.rw[m[2] === 'min' ? 0 : 1]?.value;
  return v ? v : null;
};

const ecoFreq: ValueFunction = (item, _v, qx) => {
  if (!numeric(item.value)) return null;
  const out = cformat(item.dfl ?? '', strtod(item.value));
  return unskip(qx, item.name, 'setvar') ? out : null;
};

const bypass: ValueFunction = (item, _v, qx) => {
  if (!numeric(item.value)) return null;
  const st = state(qx);
  let val: number;
  switch (lc(item.name)) {
    case 'max_bypass_volt': val = st.maxBypassVolt = strtol(item.value); break;
    case 'min_bypass_volt': val = st.minBypassVolt = strtol(item.value); break;
    case 'max_bypass_freq': val = st.maxBypassFreq = strtod(item.value); break;
    case 'min_bypass_freq': val = st.minBypassFreq = strtod(item.value); break;
    default: return null;
  }
  const out = cformat(item.dfl ?? '', val);
  if (qx.getval(item.name) === undefined) return out;
  return unskip(qx, item.name, 'setvar') ? out : null;
};

const battNumb: ValueFunction = (item, _v, qx) => {
  if (!numeric(item.value)) return null;
  const st = state(qx);
  st.batteryNumber = strtol(item.value);
  const out = cformat(item.dfl ?? '', st.batteryNumber);
  if (qx.getval(item.name) === undefined) return out;
  return unskip(qx, 'battery_number', 'setvar') ? out : null;
};

/** Index of a value among the item's enum values (case-insensitive), or -1. */
const enumIndex = (item: Item, value: string): number => item.rw.findIndex((r) => lc(r.value) === lc(value));

const outletNumber = (item: Item): string => item.name[7] ?? '';

export const voltronic: FunctionSet = {
  claim: { voltronic_claim: (qx) => claimItems(qx, ['input.voltage', 'ups.firmware.aux']) },
  rw: {
    voltronic_batt_low: (value, qx) => {
      const ovn = qx.getinfo('output.voltage.nominal');
      const ocn = qx.getinfo('output.current.nominal');
      if (ovn === undefined || ocn === undefined) return false;
      return strtol(value) === (strtol(ovn) * strtol(ocn) < 1000 ? 24 : 28);
    },
    voltronic_bypass_volt_max: limit(BYPASS_VOLT_MAX, 'input.voltage.nominal'),
    voltronic_bypass_volt_min: limit(BYPASS_VOLT_MIN, 'input.voltage.nominal'),
    voltronic_bypass_freq_max: limit(BYPASS_FREQ_MAX, 'output.frequency.nominal'),
    voltronic_bypass_freq_min: limit(BYPASS_FREQ_MIN, 'output.frequency.nominal'),
    voltronic_eco_freq_min: limit(ECO_FREQ_MIN, 'output.frequency.nominal'),
    voltronic_eco_freq_max: limit(ECO_FREQ_MAX, 'output.frequency.nominal'),
  },
  value: {
    voltronic_protocol: protocol,
    voltronic_process_setvar: processSetvar,
    voltronic_process_command: processCommand,
    voltronic_capability: capability,
    voltronic_capability_set: (item, value, qx) => {
      if (lc(value) === 'yes') return cformat(item.command ?? '', 'E');
      if (lc(value) === 'no') return cformat(item.command ?? '', 'D');
      qx.log(`${item.name}: given value [${value}] is not acceptable. Enter either 'yes' or 'no'.`);
      return null;
    },
    voltronic_capability_set_nonut: (item, value, qx) => {
      const match = state(qx).capability.get(lc(item.name));
      if (match === undefined) return null;
      if (lc(value) === lc(match)) {
        qx.log(`${item.name} is already ${match}`);
        return null;
      }
      if (lc(value) === 'disabled') return cformat(item.command ?? '', 'D');
      if (lc(value) === 'enabled') return cformat(item.command ?? '', 'E');
      qx.log(`${item.name}: [${value}] is not within acceptable values [enabled/disabled]`);
      return null;
    },
    voltronic_capability_reset: (item, _value, qx) => {
      if (!qx.testvar('reset_to_default')) return null;
      if (!(qx.status() & bit('OFF'))) {
        qx.log(`${item.name}: UPS capability options can be reset only when the UPS is in Standby Mode (i.e. ups.status = 'OFF').`);
        return null;
      }
      return item.command ?? '';
    },
    voltronic_eco_volt: ecoVolt,
    voltronic_eco_volt_range: ecoVoltRange,
    voltronic_eco_freq: ecoFreq,
    voltronic_bypass: bypass,
    voltronic_batt_numb: battNumb,
    voltronic_batt_runtime: (item) => (numeric(item.value) ? cformat(item.dfl ?? '', strtod(item.value) * 60) : null),
    voltronic_fault: fault,
    voltronic_warning: warning,
    voltronic_mode: mode,
    voltronic_status: status,
    voltronic_output_powerfactor: (item) => (numeric(item.value) ? cformat(item.dfl ?? '', strtod(item.value) * 0.01) : null),
    voltronic_serial_numb: (item, _v, qx) => {
      if (/^0*$/.test(item.value)) {
        qx.log(`${item.name}: UPS reported a non-significant serial [${item.value}]`);
        return null;
      }
      return cformat(item.dfl ?? '%s', item.value);
    },
    voltronic_outlet: (item, _v, qx) => {
      const c = item.value[0];
      if (c !== '0' && c !== '1') return null;
      let out: string;
      if (item.name.includes('switchable')) out = cformat(item.dfl ?? '%s', 'yes');
      else if (item.name.includes('status')) out = cformat(item.dfl ?? '%s', c === '1' ? 'on' : 'off');
      else return null;
      const n = outletNumber(item);
      const ok = unskip(qx, `outlet.${n}.delay.shutdown`, 'semiStatic') && unskip(qx, `outlet.${n}.load.on`, 'command') && unskip(qx, `outlet.${n}.load.off`, 'command');
      return ok ? out : null;
    },
    voltronic_outlet_delay: (item, _v, qx) => {
      if (!numeric(item.value)) return null;
      const out = cformat(item.dfl ?? '', strtod(item.value) * 60);
      return unskip(qx, `outlet.${outletNumber(item)}.delay.shutdown`, 'setvar') ? out : null;
    },
    voltronic_outlet_delay_set: (item, value) => cformat(item.command ?? '', Math.trunc(strtol(value) / 60)),
    voltronic_p31b: (item) => {
      if (item.value[0] !== '0' || !/^[012]/.test(item.value.slice(1))) return null;
      const r = item.rw[strtol(item.value)];
      return r ? cformat(item.dfl ?? '%s', r.value) : null;
    },
    voltronic_p31b_set: (item, value, qx) => {
      const i = enumIndex(item, value);
      if (i < 0) {
        qx.log(`${item.name}: value [${value}] out of range`);
        return null;
      }
      return processSetvar(item, String(i), qx);
    },
    voltronic_p31g: (item, _v, qx) => {
      if (item.value[0] !== '0' || !/^[01]/.test(item.value.slice(1))) return null;
      const val = strtol(item.value);
      const r = item.rw[val];
      if (!r) return null;
      state(qx).workRangeType = val;
      return cformat(item.dfl ?? '%s', r.value);
    },
    voltronic_p31g_set: (item, value, qx) => {
      const i = enumIndex(item, value);
      if (i < 0) {
        qx.log(`${item.name}: value [${value}] out of range`);
        return null;
      }
      if (i === state(qx).workRangeType) {
        qx.log(`${item.name} is already set to ${item.rw[i]!.value}`);
        return null;
      }
      return processSetvar(item, String(i), qx);
    },
    voltronic_phase: (item, _v, qx) => {
      if (!numeric(item.value)) return null;
      const angle = strtol(item.value);
      if (lc(item.name) === 'output_phase_angle') {
        state(qx).outputPhaseAngle = angle;
        if (qx.getval(item.name) !== undefined && !unskip(qx, item.name, 'setvar')) return null;
      }
      if (angle < 0) return null;
      return cformat(item.dfl ?? '', angle);
    },
    voltronic_phase_set: (item, value, qx) => {
      const i = enumIndex(item, value);
      if (i < 0) {
        qx.log(`${item.name}: value [${value}] out of range`);
        return null;
      }
      if (strtol(item.rw[i]!.value) === state(qx).outputPhaseAngle) {
        qx.log(`${item.name} is already set to ${item.rw[i]!.value}`);
        return null;
      }
      return processSetvar(item, String(i), qx);
    },
    voltronic_parallel: (item) => {
      if (!/^[0-9]*$/.test(item.value)) return null;
      const n = strtol(item.value);
      const type = n === 1 ? 'master' : n === 2 || n === 3 ? 'slave' : undefined;
      return type ? `This UPS is *${type}* in a system of UPSes in parallel` : null;
    },
  },
  options: {
    voltronic_makevartable: {
      reset_to_default: ['flag', 'Reset capability options and their limits to safe default values'],
      bypass_alarm: ['value', 'Alarm (BEEP!) at Bypass Mode [enabled/disabled]'],
      battery_alarm: ['value', 'Alarm (BEEP!) at Battery Mode [enabled/disabled]'],
      bypass_when_off: ['value', 'Bypass when the UPS is Off [enabled/disabled]'],
      alarm_control: ['value', 'Alarm (BEEP!) Control [enabled/disabled]'],
      converter_mode: ['value', 'Converter Mode [enabled/disabled]'],
      eco_mode: ['value', 'ECO Mode [enabled/disabled]'],
      battery_open_status_check: ['value', 'Battery Open Status Check [enabled/disabled]'],
      bypass_forbidding: ['value', 'Bypass not allowed (Bypass Forbidding) [enabled/disabled]'],
      site_fault_detection: ['value', 'Site fault detection [enabled/disabled]'],
      advanced_eco_mode: ['value', 'Advanced ECO Mode [enabled/disabled]'],
      constant_phase_angle: ['value', 'Constant Phase Angle Function (Output and input phase angles are not equal) [enabled/disabled]'],
      limited_runtime_on_battery: ['value', 'Limited runtime on battery mode [enabled/disabled]'],
      max_bypass_volt: ['value', 'Maximum voltage for Bypass Mode'],
      min_bypass_volt: ['value', 'Minimum voltage for Bypass Mode'],
      max_bypass_freq: ['value', 'Maximum frequency for Bypass Mode'],
      min_bypass_freq: ['value', 'Minimum frequency for Bypass Mode'],
      work_range_type: ['value', 'Device grid working range for P31 UPSes [Appliance/UPS]'],
      output_phase_angle: ['value', 'Change output phase angle to the provided value [000, 120, 180, 240]°'],
      battery_number: ['value', 'Set number of batteries that make a pack to n (integer, 1-9)'],
      testing: ['flag', 'If invoked the driver will exec also commands that still need testing'],
    },
  },
};
