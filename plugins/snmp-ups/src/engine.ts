/**
 * The snmp-ups engine: NUT 2.8.0's drivers/snmp-ups.c behaviour (detection, table walk, templates,
 * daisy chain, phases, status/alarm composition, SET and commands) over a table from tables/.
 */
import type { DriverContext } from '@nut-ts/core/plugin-api';
import type { ConverterState } from './converters.js';
import { atol, cFixed, fmtTemplate, formatScaled, hexString, strToLongStrict, strtol0 } from './format.js';
import { DEFAULT_POLLFREQ, DEFAULT_SEMISTATICFREQ } from './options.js';
import { Asn, type SnmpTransport, type SnmpValue } from './session.js';
import {
  isCommand,
  isTime,
  ST_FLAG_RW,
  ST_FLAG_STRING,
  SU,
  SU_BYPPHASES,
  SU_INPHASES,
  SU_OUTPHASES,
  type AlarmInfo,
  type LookupEntry,
  type MibEntry,
  type Row,
} from './table.js';

const SYSOID_OID = '.1.3.6.1.2.1.1.2.0';
const SYSTEM_GROUP: ReadonlyArray<[string, string]> = [
  ['device.description', '.1.3.6.1.2.1.1.1.0'],
  ['device.contact', '.1.3.6.1.2.1.1.4.0'],
  ['device.location', '.1.3.6.1.2.1.1.6.0'],
];
const APCC_OID_IEM_TEMP = '.1.3.6.1.4.1.318.1.1.10.2.3.2.1.4.1';
const APCC_OID_IEM_TEMP_UNIT = '.1.3.6.1.4.1.318.1.1.10.2.3.2.1.5.1';
const APCC_IEM_FAHRENHEIT = 2;
/** SU_INFOSIZE: value buffers are 128 bytes, so strings keep 127 characters. */
const SU_INFOSIZE = 128;
const SU_BUFSIZE = 32;
/** NUT loops forever here when an agent answers everything (v2c noSuchInstance); we stop. */
const MAX_TEMPLATE_COUNT = 1024;
const MAX_WALK = 10000;

export const enum WalkMode {
  Init = 0,
  Update = 1,
}

/** Handler results (NUT's STAT_SET_* / STAT_INSTCMD_*; same numbers as HandlerStatus). */
export const STAT = { HANDLED: 0, UNKNOWN: 1, INVALID: 2, FAILED: 3 } as const;
export type Stat = (typeof STAT)[keyof typeof STAT];

/** How a row's raw value becomes text: its value table and/or its named converter. */
type Decoder = Pick<Row, 'lookup' | 'convert'>;

type TemplateType = 'outlet' | 'outlet.group' | 'ambient' | 'device';

interface Phases {
  input: number;
  output: number;
  bypass: number;
}

function cloneRow(r: Row): Row {
  return { ...r };
}

function lastSegment(name: string): string {
  const i = name.lastIndexOf('.');
  return i >= 0 ? name.slice(i) : '';
}

function templateFlag(name: string): number {
  if (name.startsWith('outlet.group')) return SU.OUTLET_GROUP;
  if (name.startsWith('outlet')) return SU.OUTLET;
  if (name.startsWith('device')) return SU.DAISY;
  if (name.startsWith('ambient')) return SU.AMBIENT_TEMPLATE;
  return 0;
}

/** extract_template_number(): 3 for ("outlet.3.desc", SU_OUTLET). */
function extractTemplateNumber(flags: number, name: string): number {
  let at: number;
  if (flags & SU.OUTLET_GROUP) at = 12;
  else if (flags & SU.OUTLET) at = 6;
  else if (flags & SU.DAISY) at = 6;
  else if (flags & SU.AMBIENT_TEMPLATE) at = 7;
  else return -1;
  return atol(name.slice(at + 1));
}

/**
 * Decodes OCTET STRING bytes as NUT does: text if printable, else Net-SNMP's hex dump. Net-SNMP
 * breaks that dump into lines of 16 bytes; NUT's upsd drops the line breaks (as every control
 * character), so clients see one line with spaces: that is the value published here.
 */
function octetText(buf: Buffer, bufLen: number): string {
  for (const b of buf) {
    const printable = b >= 0x20 && b <= 0x7e;
    const space = b === 0x20 || (b >= 0x09 && b <= 0x0d);
    if (!printable && !space) return hexString(buf, bufLen).replace(/\n/g, '');
  }
  return buf.subarray(0, bufLen - 1).toString('latin1');
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return (nul >= 0 ? buf.subarray(0, nul) : buf).toString('latin1');
}

function oidArcs(oid: string): string {
  return oid.replace(/^\./, '');
}

/** What `mibs=--list` prints (upsdrv_initups, NUT 2.8.0), in detection order. */
export function mibListing(mibs: readonly MibEntry[]): string {
  const lines = [
    `The 'mibs' argument is '--list', so just listing the mappings this driver knows,`,
    `and for 'mibs=auto' these mappings will be tried in the following order until`,
    `the first one matches your device`,
    '',
    `${'NUMBER'.padStart(7)}\t${'MAPPING NAME'.padEnd(23)}\t${'VERSION'.padEnd(7)}\t${'ENTRY POINT OID'.padEnd(31)}\tAUTO CHECK OID`,
  ];
  mibs.forEach((m, i) => {
    lines.push(
      ` ${String(i + 1).padStart(4)} \t${m.name.padEnd(23)}\t${m.version.padStart(7)}\t${(m.sysOID ?? '<NULL>').padEnd(31)}\t${m.autoCheckOID ?? '<NULL>'}`,
    );
  });
  lines.push('', `Overall this driver has loaded ${mibs.length} MIB-to-NUT mapping tables`);
  return lines.join('\n');
}

