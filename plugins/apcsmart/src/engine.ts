/**
 * The apcsmart engine: smart-mode handshake, discovery of what the unit supports (command
 * set 'a' or the firmware list, then the capability record ^Z), polling, alerts. Instant
 * commands, settings and shutdown are in commands.ts. One engine per driver instance.
 */
import { FLAG_RW, FLAG_STRING, type DriverContext } from '@nut-ts/core/plugin-api';
import { convertAnswer } from './convert.js';
import { ApcLink, type Answer } from './link.js';
import type { ApcOptions } from './options.js';
import { charName, type ApcTable, type CommandRow, type VariableRow } from './table.js';

/** Status register bits ('Q'), in the order NUT names them. */
const STATUS_BITS: Array<[number, string]> = [
  [0x01, 'CAL'],
  [0x02, 'TRIM'],
  [0x04, 'BOOST'],
  [0x08, 'OL'],
  [0x10, 'OB'],
  [0x20, 'OVER'],
  [0x40, 'LB'],
  [0x80, 'RB'],
];
export const STAT = { CAL: 0x01, OL: 0x08, OB: 0x10, OVER: 0x20, LB: 0x40, RB: 0x80 } as const;

const COMMAND_SET_FORMAT = /^[0-9]\.[^.]*\.[^.]+(\.[^.]+)?$/;
const HOUR_MS = 3600 * 1000;
const PACK_MAX = 4;

export const WAIT = { flush: 0, peek: 200, short: 1500, normal: 3000, long: 6000 } as const;

export interface VariableState {
  readonly row: VariableRow;
  present: boolean;
  writable: boolean;
  enumerated: boolean;
  /** Fields published last time (packed rows). */
  fields: number;
}

export interface CommandState {
  readonly row: CommandRow;
  present: boolean;
}

export class ApcEngine {
  readonly link: ApcLink;
  readonly vars: VariableState[];
  readonly cmds: CommandState[];
  /** Status register as last read or changed by alerts. */
  status = 0;
  private failedUpdates = 0;
  private lastFullRefresh = 0;
  /** Seconds (time()) of the last dangerous command request. */
  lastNastyRequest = 0;

  constructor(
    readonly ctx: DriverContext,
    readonly table: ApcTable,
    readonly options: ApcOptions,
  ) {
    this.vars = table.variables.map((row) => ({ row, present: false, writable: false, enumerated: false, fields: 0 }));
    this.cmds = table.commands.map((row) => ({ row, present: false }));
    this.link = new ApcLink(ctx, (ch, unasked) => this.alert(ch, unasked), options.rawTty);
  }

  // ------------------------------------------------------------------ device

  async open(): Promise<void> {
    const handle = await this.ctx.openSerial(this.ctx.port, {
      baudRate: 2400,
      dataBits: 8,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xonxoff: false,
      ...(this.options.altCable ? { dtr: true, rts: false } : {}),
    });
    this.link.attach(handle);
  }

  /** After an unplug: open the port again (quietly; the next update tries again). */
  private async reopen(): Promise<boolean> {
    await this.link.close();
    try {
      await this.open();
      this.ctx.log.info(`${this.ctx.port}: port opened again`);
      return true;
    } catch (e) {
      this.ctx.log.debug(1, `reopening ${this.ctx.port}: ${(e as Error).message}`);
      return false;
    }
  }

  // ------------------------------------------------------------------ status and alerts

  publishStatus(): void {
    const st = this.ctx.status;
    st.init();
    for (const [bit, token] of STATUS_BITS) if (this.status & bit) st.set(token);
    if (this.status === 0) st.set('OFF');
    st.commit();
  }

  private alert(ch: string, unasked: boolean): void {
    const before = this.status;
    switch (ch) {
      case '!':
        this.status = (this.status & ~STAT.OL) | STAT.OB;
        break;
      case '$':
        this.status = (this.status & ~STAT.OB) | STAT.OL;
        break;
      case '%':
        this.status |= STAT.LB;
        break;
      case '+':
        this.status &= ~STAT.LB;
        break;
      case '#':
        this.status |= STAT.RB;
        break;
      case '?':
        this.status |= STAT.OVER;
        break;
      case '=':
        this.status &= ~STAT.OVER;
        break;
      default:
        return;
    }
    this.ctx.log.debug(1, `alert '${ch}'${unasked ? ' (between polls)' : ''}: status ${before.toString(16)} -> ${this.status.toString(16)}`);
    this.publishStatus();
    // Unasked: clients should see it now, and a poll confirms it (NUT's extra fd wakes its loop).
    if (unasked) this.ctx.requestUpdate();
  }

  // ------------------------------------------------------------------ variables in the tree

  private packedName(v: VariableState, field: number): string {
    return v.row.name.replace('.0.', `.${field + 1}.`);
  }

