/**
 * The nutdrv_qx engine over one protocol table (drivers/nutdrv_qx.c, NUT 2.8.0): walking the
 * items (init, quick and full updates), sending commands and cutting values out of answers,
 * status bits, instant commands, settable variables, shutdown and the battery guesstimation.
 */
import { FLAG_STRING, HandlerStatus, type DstateWriter, type StatusComposer } from '@nut-ts/core/plugin-api';
import { BatteryEstimator } from './battery.js';
import { cformat, strtod, strtol } from './cformat.js';
import { cstr, Item } from './item.js';
import type { FunctionSet, QxApi } from './functions/types.js';
import { bit, statusAlarms, statusTokens, updateStatus } from './status.js';
import type { ProtocolTable } from './table.js';

/** Sends one command; the reply as latin1 text with its length, '' after a timeout, null on an error. */
export interface QxLink {
  command(cmd: string): Promise<{ data: string; length: number } | null>;
}

export interface EngineHost {
  dstate: DstateWriter;
  status: StatusComposer;
  alarm: StatusComposer;
  getval(name: string): string | undefined;
  testvar(name: string): boolean;
  info(message: string): void;
  debug(level: number, message: string): void;
  /** Milliseconds. */
  now(): number;
}

/** The driver cannot go on (NUT's fatalx); `exitCode` 0 for a clean -k exit. */
export class QxFatal extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'QxFatal';
  }
}

type WalkMode = 'init' | 'quick' | 'full';

const MAXTRIES = 3;
const DEFAULT_POLLFREQ = 30;

export class QxEngine {
  readonly items: Item[];
  readonly api: QxApi;
  readonly battery: BatteryEstimator;
  private statusMask = 0;
  private dataHasChanged = false;
  private lastpoll = 0;
  private pollfreq = DEFAULT_POLLFREQ;
  private retry = 0;

  constructor(
    readonly table: ProtocolTable,
    private readonly fns: FunctionSet,
    private readonly link: QxLink,
    private readonly host: EngineHost,
  ) {
    this.items = table.items.map((r) => new Item(r));
    const d = host.dstate;
    this.api = {
      items: this.items,
      getinfo: (n) => d.getinfo(n),
      setinfo: (n, v) => d.setinfo(n, v),
      delinfo: (n) => d.delinfo(n),
      getval: (n) => host.getval(n),
      testvar: (n) => host.testvar(n),
      log: (m) => host.info(m),
      debug: (l, m) => host.debug(l, m),
      find: (n, f, nf) => this.find(n, f, nf),
      process: (item, cmd) => this.process(item, cmd),
      infovalSet: (item) => this.infovalSet(item),
      status: () => this.statusMask,
      memory: new Map(),
      statusSet: (t) => host.status.set(t),
    };
    this.battery = new BatteryEstimator({
      getinfo: (n) => d.getinfo(n),
      setinfo: (n, v) => d.setinfo(n, v),
      getval: (n) => host.getval(n),
      log: (m) => host.info(m),
      now: () => this.seconds(),
    });
  }

  get name(): string {
    return this.table.version;
  }

  private seconds(): number {
    return Math.floor(this.host.now() / 1000);
  }

  private readonly missing = new Set<string>();

  /** A named function; one that this build lacks fails its item (logged once). */
  private fn<K extends keyof FunctionSet>(kind: K, name: string): NonNullable<FunctionSet[K]>[string] {
    const f = (this.fns[kind] as Record<string, unknown> | undefined)?.[name];
    if (f) return f as NonNullable<FunctionSet[K]>[string];
    if (!this.missing.has(name)) {
      this.missing.add(name);
      this.host.info(`${this.table.protocol}: no ${kind} function named ${name}; its items fail`);
    }
    const failing: Record<keyof FunctionSet, unknown> = { value: () => null, answer: () => -1, command: () => null, rw: () => false, claim: async () => false, initups: () => {}, options: {} };
    const fail = failing[kind];
    return fail as unknown as NonNullable<FunctionSet[K]>[string];
  }

  find(name: string, flag: readonly string[] = [], noflag: readonly string[] = []): Item | undefined {
    const lname = name.toLowerCase();
    return this.items.find(
      (i) =>
        i.name.toLowerCase() === lname &&
        flag.every((f) => i.flags.has(f as never)) &&
        !noflag.some((f) => i.flags.has(f as never)),
    );
  }