export class SnmpUpsEngine {
  mib: MibEntry | undefined;
  rows: Row[] = [];
  private alarms: AlarmInfo[] = [];
  private pollfreq = DEFAULT_POLLFREQ;
  private semistaticfreq = DEFAULT_SEMISTATICFREQ;
  private semistaticCountdown = 0;
  private lastpoll = 0;
  private commOk: boolean | undefined;
  private quirkSymmetraThreephase = false;
  private devicesCount = 1;
  private currentDevice = 0;
  private daisychain = false;
  private daisyInfo: Phases[] = [];
  private outletBase = -1;
  private outletGroupBase = -1;
  private ambientBase = -1;
  private deviceBase = -1;
  private deviceOffset = -1;
  private templateIndexBase = -1;
  private deviceAlarms: string[] = [];
  /** Alarms of all devices of a chain in this walk: they raise ALARM in ups.status only. */
  private chainAlarms: string[] = [];
  private readonly conv: ConverterState = { temperatureUnit: 'unknown' };

  constructor(
    private readonly ctx: DriverContext,
    private readonly mibs: readonly MibEntry[],
    private readonly snmp: SnmpTransport,
  ) {}

  // ---------------------------------------------------------------- SNMP reads (decode_*)

  private get(oid: string | null): Promise<SnmpValue | undefined> {
    if (oid === null) return Promise.resolve(undefined);
    return this.snmp.get(oid);
  }

  /** nut_snmp_get_str(): the value as text, or undefined (no answer, unhandled type, lookup miss). */
  async getStr(oid: string | null, decoder: Decoder | null, bufLen = SU_INFOSIZE, depth = 0): Promise<string | undefined> {
    const v = await this.get(oid);
    if (!v) return undefined;
    switch (v.type) {
      case Asn.OctetString:
      case Asn.Opaque:
        return Buffer.isBuffer(v.value) ? octetText(v.value, bufLen) : String(v.value ?? '');
      case Asn.Integer:
      case Asn.Counter:
      case Asn.Gauge: {
        const n = Number(v.value);
        if (decoder && (decoder.lookup || decoder.convert)) return this.findInfoval(decoder, n);
        return String(n);
      }
      case Asn.TimeTicks:
        return String(Math.trunc(Number(v.value) / 100));
      case Asn.ObjectId: {
        const pointed = '.' + oidArcs(String(v.value));
        const target = depth < 8 ? await this.getStr(pointed, decoder, bufLen, depth + 1) : undefined;
        return target ?? pointed.slice(pointed.lastIndexOf('.') + 1);
      }
      default:
        this.ctx.log.debug(2, `[${this.ctx.upsname}] unhandled ASN 0x${v.type.toString(16)} received from ${oid}`);
        return undefined;
    }
  }

  /** nut_snmp_get_int(). */
  async getInt(oid: string | null, depth = 0): Promise<number | undefined> {
    const v = await this.get(oid);
    if (!v) return undefined;
    switch (v.type) {
      case Asn.OctetString:
      case Asn.Opaque:
        return strtol0(Buffer.isBuffer(v.value) ? cString(v.value) : String(v.value ?? ''));
      case Asn.Integer:
      case Asn.Counter:
      case Asn.Gauge:
        return Number(v.value);
      case Asn.TimeTicks:
        return Math.trunc(Number(v.value) / 100);
      case Asn.ObjectId: {
        const pointed = '.' + oidArcs(String(v.value));
        const n = depth < 8 ? await this.getInt(pointed, depth + 1) : undefined;
        return n ?? strtol0(pointed.slice(pointed.lastIndexOf('.') + 1));
      }
      default:
        this.ctx.log.debug(1, `[${this.ctx.upsname}] unhandled ASN 0x${v.type.toString(16)} received from ${oid}`);
        return undefined;
    }
  }

  /** su_find_infoval(): converter first, else the value table. */
  private findInfoval(decoder: Decoder | null, raw: number | string): string | undefined {
    if (decoder?.convert) return decoder.convert(raw, this.conv);
    for (const e of decoder?.lookup ?? []) if (e.value === raw) return e.text;
    return undefined;
  }

  /** su_find_strval(): string reformatting through the row's converter. */
  private findStrval(decoder: Decoder | null, text: string): string | undefined {
    return decoder?.convert ? decoder.convert(text, this.conv) : undefined;
  }

  /** su_find_valinfo(): text -> value, -1 when unknown. */
  private findValinfo(lookup: LookupEntry[], text: string): number {
    for (const e of lookup) if (e.text === text) return e.value;
    return -1;
  }

  findRow(name: string, rows: readonly Row[] = this.rows): Row | undefined {
    const lower = name.toLowerCase();
    return rows.find((r) => r.name.toLowerCase() === lower);
  }

  // ---------------------------------------------------------------- detection (load_mib2nut)