  private removeVariable(v: VariableState, fromField = 0): void {
    if (!v.row.packed) {
      this.ctx.dstate.delinfo(v.row.name);
      return;
    }
    for (let f = fromField; f < v.fields; f++) this.ctx.dstate.delinfo(this.packedName(v, f));
    v.fields = 0;
  }

  private publish(v: VariableState, answer: string): void {
    if (!v.row.packed) {
      this.ctx.dstate.setinfo(v.row.name, convertAnswer(this.table, v.row, answer));
      return;
    }
    const parts = answer.split(',');
    if (parts.length > PACK_MAX) {
      this.ctx.log.warn(`packed variable ${v.row.name} [${charName(v.row.char)}] longer than ${PACK_MAX} fields,\nignoring remaining fields`);
    }
    const fields = parts.slice(0, PACK_MAX);
    if (v.fields > fields.length) this.removeVariable(v, fields.length);
    v.fields = fields.length;
    for (let f = fields.length - 1; f >= 0; f--) {
      this.ctx.dstate.setinfo(this.packedName(v, f), fields[f] === '' ? 'N/A' : convertAnswer(this.table, v.row, fields[f]));
    }
  }

  private stringSetup(v: VariableState): void {
    if (!v.row.writableString) return;
    this.ctx.dstate.setflags(v.row.name, FLAG_RW | FLAG_STRING);
    this.ctx.dstate.setaux(v.row.name, 8);
    v.writable = true;
  }

  findVariable(name: string): VariableState | undefined {
    const lower = name.toLowerCase();
    return this.vars.find((v) => v.present && v.row.name.toLowerCase() === lower);
  }

  private findByChar(ch: string): VariableState | undefined {
    return this.vars.find((v) => v.present && v.row.char === ch);
  }

  // ------------------------------------------------------------------ exchanges

  /** Query a variable once at discovery (plain read: alerts dropped). */
  private async preread(v: VariableState): Promise<string | undefined> {
    return this.link.exchange(async () => {
      await this.link.flush(false);
      if (!(await this.link.write(v.row.char))) return undefined;
      const a = await this.link.read({ timeoutMs: WAIT.normal });
      if (a === null || a === '' || a === 'NA') {
        if (a !== null) this.ctx.log.error(`preread_data: ${v.row.name} [${charName(v.row.char)}] timed out or not supported`);
        return undefined;
      }
      return a;
    });
  }

  /** Read a present variable and publish it; false when the line failed. */
  async poll(v: VariableState): Promise<boolean> {
    if (!v.present) return true;
    return this.link.exchange(async () => {
      await this.link.flush(true);
      if (!(await this.link.write(v.row.char))) return false;
      const a = await this.link.read({ timeoutMs: WAIT.normal, alerts: true });
      if (a === null || a === '') return false;
      if (a === 'NA') {
        this.ctx.log.warn(`poll_data: verified variable ${v.row.name} [${charName(v.row.char)}] returned NA, removing`);
        v.present = false;
        this.removeVariable(v);
      } else {
        this.publish(v, a);
      }
      return true;
    });
  }

  /** 'Q': the status register. */
  async readStatus(): Promise<boolean> {
    return this.link.exchange(async () => {
      await this.link.flush(true);
      if (!(await this.link.write('Q'))) return false;
      const a = await this.link.read({ timeoutMs: WAIT.normal, alerts: true });
      if (a === null || a === '' || a === 'NA') {
        if (a !== null) this.ctx.log.warn('update_status: failed');
        return false;
      }
      this.status = parseHexPrefix(a) & 0xff;
      this.publishStatus();
      return true;
    });
  }

  /** 'Y' until the unit answers SM; ESC between tries. */
  async smartMode(tries: number): Promise<boolean> {
    return this.link.exchange(async () => {
      for (let i = 0; i < tries; i++) {
        await this.link.flush(false);
        if (!(await this.link.write('Y'))) return false;
        const a = await this.link.read({ timeoutMs: WAIT.short });
        if (a === 'SM') return true;
        if (a === null) await this.ctx.sleep(1000);
        if (!(await this.link.write('\x1b'))) return false;
        await this.link.read({ timeoutMs: WAIT.short });
      }
      return false;
    });
  }

  // ------------------------------------------------------------------ discovery

  private async verifyVariable(v: VariableState): Promise<void> {
    if (v.row.alternative) {
      // decided once every character is known (resolveAlternatives)
      v.present = true;
      return;
    }
    const a = await this.preread(v);
    if (a === undefined || (v.row.pattern !== undefined && !new RegExp(v.row.pattern).test(a))) {
      this.ctx.log.warn(`${v.row.name} [${charName(v.row.char)}] - variable invalid`);
      return;
    }
    v.present = true;
    this.publish(v, a);
    this.stringSetup(v);
    this.ctx.log.debug(1, `${v.row.name} [${charName(v.row.char)}] - variable supported`);
  }

