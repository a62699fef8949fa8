/**
 * The usbhid-ups engine (NUT 2.8.0 drivers/usbhid-ups.c): picks a subdriver table, maps its
 * rows to descriptor objects, reads feature reports through a per-report buffer, turns
 * interrupt reports into updates, and runs commands and settings as feature writes.
 */
import { FLAG_RW, FLAG_STRING, FLAG_NUMBER, HandlerStatus, type DriverContext } from '@nut-ts/core/plugin-api';
import { decoders, encoders, type ConverterEnv } from './converters.js';
import type { HidDevice } from './device.js';
import { atol, formatValue } from './format.js';
import { ITEM_FEATURE, ITEM_INPUT, findObject, parseReportDescriptor, reportBufferLength, type HidDescriptor, type HidObject } from './hid/descriptor.js';
import { UsageTable } from './hid/usages.js';
import { decodeValue, encodeValue, setLogical } from './hid/value.js';
import { claimHooks, descriptorFixes, identityFormats, type QuirkDevice, type QuirkSettings } from './quirks.js';
import type { HidRow, Lookup, SubdriverTable, TableSet } from './table.js';

type WalkMode = 'init' | 'quick' | 'full';

/** status_info in usbhid-ups.c: the tokens status lookups may name. */
const STATUS_TOKENS = new Set([
  'online', 'dischrg', 'chrg', 'lowbatt', 'overload', 'replacebatt', 'shutdownimm', 'trim', 'boost',
  'bypassauto', 'bypassman', 'off', 'cal', 'overheat', 'commfault', 'depleted', 'timelimitexp',
  'fullycharged', 'awaitingpower', 'fanfail', 'nobattery', 'battvoltlo', 'battvolthi', 'chargerfail',
  'vrange', 'frange',
]);

const ALARMS: Array<[string, string]> = [
  ['replacebatt', 'Replace battery!'], ['shutdownimm', 'Shutdown imminent!'], ['fanfail', 'Fan failure!'],
  ['nobattery', 'No battery installed!'], ['battvoltlo', 'Battery voltage too low!'], ['battvolthi', 'Battery voltage too high!'],
  ['chargerfail', 'Battery charger fail!'], ['overheat', 'Temperature too high!'], ['commfault', 'Internal UPS fault!'],
  ['awaitingpower', 'Awaiting power!'], ['bypassauto', 'Automatic bypass mode!'], ['bypassman', 'Manual bypass mode!'],
];

export class DeviceGone extends Error {}

export interface EngineOptions {
  pollfreq: number;
  useInterruptPipe: boolean;
  interruptOnly: boolean;
  interruptSize: number;
  maxReport: boolean;
  onlineDischarge: boolean;
  explore: boolean;
  productidGiven: boolean;
  subdriver?: RegExp;
}

/** The subdriver that claims the device (usbhid-ups.c callback + each *_claim), or why none did. */
export function claimSubdriver(tables: TableSet, d: QuirkDevice, o: Pick<EngineOptions, 'explore' | 'productidGiven' | 'subdriver'>, log: (m: string) => void): SubdriverTable | undefined {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  for (const s of tables.subdrivers) {
    if (o.subdriver && !o.subdriver.test(s.subdriver) && !o.subdriver.test(s.version)) continue;
    const c = s.claim;
    if (c.explore) {
      if (o.explore) return s;
      continue;
    }
    const ids = c.ids ?? [];
    const vid = hex(d.vendorId);
    const pid = hex(d.productId);
    if (!ids.some((i) => i.vendorId === vid)) continue;
    const rejected = c.reject?.find((r) => r.vendorId === vid && r.productId === pid);
    if (rejected) {
      if (rejected.message) log(rejected.message);
      continue;
    }
    const vendorRule = c.vendors?.[vid];
    const known = ids.some((i) => i.vendorId === vid && i.productId === pid);
    if (vendorRule?.requireString && !`${d.manufacturer}\n${d.product}`.includes(vendorRule.requireString)) continue;
    if (known) return s;
    if (vendorRule?.unknownProduct === 'reject' || c.possiblySupported === false) continue;
    if (o.productidGiven) return s;
    if (!vendorRule?.silent) {
      log(
        `This ${c.vendorName ?? s.subdriver} device (${vid}:${pid}) is not (or perhaps not yet) supported\nby usbhid-ups. Please make sure you have an up-to-date version of NUT. If\nthis does not fix the problem, try running the driver with the\n'-x productid=${pid}' option. Please report your results to the NUT user's\nmailing list <nut-upsuser@lists.alioth.debian.org>.\n`,
      );
    }
  }
  return undefined;
}