  // ------------------------------------------------------------ answers

  /** qx_process_answer. */
  private processAnswer(item: Item, length: number): boolean {
    const r = this.table.rejected;
    if (r !== undefined && cstr(item.answer).toLowerCase() === r.toLowerCase()) {
      this.host.debug(2, `qx_process_answer: query rejected by the UPS (${item.name})`);
      return false;
    }
    if (item.row.minLength && length < item.row.minLength) {
      this.host.debug(2, `qx_process_answer: short reply (${item.name})`);
      return false;
    }
    if (item.row.leading !== undefined && item.answer[0] !== item.row.leading) {
      this.host.debug(2, `qx_process_answer: ${item.name} - invalid start character`);
      return false;
    }
    if (item.to && item.to < item.from) return false;
    const answer = cstr(item.answer);
    if (answer.length) {
      const crAt = answer.indexOf('\r');
      const n = item.to ? 1 + item.to - item.from : (crAt < 0 ? answer.length : crAt) - item.from;
      item.value = n > 0 ? answer.slice(item.from, item.from + n) : '';
    } else {
      item.value = '';
    }
    return true;
  }

  /** qx_process: send the item's command (or `command`), keep the answer, cut the value. */
  async process(item: Item, command?: string): Promise<boolean> {
    let cmd = command ?? item.command ?? '';
    if (item.row.preprocessCommand) {
      const c = this.fn('command', item.row.preprocessCommand)(item, cmd, this.api);
      if (c === null) return false;
      cmd = c;
    }
    const reply = await this.link.command(cmd);
    item.answer = '';
    if (reply === null) return false;
    item.answer = reply.data.slice(0, 511);
    let length = Math.min(reply.length, 511);
    if (item.row.preprocessAnswer) {
      length = this.fn('answer', item.row.preprocessAnswer)(item, length, this.api);
      if (length < 0) {
        item.answer = '';
        return false;
      }
    }
    return this.processAnswer(item, length);
  }