  private async matchModelOid(rows: readonly Row[]): Promise<boolean> {
    const row = this.findRow('device.model', rows) ?? this.findRow('ups.model', rows);
    if (!row || row.oid === null) return false;
    const oid = row.oid.includes('%') ? fmtTemplate(row.oid, 0) : row.oid;
    return (await this.getStr(oid, null, 256)) !== undefined;
  }

  private async matchSysoid(): Promise<MibEntry | undefined> {
    const v = await this.snmp.get(SYSOID_OID);
    if (!v || v.type !== Asn.ObjectId) {
      this.ctx.log.debug(2, "Can't get sysOID value");
      return undefined;
    }
    const device = oidArcs(String(v.value));
    for (const m of this.mibs) {
      if (!m.sysOID || oidArcs(m.sysOID) !== device) continue;
      this.ctx.log.debug(2, `sysOID matches MIB '${m.name}'!`);
      if (await this.matchModelOid(m.table.rows)) return m;
      this.ctx.log.debug(2, `testOID provided and doesn't match MIB '${m.name}'!`);
    }
    this.ctx.log.error(
      `No matching MIB found for sysOID '.${device}'!\n` +
        "Please report it to NUT developers, with an 'upsc' output for your device.\n" +
        'Going back to the classic MIB detection method.',
    );
    return undefined;
  }

  /** load_mib2nut(): sysOID match (3 tries) for mibs=auto, then model-OID probing in list order. */
  async detect(mibs: string): Promise<MibEntry> {
    const auto = mibs === 'auto';
    let found: MibEntry | undefined;
    if (auto) {
      for (let i = 0; i < 3 && !found; i++) found = await this.matchSysoid();
    }
    let seen = false;
    if (!found) {
      for (const m of this.mibs) {
        if (!auto && m.name !== mibs) continue;
        if (!auto) seen = true;
        if (await this.matchModelOid(m.table.rows)) {
          found = m;
          break;
        }
      }
    }
    const where = `[${this.ctx.upsname}] (host ${this.ctx.port})`;
    if (!found) {
      if (!auto && seen) throw new Error(`Requested 'mibs' value '${mibs}' did not match this device ${where}`);
      if (!auto) throw new Error(`Unknown 'mibs' value: ${mibs}`);
      throw new Error(`No supported device detected at ${where}`);
    }
    this.mib = found;
    this.rows = found.table.rows.map(cloneRow);
    this.alarms = found.table.alarms;
    this.ctx.log.debug(1, `using ${found.name} MIB for device [${this.ctx.upsname}] (host ${this.ctx.port})`);
    return found;
  }

  listing(): string {
    return mibListing(this.mibs);
  }

  // ---------------------------------------------------------------- driver hooks

  async initups(): Promise<void> {
    const ctx = this.ctx;
    const mibs = ctx.testvar('mibs') ? (ctx.getval('mibs') ?? 'auto') : 'auto';
    const mib = await this.detect(mibs);
    this.pollfreq = ctx.getval('pollfreq') !== undefined ? atol(ctx.getval('pollfreq')!) : DEFAULT_POLLFREQ;
    this.semistaticfreq = ctx.getval('semistaticfreq') !== undefined ? atol(ctx.getval('semistaticfreq')!) : DEFAULT_SEMISTATICFREQ;

    const modelRow = this.findRow('ups.model') ?? this.findRow('device.model');
    let model: string | undefined;
    if (modelRow && modelRow.oid !== null) {
      const oid = modelRow.oid.includes('%') ? fmtTemplate(modelRow.oid, 0) : modelRow.oid;
      model = await this.getStr(oid, null);
    }
    if (model === undefined) throw new Error(`${mibs} MIB wasn't found on ${ctx.port}`);
    ctx.log.info(`Detected ${model} on host ${ctx.port} (mib: ${mib.name} ${mib.version})`);

    await this.daisychainInit();
    this.daisyInfo = Array.from({ length: this.devicesCount + 1 }, () => ({ input: -1, output: -1, bypass: -1 }));

    if (this.findRow('load.off.delay')) ctx.dstate.addcmd('load.off');
    if (this.findRow('load.on.delay')) ctx.dstate.addcmd('load.on');
    if (this.findRow('load.off.delay') && this.findRow('load.on.delay')) {
      ctx.dstate.addcmd('shutdown.return');
      ctx.dstate.addcmd('shutdown.stayoff');
    }
    await this.setDelays();
  }

  async initinfo(): Promise<void> {
    const ctx = this.ctx;
    const mib = this.mib!;
    ctx.dstate.setinfo('driver.version.data', `${mib.name} MIB ${mib.version}`);
    for (const row of this.rows) {
      row.flags |= SU.OK;
      if (isCommand(row.flags) && !(row.flags & SU.OUTLET) && !(row.flags & SU.OUTLET_GROUP)) await this.addcmd(row);
    }
    if (ctx.testvar('notransferoids')) {
      ctx.log.info('Disabling transfer OIDs');
      for (const row of this.rows) {
        const n = row.name.toLowerCase();
        if (n === 'input.transfer.low' || n === 'input.transfer.high') row.flags &= ~SU.OK;
      }
    }
    this.quirkSymmetraThreephase = ctx.testvar('symmetrathreephase');
    const ok = await this.walk(WalkMode.Init);
    // Tables whose rows did not produce these fall back to MIB-II system group values.
    for (const [name, oid] of SYSTEM_GROUP) {
      if (ctx.dstate.getinfo(name) !== undefined) continue;
      const v = await this.getStr(oid, null);
      if (v !== undefined) ctx.dstate.setinfo(name, v);
    }
    if (ok) {
      ctx.dstate.dataok();
      this.commOk = true;
    } else {
      ctx.dstate.datastale();
      this.commOk = false;
    }
  }