interface MappedRow {
  row: HidRow;
  /** NUT's item->hiddata: the object the row reads, undefined while unmapped. */
  object?: HidObject;
  name: string;
}

export class UsbHidEngine {
  readonly desc: HidDescriptor;
  readonly usages: UsageTable;
  private readonly rows: MappedRow[];
  private readonly lookups: Record<string, Lookup>;
  private readonly buffers = new Map<number, { data: Uint8Array; ts: number }>();
  private readonly status = new Set<string>();
  private readonly state: Record<string, number> = {};
  private readonly warned = new Set<string>();
  private readonly pendingInterrupts: Uint8Array[] = [];
  private lastpoll = 0;
  private dataHasChanged = false;
  private readonly settings: QuirkSettings;

  constructor(
    private readonly ctx: DriverContext,
    private readonly device: HidDevice,
    descriptor: Uint8Array,
    tables: TableSet,
    readonly subdriver: SubdriverTable,
    private readonly opts: EngineOptions,
  ) {
    this.desc = parseReportDescriptor(descriptor);
    for (const w of this.desc.warnings) ctx.log.warn(`Parse_ReportDesc: ${w}`);
    this.usages = new UsageTable([...(subdriver.usages ?? []), ...tables.generic.usages]);
    this.lookups = { ...tables.generic.lookups, ...subdriver.lookups };
    this.rows = (subdriver.rows ?? []).map((row) => ({ row, name: row.var ?? row.command ?? (row.status ? 'BOOL' : 'ups.alarm') }));
    this.settings = {
      useInterruptPipe: opts.useInterruptPipe,
      maxReport: opts.maxReport,
      interruptOnly: opts.interruptOnly,
      interruptSize: opts.interruptSize,
      state: this.state,
      log: (m) => ctx.log.info(m),
    };
    for (const b of [...this.desc.replen.keys(), ...this.desc.objects.map((o) => o.reportId)]) {
      if (!this.buffers.has(b)) this.buffers.set(b, { data: new Uint8Array(reportBufferLength(this.desc, b)), ts: -Infinity });
    }
  }

  get interruptPipe(): boolean {
    return this.settings.useInterruptPipe;
  }

  get interruptSize(): number {
    return this.settings.interruptSize || 512;
  }

  private get quirkDevice(): QuirkDevice {
    const i = this.device.info;
    return { vendorId: i.vendorId, productId: i.productId, manufacturer: i.manufacturer, product: i.product, serial: i.serial };
  }

  /** The callback's work after the subdriver is chosen: claim hooks, descriptor fix, identity. */
  async identify(): Promise<void> {
    const d = this.quirkDevice;
    const pid = d.productId.toString(16).padStart(4, '0');
    const vid = d.vendorId.toString(16).padStart(4, '0');
    const id = this.subdriver.claim.ids?.find((i) => i.vendorId === vid && i.productId === pid);
    if (id?.hook) {
      const hook = claimHooks[id.hook];
      if (hook) hook(d, this.settings);
      else this.warnOnce(`claim hook ${id.hook} is not available; device quirk not applied`);
    }
    for (const ps of this.subdriver.claim.productSettings ?? []) {
      if (ps.productId === pid) {
        if (ps.interruptOnly) this.settings.interruptOnly = true;
        if (ps.interruptSize) this.settings.interruptSize = ps.interruptSize;
      }
    }
    this.ctx.log.info(`Using subdriver: ${this.subdriver.version}`);
    const fixName = this.subdriver.fixReportDesc;
    if (fixName && descriptorFixes[fixName]?.(d, this.desc, (m) => this.ctx.log.debug(3, m))) this.ctx.log.debug(2, 'Report Descriptor Fixed');
    const idn = this.subdriver.identity ?? {};
    const env = {
      device: d,
      models: this.subdriver.models ?? [],
      state: this.state,
      setinfo: (n: string, v: string) => this.ctx.dstate.setinfo(n, v),
      itemString: async (path: string) => {
        const v = await this.readPath(path);
        return v === undefined ? '' : this.device.getString(Math.trunc(v));
      },
      itemValue: (path: string) => this.readPath(path),
    };
    const pick = async (fn: string | undefined, raw: string, dflt: string | undefined) => {
      if (fn) {
        const f = identityFormats[fn];
        if (f) return f(env);
        this.warnOnce(`identity format ${fn} is not available`);
      }
      return raw ? raw : dflt;
    };
    const mfr = await pick(idn.mfr, d.manufacturer, idn.mfrDefault);
    const model = await pick(idn.model, d.product, idn.modelDefault);
    const serial = await pick(idn.serial, d.serial, idn.serialDefault);
    for (const [k, v] of [['ups.mfr', mfr], ['ups.model', model], ['ups.serial', serial]] as const) {
      if (v !== undefined) this.ctx.dstate.setinfo(k, v);
      else this.ctx.dstate.delinfo(k);
    }
    this.ctx.dstate.setinfo('ups.vendorid', vid);
    this.ctx.dstate.setinfo('ups.productid', pid);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.ctx.log.warn(message);
  }