  /** One character of the unit's command set: its variables, else its commands. */
  private async verifyChar(ch: string): Promise<void> {
    if (this.table.unexposedChars.includes(ch)) return;
    const vars = this.vars.filter((v) => v.row.char === ch);
    if (vars.length) {
      for (const v of vars) await this.verifyVariable(v);
      return;
    }
    const cmds = this.cmds.filter((c) => c.row.char === ch);
    for (const c of cmds) {
      c.present = true;
      this.ctx.dstate.addcmd(c.row.name);
      this.ctx.log.debug(1, `${c.row.name} [${charName(ch)}] - command supported`);
    }
    if (!cmds.length) this.ctx.log.warn(`[${charName(ch)}] unrecognized`);
  }

  /** Rows sharing a name or character: keep the first whose answer fits, drop the others. */
  private async resolveAlternatives(): Promise<void> {
    for (let i = 0; i < this.vars.length; i++) {
      const v = this.vars[i];
      if (!v.row.alternative || !v.present) continue;
      const a = await this.preread(v);
      if (a === undefined || (v.row.pattern !== undefined && !new RegExp(v.row.pattern).test(a))) {
        v.present = false;
        this.ctx.log.warn(`${v.row.name} [${charName(v.row.char)}] - variable combination invalid`);
        continue;
      }
      for (let j = i + 1; j < this.vars.length; j++) {
        const w = this.vars[j];
        if (w.row.name === v.row.name || w.row.char === v.row.char) w.present = false;
      }
      this.publish(v, a);
      this.stringSetup(v);
      this.ctx.log.debug(1, `${v.row.name} [${charName(v.row.char)}] - variable combination supported`);
    }
  }

  /** Units that predate the command set: a fixed list of queries. */
  private async oldUnitSetup(): Promise<void> {
    for (const name of [
      'ups.temperature',
      'ups.load',
      'input.voltage',
      'output.voltage',
      'battery.charge',
      'battery.voltage',
      'ups.model',
      'ups.serial',
      'ups.firmware',
      'output.current',
    ]) {
      for (const v of this.vars) if (v.row.name === name) await this.verifyVariable(v);
    }
    await this.resolveAlternatives();
    if (this.findVariable('output.current')) this.ctx.dstate.setinfo('ups.model', 'Matrix-UPS');
    else if (!this.findVariable('ups.model')) this.ctx.dstate.setinfo('ups.model', 'Smart-UPS');
  }

  /**
   * 'V' (then 'b'): a unit in the firmware list gets that list's characters.
   * Returns 'matched', 'overflow' (quirky capability record) or 'none' (also when the line
   * failed: the command set query comes next either way).
   */
  private async firmwareLookup(): Promise<'matched' | 'overflow' | 'none'> {
    const fw = await this.link.exchange(async (): Promise<Answer> => {
      await this.link.flush(false);
      if (!(await this.link.write('V'))) return null;
      let a = await this.link.read({ timeoutMs: WAIT.normal });
      if (a === null) return null;
      if (a === '' || a === 'NA') {
        if (!(await this.link.write('b'))) return null;
        a = await this.link.read({ timeoutMs: WAIT.normal });
        if (a === null || a === '') return null;
      }
      return a;
    });
    if (fw === null) return 'none';
    this.ctx.log.debug(1, `detected firmware version: ${fw}`);
    if (this.table.firmwareQuirks.capabilityOverflow.includes(fw)) return 'overflow';
    const key = /^[a-fA-F0-9]{2}$/.test(fw) ? this.table.firmwareQuirks.voltageAnswerKey : fw;
    const entry = this.table.compatibility.find((c) => c.firmware === key);
    if (!entry) return 'none';
    this.ctx.dstate.setinfo('ups.model', /^[05]/.test(entry.firmware) ? 'Matrix-UPS' : 'Smart-UPS');
    for (const ch of entry.chars) await this.verifyChar(ch);
    await this.resolveAlternatives();
    return 'matched';
  }

  /** NUT's getbaseinfo(): false when the unit cannot be talked to. */
  async discover(): Promise<boolean> {
    const fw = await this.firmwareLookup();
    if (fw === 'matched') return true;
    const set = await this.link.exchange(async (): Promise<Answer> => {
      await this.link.flush(false);
      if (!(await this.link.write('a'))) return null;
      return this.link.read({ timeoutMs: WAIT.long, commandSet: true });
    });
    if (set === null) return false;
    if (set === '' || set === 'NA' || !COMMAND_SET_FORMAT.test(set)) {
      this.ctx.log.info('very old or unknown APC model, support will be limited');
      await this.oldUnitSetup();
      return true;
    }
    const chars = set.split('.')[2];
    for (const ch of chars) await this.verifyChar(ch);
    await this.resolveAlternatives();
    if (chars.includes('\x1a')) await this.readCapabilities(fw === 'overflow');
    return true;
  }

