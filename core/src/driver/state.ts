/**
 * NUT's dstate_* helpers, status_* and alarm_* (drivers/dstate.c, 2.8.0) over a StateTree:
 * what a plugin's DriverContext writes through. Values are cut to 255 characters, IMMUTABLE
 * variables refuse new flags, addrange adds NUMBER, and ups.status / ups.alarm are only
 * published on commit.
 */
import { cAtoi } from '../config/c-numbers.js';
import { encodeValue } from '../config/parseconf.js';
import { FLAG_IMMUTABLE, FLAG_NUMBER } from '../dstate/ops.js';
import type { StateTree } from '../dstate/tree.js';
import type { DstateWriter, StatusComposer } from '../plugin-api/index.js';

/** ST_MAX_VALUE_LEN - 1: a formatted value lives in a 256-byte buffer. */
export const MAX_VALUE_LENGTH = 255;
/** status_buf / alarm_buf size - 1. */
const STATUS_BUFFER_LENGTH = 255;

export type StateWarn = (message: string) => void;

export class DriverState implements DstateWriter {
  private statusBuffer = '';
  private alarmBuffer = '';
  private alarmActive = false;
  private ignorelb = false;

  constructor(
    readonly tree: StateTree,
    private readonly warn: StateWarn = () => {},
  ) {}

  setinfo(name: string, value: string | number): void {
    let text = typeof value === 'number' ? String(value) : value;
    if (text.length > MAX_VALUE_LENGTH) text = text.slice(0, MAX_VALUE_LENGTH);
    this.tree.setInfo(name, text);
  }

  getinfo(name: string): string | undefined {
    return this.tree.getValue(name);
  }

  /** The stored (escaped) form, as NUT's dstate_getinfo returns it. */
  getinfoEscaped(name: string): string | undefined {
    const v = this.tree.getValue(name);
    return v === undefined ? undefined : encodeValue(v);
  }

  delinfo(name: string): void {
    this.tree.delInfo(name);
  }

  setflags(name: string, flags: number): void {
    const node = this.tree.get(name);
    if (!node) return;
    if (node.flags & FLAG_IMMUTABLE) {
      this.warn(`dstate_setflags: base variable (${name}) is immutable`);
      return;
    }
    this.tree.setFlags(name, flags);
  }

  addflags(name: string, flags: number): void {
    const node = this.tree.get(name);
    if (!node) return;
    this.setflags(name, node.flags | flags);
  }

  setaux(name: string, aux: number): void {
    if (!this.tree.has(name)) {
      this.warn(`dstate_setaux: base variable (${name}) does not exist`);
      return;
    }
    this.tree.setAux(name, aux);
  }

  addenum(name: string, value: string): void {
    this.tree.addEnum(name, value);
  }

  delenum(name: string, value: string): void {
    this.tree.delEnum(name, value);
  }

  addrange(name: string, min: number, max: number): void {
    this.tree.addRange(name, min, max);
    const node = this.tree.get(name);
    if (node && !(node.flags & FLAG_NUMBER) && !(node.flags & FLAG_IMMUTABLE)) this.tree.setFlags(name, node.flags | FLAG_NUMBER);
  }

  delrange(name: string, min: number, max: number): void {
    this.tree.delRange(name, min, max);
  }

  addcmd(name: string): void {
    this.tree.addCmd(name);
  }

  delcmd(name: string): void {
    this.tree.delCmd(name);
  }

  dataok(): void {
    this.tree.setStale(false);
  }

  datastale(): void {
    this.tree.setStale(true);
  }

  isStale(): boolean {
    return this.tree.stale;
  }

  /** status_init/status_set/status_commit, 2.8.0: call order, no dedup, ignorelb. */
  readonly status: StatusComposer = {
    init: () => {
      this.statusBuffer = '';
      this.ignorelb = this.tree.has('driver.flag.ignorelb');
    },
    set: (token: string) => {
      if (this.ignorelb && token.toUpperCase() === 'LB') return;
      this.statusBuffer = appendWord(this.statusBuffer, token);
    },
    commit: () => {
      if (this.ignorelb) this.statusBuffer = cut(this.statusBuffer + this.lowBatteryByLevels());
      this.setinfo('ups.status', this.alarmActive ? `ALARM ${this.statusBuffer}` : this.statusBuffer);
    },
  };

  /** alarm_init/alarm_set/alarm_commit: ups.alarm, and the ALARM prefix of the next status commit. */
  readonly alarm: StatusComposer = {
    init: () => {
      this.alarmBuffer = '';
      this.alarmActive = false;
    },
    set: (text: string) => {
      this.alarmBuffer = appendWord(this.alarmBuffer, text);
    },
    commit: () => {
      if (this.alarmBuffer.length > 0) {
        this.setinfo('ups.alarm', this.alarmBuffer);
        this.alarmActive = true;
      } else {
        this.delinfo('ups.alarm');
        this.alarmActive = false;
      }
    },
  };

  private lowBatteryByLevels(): string {
    for (const [value, low] of [
      ['battery.charge', 'battery.charge.low'],
      ['battery.runtime', 'battery.runtime.low'],
    ]) {
      const v = this.getinfoEscaped(value);
      const l = this.getinfoEscaped(low);
      if (v !== undefined && l !== undefined && cAtoi(v) < cAtoi(l)) return ' LB';
    }
    return '';
  }
}

function appendWord(buffer: string, word: string): string {
  return cut(buffer.length > 0 ? `${buffer} ${word}` : buffer + word);
}

function cut(text: string): string {
  return text.length > STATUS_BUFFER_LENGTH ? text.slice(0, STATUS_BUFFER_LENGTH) : text;
}