  private objectFor(path: string): HidObject | undefined {
    const nodes = this.usages.parsePath(path);
    if (!nodes.length) return undefined;
    return findObject(this.desc, nodes, this.settings.interruptOnly ? ITEM_INPUT : ITEM_FEATURE);
  }

  private async readPath(path: string): Promise<number | undefined> {
    const o = this.objectFor(path);
    return o ? this.readObject(o, Infinity) : undefined;
  }

  /** HIDGetDataValue: undefined when the report could not be read. Throws DeviceGone. */
  private async readObject(o: HidObject, ageSeconds: number): Promise<number | undefined> {
    const buf = this.buffers.get(o.reportId)!;
    const now = this.seconds();
    if (!this.settings.interruptOnly && !(buf.ts + ageSeconds > now)) {
      // maxreport: NUT asks for sizeof(pointer) bytes (8) instead of the report length.
      const want = this.settings.maxReport ? 8 : buf.data.length;
      let got: Uint8Array;
      try {
        got = await this.device.getFeature(o.reportId, want);
      } catch (e) {
        throw new DeviceGone((e as Error).message);
      }
      if (got.length === 0) return undefined;
      const data = new Uint8Array(Math.max(buf.data.length, got.length));
      data.set(got.subarray(0, data.length));
      buf.data = data;
      buf.ts = now;
      this.ctx.log.debug(3, `Report[get]: (${got.length} bytes) => ${[...got].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    }
    return decodeValue(buf.data, o);
  }

  private converterEnv(): ConverterEnv {
    return {
      getinfo: (n) => this.ctx.dstate.getinfo(n),
      setinfo: (n, v) => this.ctx.dstate.setinfo(n, v),
      delinfo: (n) => this.ctx.dstate.delinfo(n),
      getString: (i) => this.device.getString(i),
      state: this.state,
      log: (m) => this.ctx.log.info(m),
      report: (id) => this.buffers.get(id)?.data,
      statusHas: (t) => this.status.has(t),
    };
  }

  /** hu_find_infoval: the text for a value, undefined on a miss. */
  private async lookupText(name: string, value: number): Promise<string | undefined> {
    const l = this.lookups[name];
    if (!l) return undefined;
    if ('flag' in l) {
      const f = l.flag;
      // mask -1: NUT's `value ? … : …` on the double; otherwise `(long)value & mask`.
      const v = Math.trunc(value);
      const hit = f.mask === -1 ? value !== 0 : f.equals !== undefined ? (v & f.mask) === f.equals : (v & f.mask) !== 0;
      return hit ? f.set : f.clear;
    }
    if (!('converter' in l)) return l.values.find((e) => e.value === Math.trunc(value))?.text;
    if (!l.decode) return l.values?.find((e) => e.value === Math.trunc(value))?.text;
    const fn = decoders[l.decode];
    if (!fn) {
      this.warnOnce(`converter ${l.decode} is not available; rows using it are not published`);
      return undefined;
    }
    return (await fn(value, this.converterEnv())) ?? undefined;
  }

  /** hu_find_valinfo: the value to write for a text; -1 when unknown (as NUT). */
  private lookupValue(name: string, text: string | undefined): number {
    const l = this.lookups[name];
    if (!l) return -1;
    if ('converter' in l) {
      if (l.encode) {
        const fn = encoders[l.encode];
        if (fn) return fn(text, this.converterEnv());
        this.warnOnce(`converter ${l.encode} is not available`);
        return -1;
      }
    }
    if ('values' in l) return l.values?.find((e) => e.text === text)?.value ?? -1;
    return -1;
  }

  private processStatus(token: string): void {
    let t = token;
    const clear = t.startsWith('!');
    if (clear) t = t.slice(1);
    t = t.toLowerCase();
    if (!STATUS_TOKENS.has(t)) return;
    if (clear) this.status.delete(t);
    else this.status.add(t);
  }

  /** ups_infoval_set: 1 published, 0 status/alarm, -1 lookup miss. */
  private async infovalSet(m: MappedRow, value: number): Promise<number> {
    const r = m.row;
    if (r.lookup) {
      const text = await this.lookupText(r.lookup, value);
      if (text === undefined) return -1;
      if (r.status) {
        this.processStatus(text);
        return 0;
      }
      if (r.alarm) {
        this.ctx.alarm.set(text);
        return 0;
      }
      this.ctx.dstate.setinfo(m.name, text);
    } else {
      if (r.status || r.alarm) return -1;
      this.ctx.dstate.setinfo(m.name, formatValue(r.format ?? '%.0f', value));
    }
    return 1;
  }

  private flagsOf(r: HidRow): number {
    return (r.writable ? FLAG_RW : 0) | (r.stringLength !== undefined ? FLAG_STRING : 0) | (r.number ? FLAG_NUMBER : 0);
  }

  /** hid_ups_walk. Throws DeviceGone when the device went away. */
  async walk(mode: WalkMode): Promise<void> {
    const info = this.device.info;
    for (const m of this.rows) {
      const r = m.row;
      if (this.ctx.signal.aborted) return;
      if (mode === 'init') {
        if (!m.object) {
          m.object = this.objectFor(r.path);
          if (!m.object) continue;
          if (r.absent) {
            if (this.ctx.dstate.getinfo(m.name) !== undefined) continue;
            this.ctx.dstate.setinfo(m.name, r.default ?? '');
            this.ctx.dstate.setflags(m.name, this.flagsOf(r));
            if (r.stringLength !== undefined) this.ctx.dstate.setaux(m.name, r.stringLength);
            continue;
          }
          if (!r.alarm && this.ctx.dstate.getinfo(m.name) !== undefined) {
            m.object = undefined;
            continue;
          }
        }
      } else if (mode === 'quick') {
        if (!r.quickPoll) continue;
      } else {
        if (r.absent || r.command || r.static) continue;
        if (r.semiStatic && !this.dataHasChanged) continue;
      }
      if (!m.object) continue;
      if (info.vendorId === 0x09ae && info.productId === 0x1330 && m.object.reportId === 0x54) continue;
      if (r.absent) continue;
      const value = await this.readObject(m.object, this.ctx.pollinterval);
      if (value === undefined) continue;
      this.ctx.log.debug(2, `Path: ${r.path}, Type: ${m.object.type === ITEM_INPUT ? 'Input' : 'Feature'}, ReportID: 0x${m.object.reportId.toString(16).padStart(2, '0')}, Offset: ${m.object.offset}, Size: ${m.object.size}, Value: ${value}`);
      if (r.command) {
        this.ctx.dstate.addcmd(m.name);
        continue;
      }
      if ((await this.infovalSet(m, value)) !== 1) continue;
      if (mode === 'init') {
        this.ctx.dstate.setflags(m.name, this.flagsOf(r));
        if (r.stringLength !== undefined) this.ctx.dstate.setaux(m.name, r.stringLength);
        if (!r.enum || !r.writable || !r.lookup) continue;
        const l = this.lookups[r.lookup];
        if (!l || !('values' in l) || !l.values) continue;
        for (const e of l.values) {
          if ((await this.lookupText(r.lookup, e.value)) !== undefined) this.ctx.dstate.addenum(m.name, e.text);
        }
      }
    }
  }

  /** upsdrv_initups's part after the open: the init walk and the options that follow it. */
  async init(): Promise<void> {
    await this.walk('init');
    const low = this.ctx.getval('lowbatt');
    if (low !== undefined && this.ctx.dstate.getinfo('battery.charge.low') !== undefined) this.ctx.dstate.setinfo('battery.charge.low', String(atol(low)));
    const on = this.ctx.getval('ondelay');
    if (on !== undefined && this.ctx.dstate.getinfo('ups.delay.start') !== undefined) this.ctx.dstate.setinfo('ups.delay.start', String(atol(on)));
    const off = this.ctx.getval('offdelay');
    if (off !== undefined && this.ctx.dstate.getinfo('ups.delay.shutdown') !== undefined) this.ctx.dstate.setinfo('ups.delay.shutdown', String(atol(off)));
    if (this.findRow('load.off.delay')) this.ctx.dstate.addcmd('load.off');
    if (this.findRow('load.on.delay')) this.ctx.dstate.addcmd('load.on');
    if (this.findRow('load.off.delay') && this.findRow('load.on.delay')) {
      this.ctx.dstate.addcmd('shutdown.return');
      this.ctx.dstate.addcmd('shutdown.stayoff');
    }
  }

  /** upsdrv_initinfo: the full-poll clock starts now. */
  startClock(): void {
    this.lastpoll = this.seconds();
  }

  /** NUT's time(NULL): whole seconds, so its "older than" and "every pollfreq" tests round as NUT's do. */
  private seconds(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  /** An interrupt report arrived (the reading loop queues it; updateinfo handles it). */
  queueInterrupt(report: Uint8Array): void {
    this.pendingInterrupts.push(report);
  }

  private async handleInterrupt(report: Uint8Array): Promise<void> {
    const id = report[0];
    const buf = this.buffers.get(id);
    if (!buf) return;
    buf.data.set(report.subarray(0, buf.data.length));
    buf.ts = this.seconds();
    for (const o of this.desc.objects) {
      if (o.reportId !== id || o.type !== ITEM_INPUT) continue;
      const value = decodeValue(buf.data, o);
      const found =
        findObject(this.desc, o.path, this.settings.interruptOnly ? ITEM_INPUT : ITEM_FEATURE) ??
        (this.settings.interruptOnly ? undefined : findObject(this.desc, o.path, ITEM_INPUT));
      if (!found) continue;
      const m = this.rows.find((x) => !x.row.absent && x.object === found);
      if (!m) continue;
      await this.infovalSet(m, value);
    }
  }

  /** upsdrv_updateinfo after the device is known to be there. */
  async update(): Promise<void> {
    const now = this.seconds();
    for (const r of this.pendingInterrupts.splice(0)) await this.handleInterrupt(r);
    this.ctx.status.init();
    if (now > this.lastpoll + this.opts.pollfreq || this.dataHasChanged) {
      this.ctx.alarm.init();
      await this.walk('full');
      this.lastpoll = now;
      this.dataHasChanged = false;
      for (const [bit, text] of ALARMS) if (this.status.has(bit)) this.ctx.alarm.set(text);
      this.ctx.alarm.commit();
    } else {
      await this.walk('quick');
    }
    this.statusSet();
    this.ctx.status.commit();
    this.ctx.dstate.dataok();
  }

  private statusSet(): void {
    const s = this.status;
    if (s.has('vrange')) this.ctx.dstate.setinfo('input.transfer.reason', 'input voltage out of range');
    else if (s.has('frange')) this.ctx.dstate.setinfo('input.transfer.reason', 'input frequency out of range');
    else this.ctx.dstate.delinfo('input.transfer.reason');
    const set = (t: string) => this.ctx.status.set(t);
    if (!s.has('online')) set('OB');
    else if (s.has('dischrg')) {
      if (this.opts.onlineDischarge) set('OB');
      else {
        if (!s.has('cal')) {
          this.ctx.log.warn(
            `ups_status_set: seems that UPS [${this.ctx.upsname}] is in OL+DISCHRG state now. Is it calibrating or do you perhaps want to set 'onlinedischarge' option? Some UPS models (e.g. CyberPower UT series) emit OL+DISCHRG when offline.`,
          );
        }
        set('OL');
      }
    } else set('OL');
    if (s.has('dischrg') && !s.has('depleted')) set('DISCHRG');
    if (s.has('chrg') && !s.has('fullycharged')) set('CHRG');
    if (s.has('lowbatt') || s.has('timelimitexp') || s.has('shutdownimm')) set('LB');
    if (s.has('overload')) set('OVER');
    if (s.has('replacebatt')) set('RB');
    if (s.has('trim')) set('TRIM');
    if (s.has('boost')) set('BOOST');
    if (s.has('bypassauto') || s.has('bypassman')) set('BYPASS');
    if (s.has('off')) set('OFF');
    if (s.has('cal')) set('CAL');
  }

  /** find_nut_info: the first mapped row of that name. */
  private findRow(name: string): MappedRow | undefined {
    const n = name.toLowerCase();
    return this.rows.find((m) => m.name.toLowerCase() === n && m.object !== undefined);
  }

  /** HIDSetDataValue: false when the object is constant or the write failed. */
  private async writeObject(o: HidObject, physical: number): Promise<boolean> {
    if (o.attribute === 0x01) return false;
    const logical = encodeValue(o, physical);
    const buf = this.buffers.get(o.reportId)!;
    setLogical(buf.data, o, logical);
    buf.data[0] = o.reportId;
    try {
      await this.device.setFeature(o.reportId, buf.data.slice());
    } catch (e) {
      this.ctx.log.debug(1, `Can't set Report ${o.reportId.toString(16).padStart(2, '0')}: ${(e as Error).message}`);
      return false;
    }
    for (const b of this.buffers.values()) b.ts = -Infinity;
    return true;
  }

  async instcmd(name: string, extra?: string): Promise<HandlerStatus> {
    const lc = name.toLowerCase();
    if (lc === 'beeper.off') {
      this.ctx.log.warn("The 'beeper.off' command has been renamed to 'beeper.disable'");
      return this.instcmd('beeper.disable');
    }
    if (lc === 'beeper.on') {
      this.ctx.log.warn("The 'beeper.on' command has been renamed to 'beeper.enable'");
      return this.instcmd('beeper.enable');
    }
    const m = this.findRow(name);
    if (!m) {
      if (lc === 'load.on') return this.instcmd('load.on.delay', '0');
      if (lc === 'load.off') return this.instcmd('load.off.delay', '0');
      if (lc === 'shutdown.return' || lc === 'shutdown.stayoff') {
        const ret = lc === 'shutdown.return';
        if (this.ctx.dstate.getinfo('ups.start.auto') !== undefined) await this.setvar('ups.start.auto', ret ? 'yes' : 'no');
        const r = await this.instcmd('load.on.delay', ret ? this.ctx.dstate.getinfo('ups.delay.start') : '-1');
        if (r !== HandlerStatus.Handled) return r;
        // Some units ignore commands that come too fast (TrippLite AVR750U).
        await this.ctx.sleep(125);
        return this.instcmd('load.off.delay', this.ctx.dstate.getinfo('ups.delay.shutdown'));
      }
      return HandlerStatus.Invalid;
    }
    if (!m.row.command) return HandlerStatus.Invalid;
    const val = extra ?? m.row.value ?? '';
    const value = m.row.lookup ? this.lookupValue(m.row.lookup, val) : atol(val);
    if (await this.writeObject(m.object!, value)) {
      this.dataHasChanged = true;
      return HandlerStatus.Handled;
    }
    return HandlerStatus.Failed;
  }

  async setvar(name: string, val: string): Promise<HandlerStatus> {
    const m = this.findRow(name);
    if (!m || !m.row.writable) return HandlerStatus.Unknown;
    if (m.row.absent) {
      this.ctx.dstate.setinfo(m.name, val);
      return HandlerStatus.Handled;
    }
    const value = m.row.lookup ? this.lookupValue(m.row.lookup, val) : atol(val);
    if (await this.writeObject(m.object!, value)) {
      this.dataHasChanged = true;
      return HandlerStatus.Handled;
    }
    return HandlerStatus.Unknown;
  }

  /** upsdrv_shutdown: shutdown.return, else shutdown.reboot, else load.off.delay. */
  async shutdown(): Promise<void> {
    for (const cmd of ['shutdown.return', 'shutdown.reboot', 'load.off.delay']) {
      if ((await this.instcmd(cmd)) === HandlerStatus.Handled) return;
    }
    throw new Error('Shutdown failed!');
  }

  /** Explore mode and -D dumps: every object with its path and value. */
  async dumpTree(): Promise<string[]> {
    const out: string[] = [];
    for (const o of this.desc.objects) {
      const v = o.type === ITEM_FEATURE ? await this.readObject(o, Infinity) : decodeValue(this.buffers.get(o.reportId)!.data, o);
      out.push(
        `Path: ${this.usages.formatPath(o.path)}, Type: ${o.type === ITEM_FEATURE ? 'Feature' : o.type === ITEM_INPUT ? 'Input' : 'Output'}, ReportID: 0x${o.reportId.toString(16).padStart(2, '0')}, Offset: ${o.offset}, Size: ${o.size}, Value: ${v ?? '(unread)'}`,
      );
    }
    return out;
  }
}