  async updateinfo(): Promise<void> {
    const ctx = this.ctx;
    const now = Math.floor(this.ctx.now() / 1000);
    if (now > this.lastpoll + this.pollfreq) {
      ctx.alarm.init();
      ctx.status.init();
      if (await this.walk(WalkMode.Update)) {
        ctx.dstate.dataok();
        this.commOk = true;
      } else {
        ctx.dstate.datastale();
        this.commOk = false;
      }
      if (!this.daisychain) {
        ctx.alarm.commit();
        ctx.status.commit();
      } else if (this.devicesCount > 1) {
        // NUT: device alarms make the status "ALARM ...", then the (empty) global alarm
        // buffer is committed, so ups.alarm itself ends up absent.
        if (this.chainAlarms.length) {
          for (const a of this.chainAlarms) ctx.alarm.set(a);
          ctx.alarm.commit();
        }
        ctx.status.commit();
        ctx.alarm.init();
        ctx.alarm.commit();
      } else {
        ctx.status.commit();
        ctx.alarm.commit();
      }
      this.lastpoll = Math.floor(this.ctx.now() / 1000);
    } else if (this.commOk === false) {
      ctx.dstate.datastale();
    } else {
      ctx.dstate.dataok();
    }
  }

  async shutdown(): Promise<void> {
    await this.setDelays();
    for (const cmd of ['shutdown.return', 'shutdown.reboot', 'load.off.delay']) {
      if ((await this.setOID('instcmd', cmd, undefined)) === STAT.HANDLED) return;
    }
    throw new Error('Shutdown failed!');
  }

  instcmd(cmd: string, extra: string | undefined): Promise<Stat> {
    return this.setOID('instcmd', cmd, extra);
  }

  setvar(name: string, value: string): Promise<Stat> {
    return this.setOID('setvar', name, value);
  }

  private async setDelays(): Promise<void> {
    const on = this.ctx.getval('ondelay') !== undefined ? atol(this.ctx.getval('ondelay')!) : -1;
    const off = this.ctx.getval('offdelay') !== undefined ? atol(this.ctx.getval('offdelay')!) : -1;
    if (on >= 0) await this.setvar('ups.delay.start', String(on));
    if (off >= 0) await this.setvar('ups.delay.shutdown', String(off));
  }

  // ---------------------------------------------------------------- daisy chain

  private async daisychainInit(): Promise<void> {
    const row = this.findRow('device.count');
    if (row) {
      this.daisychain = true;
      if (row.oid !== null && !row.oid.includes('%i')) {
        const parse = row.parse;
        let n: number | undefined;
        if (parse) {
          const s = await this.getStr(row.oid, null);
          n = s === undefined ? undefined : parse(s);
        } else n = await this.getInt(row.oid);
        this.devicesCount = n ?? 1;
      } else {
        this.devicesCount = await this.guestimateTemplateCount(row);
      }
      if (this.devicesCount < 1) {
        this.devicesCount = 1;
        this.daisychain = false;
      }
      // 2.8.0 publishes the count even for a single device.
      this.ctx.dstate.setinfo('device.count', String(this.devicesCount));
      if (this.devicesCount > 1) {
        if (this.findRow('device.mfr')) {
          const mfr = this.findRow('ups.mfr');
          if (mfr) this.setinfoRow(mfr, undefined);
        }
        const type = this.findRow('device.type');
        if (type && type.dfl !== null) {
          this.ctx.dstate.setinfo('device.model', `daisychain ${type.dfl} (1+${this.devicesCount - 1})`);
          this.ctx.dstate.setinfo('device.type', type.dfl);
        } else {
          this.ctx.dstate.setinfo('device.model', `daisychain (1+${this.devicesCount - 1})`);
        }
      }
    }
    const model = this.findRow('device.model');
    if (model) {
      this.deviceBase = await this.baseSnmpTemplateIndex(model);
      this.deviceOffset = this.deviceBase - 1;
    }
  }

  private deviceAlarmCommit(device: number): void {
    if (device <= 0) return;
    const name = `device.${device}.ups.alarm`;
    if (this.deviceAlarms.length) {
      this.ctx.dstate.setinfo(name, this.deviceAlarms.join(' '));
      this.chainAlarms.push(...this.deviceAlarms);
    } else this.ctx.dstate.delinfo(name);
  }

  // ---------------------------------------------------------------- publishing (su_setinfo, status, alarms)

  private publishedName(row: Row): string {
    if (this.daisychain && this.devicesCount > 1 && this.currentDevice > 0 && !row.name.includes(`device.${this.currentDevice}`)) {
      return row.name.startsWith('device.')
        ? `device.${this.currentDevice}.${row.name.slice(7)}`
        : `device.${this.currentDevice}.${row.name}`;
    }
    return row.name;
  }

