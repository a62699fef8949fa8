/**
 * An APC Smart-UPS as the protocol shows it, built from a NUT dump: answers each query byte
 * with the dump's value in the unit's own format, reports its command set and capability
 * record, changes state on commands, and sends alert characters on events.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadTable, type ApcTable, type VariableRow } from '../table.js';

export const STATUS_TOKENS: Record<string, number> = { CAL: 0x01, TRIM: 0x02, BOOST: 0x04, OL: 0x08, OB: 0x10, OVER: 0x20, LB: 0x40, RB: 0x80 };

interface ChoiceData {
  choices: Record<string, Record<string, string[]>>;
}

const CHOICES_FILE = fileURLToPath(new URL('../../data/capabilities.json', import.meta.url));

/** Instant command bytes a Smart-UPS of the dumps' generation takes (bypass only on Matrix). */
const DEFAULT_COMMANDS = '@ADKSUWZ\x0e\x7f';

export interface UnitOutput {
  /** Bytes to the driver. */
  send(text: string): void;
  /** Something worth a line in the simulator's log. */
  note(text: string): void;
}

export interface UnitOptions {
  /** Command bytes to offer instead of the default set. */
  commands?: string;
}

function pad(n: number, width: number): string {
  return String(Math.max(0, Math.trunc(n))).padStart(width, '0');
}

