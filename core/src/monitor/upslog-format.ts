/**
 * upslog's format language (reference/clients.md §4): `%%`, `%TIME <strftime with @>%`,
 * `%ETIME%`, `%HOST%`, `%UPSHOST%`, `%PID%`, `%VAR <name>%`, `%t` (TAB, 2.8.1+); unknown
 * escapes and an unclosed `%` print INVALID.
 */

export const DEFAULT_FORMAT =
  '%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%';

export type FormatPart =
  | { kind: 'text'; text: string }
  | { kind: 'time'; format: string }
  | { kind: 'etime' | 'host' | 'upshost' | 'pid' | 'invalid' }
  | { kind: 'var'; name: string };

export function compileFormat(format: string): FormatPart[] {
  const parts: FormatPart[] = [];
  let text = '';
  const flushText = () => {
    if (text) parts.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < format.length) {
    const ch = format[i];
    if (ch !== '%') {
      text += ch;
      i++;
      continue;
    }
    // `%t` (TAB, 2.8.1+) unless it starts a word such as `%time ...%`
    if (format[i + 1] === 't' && !/[A-Za-z]/.test(format[i + 2] ?? '')) {
      text += '\t';
      i += 2;
      continue;
    }
    const end = format.indexOf('%', i + 1);
    if (end < 0) {
      flushText();
      parts.push({ kind: 'invalid' });
      text = format.slice(i + 1);
      break;
    }
    const body = format.slice(i + 1, end);
    i = end + 1;
    if (body === '') {
      text += '%';
      continue;
    }
    flushText();
    const space = body.indexOf(' ');
    const cmd = (space < 0 ? body : body.slice(0, space)).toUpperCase();
    const arg = space < 0 ? '' : body.slice(space + 1);
    if (cmd.startsWith('TIME')) parts.push({ kind: 'time', format: arg });
    else if (cmd.startsWith('ETIME')) parts.push({ kind: 'etime' });
    else if (cmd.startsWith('HOST')) parts.push({ kind: 'host' });
    else if (cmd.startsWith('UPSHOST')) parts.push({ kind: 'upshost' });
    else if (cmd.startsWith('PID')) parts.push({ kind: 'pid' });
    else if (cmd.startsWith('VAR')) parts.push(arg.includes('.') ? { kind: 'var', name: arg } : { kind: 'invalid' });
    else parts.push({ kind: 'invalid' });
  }
  flushText();
  return parts;
}

export interface RenderContext {
  now: Date;
  hostname: string;
  upshost: string;
  pid: number;
  /** Value of a variable, or undefined on any error (printed as NA). */
  getVar: (name: string) => Promise<string | undefined>;
}

export async function renderFormat(parts: FormatPart[], ctx: RenderContext): Promise<string> {
  let out = '';
  for (const p of parts) {
    switch (p.kind) {
      case 'text':
        out += p.text;
        break;
      case 'time':
        out += strftime(p.format.replaceAll('@', '%'), ctx.now);
        break;
      case 'etime':
        out += String(Math.floor(ctx.now.getTime() / 1000));
        break;
      case 'host':
        out += ctx.hostname;
        break;
      case 'upshost':
        out += ctx.upshost;
        break;
      case 'pid':
        out += String(ctx.pid);
        break;
      case 'var':
        out += (await ctx.getVar(p.name)) ?? 'NA';
        break;
      case 'invalid':
        out += 'INVALID';
        break;
    }
  }
  return out;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** strftime(3) in the local time zone, C locale. */
export function strftime(format: string, d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const dayOfYear = Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86400000) + 1;
  const tz = -d.getTimezoneOffset();
  const conv: Record<string, () => string> = {
    Y: () => String(d.getFullYear()),
    y: () => p2(d.getFullYear() % 100),
    C: () => p2(Math.floor(d.getFullYear() / 100)),
    m: () => p2(d.getMonth() + 1),
    d: () => p2(d.getDate()),
    e: () => String(d.getDate()).padStart(2, ' '),
    H: () => p2(d.getHours()),
    I: () => p2(d.getHours() % 12 || 12),
    M: () => p2(d.getMinutes()),
    S: () => p2(d.getSeconds()),
    p: () => (d.getHours() < 12 ? 'AM' : 'PM'),
    j: () => String(dayOfYear).padStart(3, '0'),
    a: () => DAYS[d.getDay()].slice(0, 3),
    A: () => DAYS[d.getDay()],
    b: () => MONTHS[d.getMonth()].slice(0, 3),
    h: () => MONTHS[d.getMonth()].slice(0, 3),
    B: () => MONTHS[d.getMonth()],
    u: () => String(d.getDay() || 7),
    w: () => String(d.getDay()),
    s: () => String(Math.floor(d.getTime() / 1000)),
    z: () => `${tz >= 0 ? '+' : '-'}${p2(Math.floor(Math.abs(tz) / 60))}${p2(Math.abs(tz) % 60)}`,
    Z: () => Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '',
    n: () => '\n',
    t: () => '\t',
    '%': () => '%',
    T: () => `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`,
    R: () => `${p2(d.getHours())}:${p2(d.getMinutes())}`,
    D: () => `${p2(d.getMonth() + 1)}/${p2(d.getDate())}/${p2(d.getFullYear() % 100)}`,
    F: () => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`,
    c: () =>
      `${DAYS[d.getDay()].slice(0, 3)} ${MONTHS[d.getMonth()].slice(0, 3)} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`,
  };
  return format.replace(/%(.)/g, (m, c: string) => (conv[c] ? conv[c]() : m));
}