  /** ^Z: which settings take which values, for the unit's locale. */
  async readCapabilities(overflowExpected: boolean): Promise<void> {
    const firmware = this.ctx.dstate.getinfo('ups.firmware');
    const locale = firmware ? firmware[firmware.length - 1] : '';
    const rec = await this.link.exchange(async (): Promise<Answer> => {
      await this.link.flush(false);
      if (!(await this.link.write('\x1a'))) return null;
      return this.link.read({ timeoutMs: WAIT.long, capabilities: true });
    });
    if (rec === null) return;
    if (rec === '' || rec === 'NA') {
      this.ctx.log.warn('APC cannot do capabilities but said it could !');
      return;
    }
    for (const e of parseCapabilities(rec, overflowExpected)) {
      const v = this.findByChar(e.char);
      const valid = v !== undefined && (e.locale === locale || e.locale === '4') && !v.row.packed;
      if (v && valid) {
        this.ctx.dstate.setflags(v.row.name, FLAG_RW);
        v.writable = true;
        v.enumerated = true;
        for (const choice of e.choices) this.ctx.dstate.addenum(v.row.name, convertAnswer(this.table, v.row, choice));
      } else if (v?.row.packed) {
        this.ctx.log.warn(`WARN: packed APC variable ${v.row.name} [${charName(e.char)}] reported as enumerable,\nplease report it on the mailing list`);
      }
    }
  }

  // ------------------------------------------------------------------ polling

  /** Every row (all) or the polled ones; false at the first line failure. */
  async pollAll(all: boolean): Promise<boolean> {
    for (const v of this.vars) {
      if (!all && !v.row.poll) continue;
      if (!(await this.poll(v))) return false;
    }
    return true;
  }

  /** NUT's upsdrv_updateinfo(), plus reopening a port that went away. */
  async update(): Promise<void> {
    const ds = this.ctx.dstate;
    if (!this.link.isOpen) {
      ds.datastale();
      this.lastFullRefresh = 0;
      if (!(await this.reopen())) return;
      if (!(await this.smartMode(1))) return;
      this.failedUpdates = 0;
    } else if (ds.isStale()) {
      this.lastFullRefresh = 0;
      if (++this.failedUpdates < 10) return;
      this.ctx.log.debug(1, `upsdrv_updateinfo: nudging ups with 'Y', iteration #${this.failedUpdates} ...`);
      if (!(await this.smartMode(1))) return;
      this.failedUpdates = 0;
    }
    if (!(await this.readStatus())) {
      ds.datastale();
      return;
    }
    const now = this.ctx.now();
    const all = this.lastFullRefresh === 0 || now - this.lastFullRefresh > HOUR_MS;
    if (all) this.lastFullRefresh = now;
    if (await this.pollAll(all)) ds.dataok();
    else ds.datastale();
  }
}

/** strtol(s, 0, 16): leading hex digits (0 when none). */
export function parseHexPrefix(s: string): number {
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(s);
  return m ? Number.parseInt(m[1], 16) : 0;
}

export interface CapabilityEntry {
  char: string;
  locale: string;
  choices: string[];
}

/**
 * The ^Z record: '#' then, per setting, <char><locale><count><length><count×length chars>
 * (counts and lengths are '0'+n; Matrix units put '##' before each entry). Throws when the
 * record overflows, unless the firmware is known to do so.
 */
export function parseCapabilities(rec: string, overflowExpected = false): CapabilityEntry[] {
  if (rec[0] !== '#') throw new Error(`unknown capability start char [${rec[0]}] !`);
  const matrix = rec[1] === '#';
  let p = matrix ? 0 : 1;
  const out: CapabilityEntry[] = [];
  while (p < rec.length) {
    if (matrix) p += 2;
    if (p >= rec.length) {
      if (overflowExpected) return out;
      throw new Error('capability string has overflowed, please report this error !');
    }
    const count = rec.charCodeAt(p + 2) - 48;
    const length = rec.charCodeAt(p + 3) - 48;
    if (!(count >= 0) || !(length >= 0)) {
      throw new Error('nument or entlen out of range\nPlease report this error\nERROR: capability overflow!');
    }
    const choices: string[] = [];
    let q = p + 4;
    for (let i = 0; i < count; i++) {
      choices.push(rec.slice(q, q + length));
      q += length;
    }
    out.push({ char: rec[p], locale: rec[p + 1], choices });
    p = q;
  }
  return out;
}