  /** su_setinfo(): value (or the row default), flags, aux, enums of RW lookups. */
  private setinfoRow(row: Row, value: string | undefined): void {
    if (isCommand(row.flags)) return;
    if (row.name.toLowerCase() === 'ups.status' || lastSegment(row.name).toLowerCase() === '.alarm') return;
    const name = this.publishedName(row);
    const d = this.ctx.dstate;
    if (value !== undefined) d.setinfo(name, value);
    else if (row.dfl !== null) d.setinfo(name, row.dfl);
    else return;
    d.setflags(name, row.infoFlags & (ST_FLAG_RW | ST_FLAG_STRING));
    d.setaux(name, Math.trunc(row.len));
    if (row.infoFlags & ST_FLAG_RW && row.lookup) for (const e of row.lookup) d.addenum(name, e.text);
    d.dataok();
  }

  private statusSet(row: Row, value: number): void {
    const text = this.findInfoval(row, value);
    if (text !== undefined && text !== '') this.ctx.status.set(text);
  }

  private alarmSet(row: Row, value: number): void {
    let type = row.name;
    if (type.startsWith('device.')) {
      const dot = type.indexOf('.', 7);
      type = dot >= 0 ? type.slice(dot + 1) : type;
    }
    let text = this.findInfoval(row, value);
    if (text === undefined || text === '') return;
    if (row.flags & (SU.OUTLET | SU.OUTLET_GROUP)) {
      const n = extractTemplateNumber(row.flags, type);
      text = `outlet${row.flags & SU.OUTLET_GROUP ? ' group' : ''} ${n} ${text}`;
    }
    if (type.startsWith('L')) text = `phase L${atol(type.slice(1))} ${text}`;
    this.raiseAlarm(text);
  }

  // ---------------------------------------------------------------- reading one row (su_ups_get)

  /** alarm_set(): a daisy chain of several devices collects alarms per device (device.N.ups.alarm). */
  private raiseAlarm(text: string): void {
    if (this.devicesCount > 1) this.deviceAlarms.push(text);
    else this.ctx.alarm.set(text);
  }

  private disableCompetition(entry: Row): void {
    for (const p of this.rows) if (p !== entry && p.name === entry.name) p.flags &= ~SU.OK;
  }

  private async suUpsGet(orig: Row): Promise<boolean> {
    let row = orig;
    if (orig.oid !== null && orig.oid.includes('%')) {
      row = cloneRow(orig);
      row.oid = fmtTemplate(orig.oid, this.currentDevice + this.deviceOffset);
    }
    const lname = row.name.toLowerCase();

    // A row without an OID (and not ABSENT) is a server-side value: its default (pw outlet.id).
    if (row.oid === null) {
      if (row.dfl === null) return false;
      this.setinfoRow(row, undefined);
      return true;
    }

    if (lname === 'ups.status') {
      const v = await this.getInt(row.oid);
      if (v === undefined) return false;
      this.statusSet(row, v);
      return true;
    }
    if (lastSegment(row.name) === '.alarm') {
      const v = await this.getInt(row.oid);
      if (v === undefined) return false;
      this.alarmSet(row, v);
      return true;
    }
    if (lname === 'ups.alarms') {
      const v = await this.getInt(row.oid);
      if (v === undefined) return false;
      if (v > 0) {
        const found = await this.walkOids(row.oid!);
        if (found === undefined) return false;
        for (const pointed of found) {
          const a = this.alarms.find((x) => x.oid === pointed);
          if (!a) continue;
          if (a.status) this.ctx.status.set(a.status);
          if (a.alarm) this.raiseAlarm(a.alarm);
        }
      }
      return true;
    }
    if (lname === 'ambient.temperature') {
      const v = await this.getInt(row.oid);
      if (v === undefined) return false;
      let temp: number;
      if (row.oid === APCC_OID_IEM_TEMP) {
        const units = await this.getInt(APCC_OID_IEM_TEMP_UNIT);
        temp = units === undefined || units === APCC_IEM_FAHRENHEIT ? Math.fround((v - 32) / 1.8) : Math.fround(v);
      } else {
        temp = Math.fround(v * row.len);
      }
      this.setinfoRow(row, cFixed(temp, 1));
      return true;
    }

    let buf: string | undefined;
    if (row.infoFlags & ST_FLAG_STRING) {
      buf = await this.getStr(row.oid, row);
      if (buf !== undefined) {
        if (this.quirkSymmetraThreephase && (lname === 'input.transfer.low' || lname === 'input.transfer.high')) {
          buf = cFixed(Number.parseFloat(buf) * 0.707 || 0, 2);
        }
        const re = this.findStrval(row, buf);
        if (re !== undefined) buf = re.slice(0, SU_INFOSIZE - 1);
      }
    } else {
      const v = await this.getInt(row.oid);
      if (v !== undefined) {
        if ((orig.flags & SU.NEGINVALID && v < 0) || (orig.flags & SU.ZEROINVALID && v === 0)) {
          orig.flags &= ~SU.OK;
          if (orig.flags & SU.UNIQUE) {
            this.disableCompetition(orig);
            orig.flags &= ~SU.UNIQUE;
          }
          return false;
        }
        buf = this.findInfoval(row, v) ?? formatScaled(v, row.len);
      }
    }
    if (buf === undefined) return false;
    this.setinfoRow(row, buf);
    return true;
  }

