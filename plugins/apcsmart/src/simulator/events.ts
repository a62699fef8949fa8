/** Scripted events and faults for the simulator: one per line, from a file or stdin. */
import type { SmartUps } from './unit.js';
import { statusFromText } from './unit.js';

export interface Faults {
  /** Answers are dropped. */
  silent: boolean;
  /** Answers are replaced by random bytes without a line end. */
  garbled: boolean;
  /** Milliseconds before each answer leaves. */
  slowMs: number;
}

export interface EventTarget {
  unit: SmartUps;
  faults: Faults;
  sendRaw(text: string): void;
  unplug(): Promise<void>;
  replug(): Promise<void>;
}

export const EVENT_HELP = `events (one per line; '#' starts a comment):
  onbattery | online | lowbattery | batteryok | replacebattery | overload | overloadend
  selftest                    a battery self-test (ups.test.result becomes OK)
  alert <chars>               send alert characters as they are
  status <tokens>             set the status register (e.g. status OB LB)
  set <variable> <value>      change a value (NUT name and units)
  noise [count]               send count random bytes now (default 16)
  garble on|off               answers become random bytes
  silence on|off              answers are dropped
  slow <ms>                   answers leave ms late (0: on time)
  unplug | replug             remove the terminal / create it again
  sleep <ms>                  wait (scripts)`;

/** Random bytes that are neither alert characters nor line ends. */
export function noiseBytes(count: number): string {
  let s = '';
  while (s.length < count) {
    const b = Math.floor(Math.random() * 256);
    const ch = String.fromCharCode(b);
    if ('$!%+#?=\n*'.includes(ch)) continue;
    s += ch;
  }
  return s;
}

/** Runs one event line; returns an error text when the line is not understood. */
export async function runEvent(t: EventTarget, line: string): Promise<string | undefined> {
  const words = line.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const [name, ...args] = words;
  const u = t.unit;
  const onOff = (v: string | undefined) => v === undefined || v === 'on';
  switch (name.toLowerCase()) {
    case 'onbattery':
      u.onBattery();
      return undefined;
    case 'online':
      u.onLine();
      return undefined;
    case 'lowbattery':
      u.status |= 0x40;
      u.alert('%');
      return undefined;
    case 'batteryok':
      u.status &= ~0x40;
      u.alert('+');
      return undefined;
    case 'replacebattery':
      u.status |= 0x80;
      u.alert('#');
      return undefined;
    case 'overload':
      u.status |= 0x20;
      u.alert('?');
      return undefined;
    case 'overloadend':
      u.status &= ~0x20;
      u.alert('=');
      return undefined;
    case 'selftest':
      u.selfTest();
      return undefined;
    case 'alert':
      u.alert(args.join(''));
      return undefined;
    case 'status':
      u.setStatus(statusFromText(args.join(' ')));
      return undefined;
    case 'set':
      if (args.length < 2) return 'set needs a variable and a value';
      return u.setValue(args[0], args.slice(1).join(' ')) ? undefined : `${args[0]}: no protocol query gives this variable`;
    case 'noise':
      t.sendRaw(noiseBytes(Number(args[0] ?? '16') || 16));
      return undefined;
    case 'garble':
      t.faults.garbled = onOff(args[0]);
      return undefined;
    case 'silence':
      t.faults.silent = onOff(args[0]);
      return undefined;
    case 'slow':
      t.faults.slowMs = Math.max(0, Number(args[0] ?? '0') || 0);
      return undefined;
    case 'unplug':
      await t.unplug();
      return undefined;
    case 'replug':
      await t.replug();
      return undefined;
    case 'sleep':
      await new Promise((r) => setTimeout(r, Number(args[0] ?? '0') || 0));
      return undefined;
    default:
      return `unknown event '${name}'`;
  }
}
