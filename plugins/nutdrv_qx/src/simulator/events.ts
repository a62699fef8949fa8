/**
 * Events and faults, one per line (from a file or stdin):
 *   online | onbattery | lowbattery | batteryok | fail | ok
 *   set <variable> <value>           e.g. set battery.voltage 23.1
 *   noise on|off (junk after each answer)  garble on|off (junk inside: answers rejected)
 *   silence on|off  slow <ms>  unplug  replug
 *   wait <seconds>                   (scripts: pause before the next line)
 * Blank lines and # comments are ignored.
 */
import type { Q1Server } from './server.js';

export function applyEvent(server: Q1Server, line: string): string | undefined {
  const words = line.trim().split(/\s+/);
  const [what, a, b] = words;
  const d = server.device;
  const f = server.faults;
  switch (what?.toLowerCase()) {
    case undefined:
    case '':
      return undefined;
    case 'online':
      d.utilityFail = false;
      d.batteryLow = false;
      if (d.get('input.voltage.saved') !== undefined) d.set('input.voltage', d.get('input.voltage.saved')!);
      return undefined;
    case 'onbattery':
      d.utilityFail = true;
      if (d.get('input.voltage.saved') === undefined) d.set('input.voltage.saved', d.get('input.voltage') ?? '0');
      d.set('input.voltage', '0.0');
      return undefined;
    case 'lowbattery':
      d.batteryLow = true;
      return undefined;
    case 'batteryok':
      d.batteryLow = false;
      return undefined;
    case 'fail':
      d.failed = true;
      return undefined;
    case 'ok':
      d.failed = false;
      return undefined;
    case 'set':
      if (a === undefined || b === undefined) return 'set needs a variable and a value';
      d.set(a, words.slice(2).join(' '));
      return undefined;
    case 'noise':
      f.noise = a !== 'off';
      return undefined;
    case 'garble':
      f.garble = a !== 'off';
      return undefined;
    case 'silence':
      f.silent = a !== 'off';
      return undefined;
    case 'slow':
      f.slowMs = Number(a ?? 0) || 0;
      return undefined;
    case 'unplug':
      f.unplugged = true;
      server.onPlug?.(false);
      return undefined;
    case 'replug':
      f.unplugged = false;
      server.onPlug?.(true);
      return undefined;
    default:
      return `unknown event "${line.trim()}"`;
  }
}

/** Lines of a script, with `wait <s>` pauses honoured. */
export async function runScript(server: Q1Server, lines: AsyncIterable<string> | Iterable<string>, warn: (m: string) => void): Promise<void> {
  for await (const raw of lines) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [w, s] = line.split(/\s+/);
    if (w === 'wait') {
      await new Promise((r) => setTimeout(r, (Number(s) || 0) * 1000));
      continue;
    }
    const err = applyEvent(server, line);
    if (err) warn(err);
  }
}