  /** nut_snmp_walk(OID, INT_MAX) for ups.alarms: the OID values found from OID onwards. */
  private async walkOids(start: string): Promise<string[] | undefined> {
    const startLen = oidArcs(start).split('.').length;
    const first = await this.snmp.get(start);
    if (!first) return undefined;
    const values: string[] = [];
    let cur: SnmpValue | undefined = first;
    let prev = '';
    for (let i = 0; cur && i < MAX_WALK; i++) {
      if (cur.type >= Asn.NoSuchObject) break;
      if (cur.type === Asn.ObjectId) values.push('.' + oidArcs(String(cur.value)));
      const name = oidArcs(cur.oid);
      if (name === prev || name.split('.').length < startLen) break;
      prev = name;
      cur = await this.snmp.getNext(cur.oid);
      if (cur && oidArcs(cur.oid).split('.').length < startLen) break;
    }
    return values;
  }

  /** get_and_process_data(). */
  private async getAndProcess(mode: WalkMode, row: Row): Promise<boolean> {
    const ok = await this.suUpsGet(row);
    if (ok) {
      if (row.flags & SU.STALE) {
        this.ctx.log.info(`[${this.ctx.upsname}] get_and_process_data: data resumed for ${row.name}`);
        row.flags &= ~SU.STALE;
      }
      if (row.flags & SU.UNIQUE) {
        this.disableCompetition(row);
        row.flags &= ~SU.UNIQUE;
      }
      this.ctx.dstate.dataok();
    } else if (mode === WalkMode.Init) {
      row.flags &= ~SU.OK;
    } else {
      if (!(row.flags & SU.STALE)) {
        this.ctx.log.info(`[${this.ctx.upsname}] snmp_ups_walk: data stale for ${row.name}`);
        row.flags |= SU.STALE;
      }
      this.ctx.dstate.datastale();
    }
    return ok;
  }

  // ---------------------------------------------------------------- templates

  private async baseSnmpTemplateIndex(row: Row): Promise<number> {
    if (row.oid === null) return -1;
    // NUT keeps the last known base in one static variable: a row whose name is of no template
    // kind (e.g. "ups.alarm" flagged AMBIENT_TEMPLATE) reuses whatever the previous call left.
    const type = templateFlag(row.name);
    if (type === SU.OUTLET) this.templateIndexBase = this.outletBase;
    else if (type === SU.OUTLET_GROUP) this.templateIndexBase = this.outletGroupBase;
    else if (type === SU.AMBIENT_TEMPLATE) this.templateIndexBase = this.ambientBase;
    else if (type === SU.DAISY) this.templateIndexBase = this.deviceBase;
    let base = this.templateIndexBase;
    if (base !== -1) return base;
    const multiple = (row.oid.match(/%/g) ?? []).length > 1;
    for (base = 0; base < 2; base++) {
      const dev = this.currentDevice + this.deviceOffset;
      const test = multiple
        ? row.flags & SU.TYPE_DAISY_1
          ? fmtTemplate(row.oid, dev, base)
          : fmtTemplate(row.oid, base, dev)
        : fmtTemplate(row.oid, base);
      if (await this.get(test)) {
        if (row.flags & SU.ZEROINVALID) {
          const v = await this.getInt(test);
          if (v !== undefined && v !== 0) break;
        } else if (row.flags & SU.NAINVALID) {
          const s = await this.getStr(test, null, SU_BUFSIZE);
          if (s !== undefined && !s.startsWith('N/A')) break;
        } else break;
      }
    }
    if (row.flags & SU.OUTLET) this.outletBase = base;
    else if (row.flags & SU.OUTLET_GROUP) this.outletGroupBase = base;
    else if (row.flags & SU.AMBIENT_TEMPLATE) this.ambientBase = base;
    else this.deviceBase = base;
    return base;
  }

  private async guestimateTemplateCount(row: Row): Promise<number> {
    if (row.oid === null) return 0;
    let base = 0;
    const first = fmtTemplate(row.oid, 0);
    if (!(await this.get(first))) base++;
    else if (row.flags & SU.ZEROINVALID && (await this.getInt(first)) === 0) base++;
    let count = 0;
    for (; count < MAX_TEMPLATE_COUNT; count++) {
      if (!(await this.get(fmtTemplate(row.oid, base + count)))) break;
    }
    return count;
  }

  private async processTemplate(mode: WalkMode, type: TemplateType, row: Row): Promise<boolean> {
    let status = true;
    const d = this.ctx.dstate;
    const countVar =
      !type.startsWith('device') && this.devicesCount > 1 && this.currentDevice > 0
        ? `device.${this.currentDevice}.${type}.count`
        : `${type}.count`;
    let count: number;
    const have = d.getinfo(countVar);
    if (have === undefined) {
      count = await this.guestimateTemplateCount(row);
      if (count > 0) d.setinfo(countVar, String(count));
    } else {
      count = atol(have);
    }
    if (count <= 0) {
      this.ctx.log.debug(1, `No ${type} present, discarding template definition...`);
      return status;
    }
    const inst = cloneRow(row);
    const base = await this.baseSnmpTemplateIndex(row);
    let nutIndex = 0;
    for (let n = base; n < count + base; n++) {
      if (type === 'device') {
        if (this.currentDevice > 0) {
          const rest = row.name.startsWith('device.') ? row.name.slice(7) : row.name;
          inst.name = `device.${this.currentDevice}.${rest}`;
        } else {
          nutIndex = n;
          inst.name = fmtTemplate(row.name, nutIndex);
        }
      } else {
        nutIndex = n;
        inst.name =
          this.daisychain && this.devicesCount > 1 && this.currentDevice > 0
            ? fmtTemplate(`device.%i.${row.name}`, this.currentDevice, nutIndex)
            : fmtTemplate(row.name, nutIndex);
      }
      if (row.dfl !== null && row.dfl.includes('%i')) inst.dfl = fmtTemplate(row.dfl, nutIndex);
      if (row.oid !== null) {
        if (type === 'device') {
          inst.oid = this.currentDevice > 0 ? fmtTemplate(row.oid, this.currentDevice + this.deviceOffset) : '';
        } else if (this.daisychain && (row.oid.match(/%i/g) ?? []).length > 1) {
          inst.oid =
            row.flags & SU.TYPE_DAISY_1
              ? fmtTemplate(row.oid, this.currentDevice + this.deviceOffset, n)
              : fmtTemplate(row.oid, n + this.deviceOffset, this.currentDevice - this.deviceOffset);
        } else {
          inst.oid = fmtTemplate(row.oid, n);
        }
        if (isCommand(row.flags)) {
          if (mode === WalkMode.Init) d.addcmd(inst.name);
        } else {
          status = await this.getAndProcess(mode, inst);
        }
      } else {
        this.setinfoRow(inst, undefined);
      }
      row.flags = inst.flags;
    }
    return status;
  }