  /** ups_infoval_set. */
  infovalSet(item: Item): number {
    let value: string;
    if (item.row.preprocess) {
      const v = this.fn('value', item.row.preprocess)(item, '', this.api);
      if (v === null) {
        this.host.debug(4, `ups_infoval_set: failed to preprocess value [${item.name}: ${item.value}]`);
        return -1;
      }
      value = v;
      const lname = item.name.toLowerCase();
      if (lname.startsWith('ups.status')) {
        if (value.length) this.statusMask = updateStatus(this.statusMask, value);
        return 0;
      }
      if (lname.startsWith('ups.alarm')) {
        if (value.length) this.host.alarm.set(value);
        return 0;
      }
    } else {
      value = item.value;
      if (item.has('trim')) value = value.replace(/^[# ]+/, '').replace(/[# ]+$/, '');
      if ((item.dfl ?? '').toLowerCase() !== '%s') {
        if (!/^[0-9 .]*$/.test(value)) {
          this.host.debug(2, `ups_infoval_set: non numerical value [${item.name}: ${value}]`);
          return -1;
        }
        value = cformat(item.dfl ?? '', strtod(value));
      }
    }
    if (item.has('nonut')) {
      this.host.info(`${item.name}: ${value}`);
      return 1;
    }
    if (!value.length) {
      this.host.debug(1, `ups_infoval_set: non significant value [${item.name}]`);
      return -1;
    }
    this.host.dstate.setinfo(item.name, value);
    this.battery.reported(item.name, value);
    return 1;
  }

  // ------------------------------------------------------------ walks

  /** Values of an item's info_rw the device supports. */
  private rwValues(item: Item): string[] {
    return (item.row.rw ?? [])
      .filter((r) => !r.preprocess || this.fn('rw', r.preprocess)(r.value, this.api))
      .map((r) => r.value);
  }

  /** qx_set_var: flags, string length, enum values, ranges. */
  setVarInfo(item: Item): void {
    const d = this.host.dstate;
    const nonut = item.has('nonut');
    if (!nonut) d.setflags(item.name, item.nutFlags);
    if (item.nutFlags & FLAG_STRING && !nonut) d.setaux(item.name, strtol(item.row.rw?.[0]?.value));
    if (item.has('enum')) {
      const values = this.rwValues(item);
      if (nonut) this.host.info(`${item.name}, settable values:${values.length ? values.map((v) => ` ${v}`).join('') : ' none'}`);
      else for (const v of values) d.addenum(item.name, v);
    }
    if (item.has('range')) {
      const values = this.rwValues(item);
      let ok = 0;
      for (let i = 0; i + 1 < values.length; i += 2) {
        if (nonut) {
          this.host.info(`${item.name}, settable range: ${values[i]}..${values[i + 1]}`);
          ok++;
        } else {
          d.addrange(item.name, strtol(values[i]), strtol(values[i + 1]));
        }
      }
      if (nonut && !ok) this.host.info(`${item.name}, settable range: none`);
    }
  }

  /** qx_ups_walk. */
  async walk(mode: WalkMode): Promise<boolean> {
    const d = this.host.dstate;
    if (mode === 'full') this.battery.beginFullWalk();
    let previous = { command: '', answer: '' };
    for (const item of this.items) {
      if (item.has('skip')) continue;
      if (mode === 'init') {
        if (item.has('absent')) {
          if (d.getinfo(item.name) !== undefined) continue;
          d.setinfo(item.name, item.dfl ?? '');
          this.setVarInfo(item);
          continue;
        }
        const lname = item.name.toLowerCase();
        if (!lname.startsWith('ups.alarm') && !lname.startsWith('ups.status') && d.getinfo(item.name) !== undefined) continue;
      } else if (mode === 'quick') {
        if (!item.has('quickPoll')) continue;
      } else {
        if (item.has('absent') || item.has('command') || item.has('setvar') || item.has('static')) continue;
        if (item.has('semiStatic') && !this.dataHasChanged) continue;
      }

      if (item.has('command')) {
        d.addcmd(item.name);
        continue;
      }
      if (item.has('setvar')) {
        if (item.has('nonut')) {
          await this.setvar(item.name, undefined);
          item.flags.add('skip');
        }
        continue;
      }

      let ok: boolean;
      if (previous.command.length && previous.answer.length && previous.command.toLowerCase() === (item.command ?? '').toLowerCase()) {
        item.answer = previous.answer;
        ok = this.processAnswer(item, item.answer.length);
      } else {
        ok = await this.process(item);
      }
      previous = { command: item.command ?? '', answer: cstr(item.answer) };
      if (!ok) {
        item.answer = '';
        item.value = '';
        if (item.has('quickPoll')) return false;
        if (mode === 'init') item.flags.add('skip');
        continue;
      }
      const r = this.infovalSet(item);
      item.answer = '';
      item.value = '';
      if (r === -1) {
        if (item.has('quickPoll')) return false;
        continue;
      }
      if (r && mode === 'init') this.setVarInfo(item);
    }
    if (mode === 'full') this.battery.endFullWalk((this.statusMask & bit('OL')) !== 0);
    return true;
  }

  // ------------------------------------------------------------ lifecycle

  /** The subdriver's claim (one try). */
  async claim(): Promise<boolean> {
    return this.fn('claim', this.table.claim)(this.api);
  }

  /** The subdriver's initups (norating, novendor, ignoresab…). */
  initups(): void {
    if (this.table.initups) this.fn('initups', this.table.initups)(this.api);
  }

  /** upsdrv_initinfo. */
  async initinfo(): Promise<void> {
    const d = this.host.dstate;
    d.setinfo('driver.version.data', this.table.version);
    if (!(await this.walk('init'))) throw new QxFatal("Can't initialise data from the UPS");
    try {
      this.battery.init();
    } catch (e) {
      throw new QxFatal((e as Error).message);
    }
    for (const [v, opt, what] of [
      ['ups.delay.start', 'ondelay', 'Start'],
      ['ups.delay.shutdown', 'offdelay', 'Shutdown'],
    ] as const) {
      if (d.getinfo(v) === undefined) continue;
      const val = this.host.getval(opt);
      if (val !== undefined && (await this.setvar(v, val)) !== HandlerStatus.Handled) {
        throw new QxFatal(`${what} delay '${val}' out of range`);
      }
    }
    for (const c of ['load.off', 'load.on']) {
      if (!this.find(c, ['command'], ['skip']) && this.find(`${c}.delay`, ['command'], ['skip'])) d.addcmd(c);
    }
    const pf = this.host.getval('pollfreq');
    if (pf !== undefined) this.pollfreq = strtol(pf);
    d.setinfo('driver.parameter.pollfreq', String(this.pollfreq));
    this.lastpoll = this.seconds();
  }

  /** upsdrv_updateinfo. */
  async updateinfo(): Promise<void> {
    const d = this.host.dstate;
    const now = this.seconds();
    this.host.status.init();
    const full = now > this.lastpoll + this.pollfreq || this.dataHasChanged;
    if (full) {
      this.statusMask = 0;
      this.host.alarm.init();
    }
    if (!(await this.walk(full ? 'full' : 'quick'))) {
      if (this.retry <= MAXTRIES) {
        this.host.debug(1, 'Communications with the UPS lost: status read failed!');
        this.retry++;
      } else {
        d.datastale();
      }
      return;
    }
    if (full) {
      this.lastpoll = now;
      this.dataHasChanged = false;
      for (const a of statusAlarms(this.statusMask)) this.host.alarm.set(a);
      this.host.alarm.commit();
    }
    for (const t of statusTokens(this.statusMask)) this.host.status.set(t);
    this.host.status.commit();
    if (this.retry > MAXTRIES) this.host.info('Communications with the UPS re-established');
    this.retry = 0;
    d.dataok();
  }

  /** Sends a command or setvar item and applies the ACK rule. */
  private async send(item: Item, value: string): Promise<boolean> {
    if (!(await this.process(item, value.length ? value : undefined))) return false;
    if (item.value.length) {
      const acc = this.table.accepted;
      return acc !== undefined && item.value.toLowerCase() === acc.toLowerCase();
    }
    return true;
  }

  /** instcmd (NUT's semantics, fallbacks included). */
  async instcmd(cmdname: string, extradata?: string): Promise<HandlerStatus> {
    const lc = cmdname.toLowerCase();
    if (lc === 'beeper.off') {
      this.host.info("The 'beeper.off' command has been renamed to 'beeper.disable'");
      return this.instcmd('beeper.disable');
    }
    if (lc === 'beeper.on') {
      this.host.info("The 'beeper.on' command has been renamed to 'beeper.enable'");
      return this.instcmd('beeper.enable');
    }
    this.host.info(`instcmd(${cmdname}, ${extradata ?? '[NULL]'})`);
    const item = this.find(cmdname, ['command'], ['skip']);
    const d = this.host.dstate;
    if (!item) {
      if (lc === 'load.on') return this.instcmd('load.on.delay', '0');
      if (lc === 'load.off') return this.instcmd('load.off.delay', '0');
      if (lc === 'shutdown.return' || lc === 'shutdown.stayoff') {
        const stay = lc === 'shutdown.stayoff';
        if (d.getinfo('ups.start.auto') !== undefined && (await this.setvar('ups.start.auto', stay ? 'no' : 'yes')) !== HandlerStatus.Handled) {
          this.host.info('instcmd: FAILED');
          return HandlerStatus.Failed;
        }
        const r = await this.instcmd('load.on.delay', stay ? '-1' : d.getinfo('ups.delay.start'));
        if (r !== HandlerStatus.Handled) return r;
        return this.instcmd('load.off.delay', d.getinfo('ups.delay.shutdown'));
      }
      this.host.debug(2, `instcmd: command ${cmdname} unavailable`);
      return HandlerStatus.Invalid;
    }
    let value = extradata ?? item.dfl ?? '';
    if (item.row.preprocess) {
      const v = this.fn('value', item.row.preprocess)(item, value, this.api);
      if (v === null) {
        this.host.info('instcmd: FAILED');
        return HandlerStatus.Failed;
      }
      value = v;
    } else {
      value = '';
    }
    if (!(await this.send(item, value))) {
      this.host.info('instcmd: FAILED');
      return HandlerStatus.Failed;
    }
    this.host.info('instcmd: SUCCEED');
    this.dataHasChanged = true;
    return HandlerStatus.Handled;
  }

  /** setvar; `val` undefined for the one-shot ups.conf setvars (NONUT items). */
  async setvar(varname: string, val: string | undefined): Promise<HandlerStatus> {
    const item = this.find(varname, ['setvar'], ['skip']);
    const d = this.host.dstate;
    if (!item) return HandlerStatus.Unknown;
    let value: string;
    if (item.has('nonut')) {
      if (!this.host.testvar(item.name)) return HandlerStatus.Handled;
      value = this.host.getval(item.name) ?? '';
      this.host.info(`setvar(${varname}, ${value || '[NULL]'})`);
    } else {
      this.host.info(`setvar(${varname}, ${val ? val : '[NULL]'})`);
      if (!val) return HandlerStatus.Unknown;
      value = val;
      if ((d.getinfo(item.name) ?? '').toLowerCase() === value.toLowerCase()) {
        this.host.info(`setvar: nothing to do... [${item.name}]`);
        return HandlerStatus.Handled;
      }
    }
    if (item.has('range')) {
      if (!/^[0-9 .]*$/.test(value)) {
        this.host.info(`setvar: non numerical value [${item.name}: ${value}]`);
        return HandlerStatus.Unknown;
      }
      const v = strtol(value);
      let ok = false;
      const values = this.rwValues(item).map(strtol);
      if (item.has('nonut') && !value.length) return HandlerStatus.Unknown;
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i + 1 < values.length; i += 2) pairs.push([values[i]!, values[i + 1]!]);
      ok = pairs.some(([min, max]) => min <= v && v <= max);
      if (!ok) {
        this.host.info(`setvar: value out of range [${item.name}: ${value}]`);
        return HandlerStatus.Unknown;
      }
    } else if (item.has('enum')) {
      if (item.has('nonut') && !value.length) return HandlerStatus.Unknown;
      if (!this.rwValues(item).some((e) => e.toLowerCase() === value.toLowerCase())) {
        this.host.info(`setvar: value out of range [${item.name}: ${value}]`);
        return HandlerStatus.Unknown;
      }
    } else if (item.nutFlags & FLAG_STRING) {
      if (strtol(item.row.rw?.[0]?.value) < value.length) {
        this.host.info(`setvar: value is too long [${item.name}: ${value}]`);
        return HandlerStatus.Unknown;
      }
    }
    if (item.row.preprocess) {
      const v = this.fn('value', item.row.preprocess)(item, value, this.api);
      if (v === null) {
        this.host.info('setvar: FAILED');
        return HandlerStatus.Unknown;
      }
      value = v;
    }
    if (item.has('absent')) {
      d.setinfo(item.name, value);
      this.host.info('setvar: SUCCEED');
      return HandlerStatus.Handled;
    }
    if (!item.row.preprocess) value = '';
    if (!(await this.send(item, value))) {
      this.host.info('setvar: FAILED');
      return HandlerStatus.Unknown;
    }
    this.host.info('setvar: SUCCEED');
    this.dataHasChanged = true;
    return HandlerStatus.Handled;
  }

  /** upsdrv_shutdown; resolves with NUT's closing message, throws QxFatal on failure. */
  async shutdown(stayoff: boolean): Promise<string> {
    const d = this.host.dstate;
    for (const [v, opt, what] of [
      ['ups.delay.start', 'ondelay', 'Start'],
      ['ups.delay.shutdown', 'offdelay', 'Shutdown'],
    ] as const) {
      const item = this.find(v, [], ['skip']);
      if (!item) throw new QxFatal(`Unable to set ${what.toLowerCase()} delay`);
      d.setinfo(item.name, item.dfl ?? '');
      this.setVarInfo(item);
      const val = this.host.getval(opt);
      if (val !== undefined && (await this.setvar(item.name, val)) !== HandlerStatus.Handled) {
        throw new QxFatal(`${what} delay '${val}' out of range`);
      }
    }
    if (this.find('shutdown.stop', ['command'], ['skip'])) {
      let retry = 1;
      for (; retry <= MAXTRIES; retry++) if ((await this.instcmd('shutdown.stop')) === HandlerStatus.Handled) break;
      if (retry > MAXTRIES) this.host.info('No shutdown pending');
    }
    for (let retry = 1; retry <= MAXTRIES; retry++) {
      if ((await this.instcmd(stayoff ? 'shutdown.stayoff' : 'shutdown.return')) !== HandlerStatus.Handled) continue;
      return `Shutting down in ${d.getinfo('ups.delay.shutdown')} seconds`;
    }
    throw new QxFatal('Shutdown failed!');
  }
}