export class SmartUps {
  readonly table: ApcTable;
  /** Raw answers by query byte. */
  readonly answers = new Map<string, string>();
  /** Capability choices by query byte (raw, as the unit cycles them). */
  readonly choices = new Map<string, string[]>();
  readonly locale: string;
  status: number;
  /** Dump variables no query of the protocol gives (older drivers' names). */
  readonly unanswerable: string[] = [];
  private commandChars: string;
  private lastQuery = '';
  private collect: { kind: 'string' | 'at'; char: string; buf: string; timer?: NodeJS.Timeout } | undefined;
  private firstOfTwo: { char: string; at: number } | undefined;
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    dump: Map<string, string>,
    private readonly out: UnitOutput,
    options: UnitOptions = {},
  ) {
    this.table = loadTable();
    const fw = dump.get('ups.firmware');
    this.locale = fw ? fw[fw.length - 1] : '4';
    this.status = statusFromText(dump.get('ups.status') ?? 'OL');
    this.fillAnswers(dump);
    this.fillChoices(dump);
    const model = (dump.get('ups.model') ?? '').toLowerCase();
    this.commandChars = options.commands ?? DEFAULT_COMMANDS + (model.includes('matrix') ? '^' : '');
  }

  // ------------------------------------------------------------------ from the dump

  private encode(row: VariableRow, value: string): string {
    switch (row.convert) {
      case 'hoursToSeconds': {
        const hours = Number(value) / 3600;
        if (row.name === 'device.uptime') return (Number(value) / 3600).toFixed(1).padStart(5, '0');
        return hours === 0 ? 'OFF' : pad(hours, 3);
      }
      case 'minutesToSeconds':
        return row.char === 'j' ? `${pad(Number(value) / 60, 4)}:` : pad(Number(value) / 60, 2);
      case 'transferReason': {
        const hit = Object.entries(this.table.transferReasons).find(([, text]) => text === value);
        return hit ? hit[0] : value;
      }
      default:
        return value;
    }
  }

  private fillAnswers(dump: Map<string, string>): void {
    const used = new Set<string>();
    for (const row of this.table.variables) {
      if (this.answers.has(row.char)) continue;
      if (row.packed) {
        const fields: string[] = [];
        for (let i = 1; i <= 4; i++) {
          const v = dump.get(row.name.replace('.0.', `.${i}.`));
          if (v !== undefined) {
            fields[i - 1] = v === 'N/A' ? '' : this.encode(row, v);
            used.add(row.name.replace('.0.', `.${i}.`));
          }
        }
        if (fields.length) this.answers.set(row.char, Array.from(fields, (f) => f ?? '').join(','));
        continue;
      }
      const value = dump.get(row.name);
      if (value === undefined) continue;
      const raw = this.encode(row, value);
      if (row.pattern !== undefined && !new RegExp(row.pattern).test(raw)) continue;
      if (row.name === 'ups.firmware' && this.answers.has('b')) continue;
      this.answers.set(row.char, raw);
      used.add(row.name);
    }
    for (const name of dump.keys()) {
      if (used.has(name) || name.startsWith('driver.') || name.startsWith('device.')) continue;
      if (['ups.status', 'ups.mfr'].includes(name)) continue;
      this.unanswerable.push(name);
    }
  }

  private fillChoices(dump: Map<string, string>): void {
    const data = JSON.parse(readFileSync(CHOICES_FILE, 'utf8')) as ChoiceData;
    const inputVoltage = Number(dump.get('input.voltage') ?? dump.get('output.voltage') ?? '230');
    const voltageClass = inputVoltage > 180 ? 'I' : 'D';
    for (const [ch, byClass] of Object.entries(data.choices)) {
      const current = this.answers.get(ch);
      if (current === undefined) continue;
      const lists = Object.values(byClass);
      const list = [...(lists.find((l) => l.includes(current)) ?? byClass['4'] ?? byClass[voltageClass] ?? lists[0])];
      if (list.length === 0 || list[0].length !== current.length) continue;
      // The unit offers what it holds: a value the list lacks takes the last place.
      if (!list.includes(current)) list[list.length - 1] = current;
      this.choices.set(ch, list);
    }
  }

  /** The 'a' answer: protocol version, alert characters, command characters. */
  commandSet(): string {
    const chars = new Set<string>(['Q', 'R', 'Y', 'a', ...this.answers.keys(), ...this.commandChars]);
    if (this.choices.size) chars.add('\x1a');
    const sorted = [...chars].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0)).join('');
    return `3.!$%+?=#|.${sorted}`;
  }

  /** The ^Z answer. */
  capabilityRecord(): string {
    let rec = '#';
    for (const [ch, list] of this.choices) {
      rec += `${ch}${this.locale}${String.fromCharCode(48 + list.length)}${String.fromCharCode(48 + list[0].length)}${list.join('')}`;
    }
    return rec;
  }

  // ------------------------------------------------------------------ the line

  private reply(text: string): void {
    this.out.send(`${text}\r\n`);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.collect?.timer) clearTimeout(this.collect.timer);
  }

  private offers(ch: string): boolean {
    return this.commandChars.includes(ch);
  }

  /** One byte from the driver. */
  receive(ch: string): void {
    const c = this.collect;
    if (c) {
      if (c.kind === 'string') {
        c.buf += ch;
        if (c.buf.length === 8) {
          this.collect = undefined;
          const value = c.buf.replace(/\r+$/, '');
          this.answers.set(c.char, value);
          this.out.note(`${c.char} set to "${value}"`);
          this.reply('OK');
        }
        return;
      }
      if (/[0-9]/.test(ch)) {
        c.buf += ch;
        if (c.timer) clearTimeout(c.timer);
        if (c.buf.length === 3) {
          this.collect = undefined;
          this.hibernate(c.buf);
        } else {
          c.timer = setTimeout(() => this.finishShortAt(), 1000);
        }
        return;
      }
      // Anything else ends the half-taken @ command.
      if (c.timer) clearTimeout(c.timer);
      this.collect = undefined;
      this.reply('NO');
      return;
    }
    this.command(ch);
  }

  private finishShortAt(): void {
    const c = this.collect;
    if (!c || c.kind !== 'at') return;
    this.collect = undefined;
    if (c.buf.length === 2) this.hibernate(c.buf);
  }

  private hibernate(digits: string): void {
    this.out.note(`hard hibernate requested (@${digits})`);
    this.reply('OK');
    this.powerOffAfterDelay(() => {
      if (this.status === 0) this.later(Number(this.answers.get('r') ?? '0') * 1000 + 1, () => this.setStatus(STATUS_TOKENS.OL));
    });
  }

  private powerOffAfterDelay(then?: () => void): void {
    const delay = Number(this.answers.get('p') ?? '20') * 1000;
    this.later(delay, () => {
      this.out.note('load off');
      this.setStatus(0);
      then?.();
    });
  }

  setStatus(bits: number): void {
    this.status = bits & 0xff;
  }

  /** A byte that needs a second one 1-4 s later (K, Z, ^N). */
  private secondOfTwo(ch: string): boolean {
    const now = Date.now();
    const first = this.firstOfTwo;
    if (first && first.char === ch && now - first.at >= 1000 && now - first.at <= 4000) {
      this.firstOfTwo = undefined;
      return true;
    }
    this.firstOfTwo = { char: ch, at: now };
    return false;
  }

  private command(ch: string): void {
    switch (ch) {
      case 'Y':
        return this.reply('SM');
      case 'R':
        return this.reply('BYE');
      case '\x1b':
        return;
      case 'Q':
        return this.reply(this.status.toString(16).toUpperCase().padStart(2, '0'));
      case 'a':
        return this.reply(this.commandSet());
      case '\x1a':
        return this.reply(this.choices.size ? this.capabilityRecord() : 'NA');
      case '-':
        return this.nextValue();
    }
    if (this.answers.has(ch)) {
      this.lastQuery = ch;
      return this.reply(this.answers.get(ch)!);
    }
    if (!this.offers(ch)) return this.reply('NA');
    switch (ch) {
      case 'A':
        return this.reply('OK');
      case 'U':
        this.reply('OK');
        return this.simulatedPowerFailure();
      case 'W':
        this.reply('OK');
        return this.selfTest();
      case 'D':
        this.status ^= STATUS_TOKENS.CAL;
        return this.reply('OK');
      case '^':
        return this.reply('OK');
      case '\x7f':
        this.close();
        return this.reply('OK');
      case 'S':
        if (!(this.status & STATUS_TOKENS.OB)) return this.reply('NA');
        this.out.note('soft hibernate requested (S)');
        this.reply('OK');
        return this.powerOffAfterDelay();
      case '@':
        this.collect = { kind: 'at', char: '@', buf: '' };
        this.collect.timer = setTimeout(() => this.finishShortAt(), 1000);
        return;
      case 'K':
        if (!this.secondOfTwo(ch)) return;
        this.out.note('delayed power off requested (K K)');
        this.reply('OK');
        return this.powerOffAfterDelay();
      case 'Z':
        if (!this.secondOfTwo(ch)) return;
        this.out.note('power off now (Z Z)');
        return this.setStatus(0);
      case '\x0e':
        if (!this.secondOfTwo(ch)) return;
        this.out.note('load on (^N ^N)');
        return this.setStatus(STATUS_TOKENS.OL);
    }
    return this.reply('NA');
  }

  /** '-': the next capability value of the last variable read, or the start of a text write. */
  private nextValue(): void {
    const ch = this.lastQuery;
    const row = this.table.variables.find((r) => r.char === ch);
    if (row?.writableString) {
      this.collect = { kind: 'string', char: ch, buf: '' };
      return;
    }
    const list = this.choices.get(ch);
    if (!list) return this.reply('NO');
    const i = list.indexOf(this.answers.get(ch) ?? '');
    this.answers.set(ch, list[(i + 1) % list.length]);
    this.out.note(`${ch} cycled to "${this.answers.get(ch)}"`);
    this.reply('OK');
  }

  // ------------------------------------------------------------------ events

  alert(ch: string): void {
    this.out.send(ch);
  }

  onBattery(): void {
    this.status = (this.status & ~STATUS_TOKENS.OL) | STATUS_TOKENS.OB;
    this.alert('!');
  }

  onLine(): void {
    this.status = (this.status & ~(STATUS_TOKENS.OB | STATUS_TOKENS.LB)) | STATUS_TOKENS.OL;
    this.alert('$');
  }

  private simulatedPowerFailure(): void {
    if (this.answers.has('G')) this.answers.set('G', 'S');
    this.onBattery();
    this.later(10_000, () => {
      if (this.status & STATUS_TOKENS.OB) this.onLine();
    });
  }

  selfTest(): void {
    this.out.note('self-test running');
    this.later(2000, () => {
      if (this.answers.has('X')) this.answers.set('X', 'OK');
      this.out.note('self-test passed');
    });
  }

  /** Sets a value by NUT name (scripted events), in the unit's format. */
  setValue(name: string, value: string): boolean {
    const row = this.table.variables.find((r) => r.name === name && (!r.pattern || new RegExp(r.pattern).test(this.encode(r, value))));
    if (!row) return false;
    this.answers.set(row.char, this.encode(row, value));
    return true;
  }
}

export function statusFromText(text: string): number {
  let bits = 0;
  for (const token of text.split(/\s+/)) bits |= STATUS_TOKENS[token] ?? 0;
  return bits;
}