  // ---------------------------------------------------------------- phases

  private async processPhaseData(type: 'input' | 'output' | 'input.bypass', phases: Phases, key: keyof Phases, row: Row): Promise<boolean> {
    // NUT 2.8.0 tests the "input" prefix first, so bypass rows use the input phase flags.
    let phasesFlag: number, single: number, three: number;
    if (type.startsWith('input')) [phasesFlag, single, three] = [SU_INPHASES, SU.INPUT_1, SU.INPUT_3];
    else [phasesFlag, single, three] = [SU_OUTPHASES, SU.OUTPUT_1, SU.OUTPUT_3];

    if (phases[key] === -1) {
      let info = this.daisychain && this.currentDevice > 0 ? `device.${this.currentDevice}.${type}.phases` : `${type}.phases`;
      const have = this.ctx.dstate.getinfo(info);
      if (have === undefined) {
        info = `${type}.phases`;
        const pr = this.findRow(info);
        if (pr && pr.oid !== null) {
          const oid = pr.oid.includes('%') ? fmtTemplate(pr.oid, this.currentDevice + this.deviceOffset) : pr.oid;
          phases[key] = (await this.getInt(oid)) ?? 1;
        } else {
          phases[key] = 1;
        }
      } else {
        phases[key] = atol(have);
      }
      this.ctx.dstate.setinfo(info, String(phases[key]));
    }
    if (row.flags & single) {
      if (phases[key] === 1) row.flags &= ~phasesFlag;
      else {
        row.flags &= ~SU.OK;
        return true;
      }
    } else if (row.flags & three) {
      if (phases[key] === 3) row.flags &= ~phasesFlag;
      else {
        row.flags &= ~SU.OK;
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- the walk

  async walk(mode: WalkMode): Promise<boolean> {
    let status = false;
    if (mode === WalkMode.Update) {
      this.semistaticCountdown--;
      if (this.semistaticCountdown < 0) this.semistaticCountdown = this.semistaticfreq;
    }
    const first = !this.daisychain && this.devicesCount === 1 ? 1 : 0;
    this.chainAlarms = [];
    for (this.currentDevice = first; this.currentDevice <= this.devicesCount; this.currentDevice++) {
      if (this.devicesCount > 1) this.deviceAlarms = [];
      for (const row of this.rows) {
        const f = row.flags;
        if (mode === WalkMode.Init && row.name.startsWith('device.count')) {
          row.flags &= ~SU.OK;
          continue;
        }
        if (this.currentDevice === 0 && this.daisychain) continue;
        if (isCommand(f) && !(f & SU.OUTLET) && !(f & SU.OUTLET_GROUP)) continue;
        if (mode === WalkMode.Update && !(f & SU.OK)) continue;
        if (mode === WalkMode.Update && f & SU.SEMI_STATIC && this.semistaticCountdown !== 0) continue;
        if (mode === WalkMode.Update && f & SU.STATIC) continue;
        if (f & SU.TYPE_DAISY_MASTER_ONLY && this.daisychain && this.currentDevice > 1) continue;
        if (f & SU.ABSENT && !(f & SU.OUTLET) && !(f & SU.OUTLET_GROUP) && !(f & SU.AMBIENT_TEMPLATE)) {
          if (mode === WalkMode.Init) {
            if (row.dfl !== null) {
              if (this.daisychain && this.devicesCount > 1) {
                if (this.currentDevice === 0) this.setinfoRow(row, undefined);
                else status = await this.processTemplate(mode, 'device', row);
              } else {
                this.setinfoRow(row, undefined);
              }
            }
            row.flags |= SU.STATIC;
          }
          continue;
        }
        const phases = this.daisyInfo[this.currentDevice] ?? { input: -1, output: -1, bypass: -1 };
        if (row.flags & SU_INPHASES && (await this.processPhaseData('input', phases, 'input', row))) continue;
        if (row.flags & SU_OUTPHASES && (await this.processPhaseData('output', phases, 'output', row))) continue;
        if (row.flags & SU_BYPPHASES && (await this.processPhaseData('input.bypass', phases, 'bypass', row))) continue;

        // A chain member other than the master has no objects of its own outside templates.
        if (this.daisychain && this.devicesCount > 1 && this.currentDevice > 1 && row.oid !== null && !row.oid.includes('%')) continue;
        const template: TemplateType | undefined =
          row.flags & SU.OUTLET ? 'outlet' : row.flags & SU.OUTLET_GROUP ? 'outlet.group' : row.flags & SU.AMBIENT_TEMPLATE ? 'ambient' : undefined;
        if (template) {
          if (isCommand(row.flags) && mode === WalkMode.Update) continue;
          status = await this.processTemplate(mode, template, row);
        } else {
          status = await this.getAndProcess(mode, row);
        }
      }
      if (this.devicesCount > 1) {
        this.deviceAlarmCommit(this.currentDevice);
        this.deviceAlarms = [];
      }
    }
    return status;
  }

  private async addcmd(row: Row): Promise<void> {
    if (this.daisychain) {
      for (this.currentDevice = 1; this.currentDevice <= this.devicesCount; this.currentDevice++) {
        await this.processTemplate(WalkMode.Init, 'device', row);
      }
    } else if (await this.get(row.oid)) {
      this.ctx.dstate.addcmd(row.name);
    }
  }

  // ---------------------------------------------------------------- SET / commands (su_setOID)

  async setOID(mode: 'instcmd' | 'setvar', varname: string, val: string | undefined): Promise<Stat> {
    let tmpName: string;
    let daisyDev: number;
    let countPrefix = '';
    if (varname.startsWith('device')) {
      daisyDev = atol(varname.slice(7));
      tmpName = varname.slice(9);
      countPrefix = varname.slice(0, 9);
    } else {
      daisyDev = 0;
      tmpName = varname;
    }
    if (this.daisychain && this.devicesCount > 1 && daisyDev === 0) return STAT.INVALID;

    let row: Row | undefined;
    let isTemplateInstance = false;
    if (!tmpName.startsWith('outlet')) {
      row = this.findRow(tmpName);
    } else {
      const group = templateFlag(tmpName) === SU.OUTLET_GROUP;
      const countVar = countPrefix + (group ? 'outlet.group.count' : 'outlet.count');
      const total = atol(this.ctx.dstate.getinfo(countVar) ?? '');
      const at = group ? 12 : 6;
      const item = atol(tmpName.slice(at + 1));
      if (item > total) return STAT.INVALID;
      const dot = tmpName.indexOf('.', at + 1);
      const templateName = `${group ? 'outlet.group' : 'outlet'}.%i${dot >= 0 ? tmpName.slice(dot) : ''}`;
      const tpl = this.findRow(templateName);
      if (!tpl) return STAT.UNKNOWN;
      row = cloneRow(tpl);
      isTemplateInstance = true;
      if (tpl.dfl !== null && tpl.dfl.includes('%i')) row.dfl = fmtTemplate(tpl.dfl, item);
      if (tpl.oid !== null) {
        const index = mode === 'instcmd' && tpl.flags & SU.CMD_OFFSET ? item + 1 : item;
        if (this.daisychain) {
          const off = this.devicesCount > 1 ? 1 : 0;
          row.oid =
            tpl.flags & SU.TYPE_DAISY_1 ? fmtTemplate(tpl.oid, daisyDev - off, index) : fmtTemplate(tpl.oid, index, daisyDev - off);
        } else {
          row.oid = fmtTemplate(tpl.oid, index);
        }
      } else if (mode === 'instcmd') {
        return STAT.UNKNOWN;
      } else {
        row.name = tmpName;
      }
    }
    if (!row || !(row.flags & SU.OK)) {
      this.ctx.log.debug(2, `su_setOID: info element unavailable ${varname}`);
      return STAT.UNKNOWN;
    }
    if (mode === 'instcmd' && val === undefined && row.dfl === null) return STAT.INVALID;
    if (!isTemplateInstance && row.oid !== null && row.oid.includes('%')) {
      row = cloneRow(row);
      row.oid = fmtTemplate(row.oid!, daisyDev + this.deviceOffset);
    }

    let ok: boolean;
    if (row.infoFlags & ST_FLAG_STRING) {
      ok = row.oid !== null && (await this.snmp.set(row.oid, 's', val ?? row.dfl ?? ''));
    } else {
      let value: number;
      if (mode === 'instcmd') {
        const v = strToLongStrict(val ?? row.dfl ?? '');
        if (v === undefined) return STAT.INVALID;
        value = v;
      } else if (row.lookup) {
        value = this.findValinfo(row.lookup, val ?? row.dfl ?? '');
      } else {
        const v = strToLongStrict(val ?? '');
        if (v === undefined) return STAT.INVALID;
        value = Math.trunc(v / row.len);
      }
      ok =
        row.oid !== null &&
        (isTime(row.flags) ? await this.snmp.set(row.oid, 't', String(value * 100)) : await this.snmp.set(row.oid, 'i', String(value)));
    }
    if (!ok) {
      this.ctx.log.debug(1, mode === 'instcmd' ? `su_setOID: cannot execute command '${varname}'` : `su_setOID: cannot set value ${val} on OID ${row.oid}`);
      return STAT.FAILED;
    }
    if (mode === 'setvar') this.ctx.dstate.setinfo(varname, val ?? '');
    return STAT.HANDLED;
  }

  close(): void {
    this.snmp.close();
  }
}
