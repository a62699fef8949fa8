/**
 * Recordings: a device played from a NUT debug log (`usbhid-ups -DDD` output, also inside
 * DDL `.dev` files as `#` comments) or from our own JSON recording, and the recorder that
 * writes that JSON from a live device.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { UsbDeviceInfo } from '@nut-ts/core/plugin-api';
import type { HidDevice } from './device.js';
import { defaultUsage } from './usage-names.js';

export const RECORDING_FORMAT = 'nut-ts-usbhid-recording';

export interface Recording {
  format: typeof RECORDING_FORMAT;
  version: 1;
  device: UsbDeviceInfo;
  /** String descriptors by index. */
  strings: Record<string, string>;
  /** Report descriptor, hex. */
  descriptor: string;
  /** Feature reports by report id (decimal), each a sequence of answers in hex (the last repeats). */
  features: Record<string, string[]>;
  /** Interrupt-IN reports in arrival order, hex. */
  interrupts: string[];
  /** SET_REPORTs the driver sent, hex (written by the recorder, informative on replay). */
  setReports?: string[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/[^0-9a-fA-F]/g, ''), 'hex'));

/** Reads a NUT debug log: the device lines, the report descriptor and every `Report[get]`. */
export interface ReplayFallback {
  /** Ids for logs that do not print the device lines (`-D` runs): from the vendorid/productid options. */
  vendorId?: number;
  productId?: number;
}

export function recordingFromNutLog(text: string, fallback: ReplayFallback = {}): Recording {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/^#\s?/, ''));
  const field = (name: string) => {
    const re = new RegExp(`- ${name}: ?(.*)$`);
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m[1];
    }
    return undefined;
  };
  let descriptor = '';
  for (let i = 0; i < lines.length; i++) {
    const m = /Report Descriptor: \((\d+) bytes\) => ([0-9a-fA-F ]+)$/.exec(lines[i]);
    if (!m) continue;
    const want = Number(m[1]);
    let hexText = m[2];
    for (let j = i + 1; j < lines.length && hexText.replace(/ /g, '').length < want * 2; j++) {
      const c = /^(?:\s*[0-9.]+\s+)?(?:\[D\d\])?\s+((?:[0-9a-fA-F]{2} ?)+)\s*$/.exec(lines[j]);
      if (!c) break;
      hexText += ' ' + c[1];
    }
    descriptor = hexText.replace(/ /g, '').slice(0, want * 2);
    break;
  }
  const features: Record<string, string[]> = {};
  if (!descriptor) descriptor = descriptorFromLsusb(lines) ?? '';
  if (!descriptor) {
    const dump = objectsFromPathLines(lines);
    if (!dump) throw new Error('no "Report Descriptor: (N bytes) => …" line and no "Path: …" dump in the log');
    descriptor = dump.descriptor;
    Object.assign(features, dump.features);
  }
  const interrupts: string[] = [];
  for (const l of descriptor && Object.keys(features).length ? [] : lines) {
    const m = /Report\[(get|int)\]: \((\d+) bytes\) => ((?:[0-9a-fA-F]{2} ?)+)/.exec(l);
    if (!m) continue;
    const b = m[3].trim().split(/ +/).slice(0, Number(m[2])).join('');
    if (m[1] === 'int') interrupts.push(b);
    else (features[String(Number.parseInt(b.slice(0, 2), 16))] ??= []).push(b);
  }
  // lsusb -v: "iManufacturer           1 American Power Conversion "
  const lsusbString = (key: string) => {
    for (const l of lines) {
      const m = new RegExp(`^\\s*${key}\\s+\\d+ (.*)$`).exec(l);
      if (m) return m[1];
    }
    return undefined;
  };
  const manufacturer = field('Manufacturer') ?? lsusbString('iManufacturer') ?? '';
  const product = field('Product') ?? lsusbString('iProduct') ?? '';
  const serial = field('Serial Number') ?? lsusbString('iSerial') ?? '';
  // String indices: from the usages that carry them (iManufacturer/iProduct/iSerialNumber), else lsusb's lines.
  const strings: Record<string, string> = {};
  const indexOf = (usage: string) => {
    for (const l of lines) {
      const m = new RegExp(`Path: [^,]*\\.${usage}, Type: Feature, .*Value: (\\d+)`).exec(l);
      if (m) return m[1];
    }
    return undefined;
  };
  const lsusb = (key: string) => {
    for (const l of lines) {
      const m = new RegExp(`^\\s*${key}\\s+(\\d+)\\s`).exec(l);
      if (m) return m[1];
    }
    return undefined;
  };
  for (const [usage, key, value] of [
    ['iManufacturer', 'iManufacturer', manufacturer],
    ['iProduct', 'iProduct', product],
    ['iSerialNumber', 'iSerial', serial],
  ] as const) {
    const idx = indexOf(usage) ?? lsusb(key);
    if (idx && value && !(idx in strings)) strings[idx] = value;
  }
  const lsusbId = (key: string) => {
    for (const l of lines) {
      const m = new RegExp(`^\\s*${key}\\s+0x([0-9a-fA-F]{4})`).exec(l);
      if (m) return m[1];
    }
    return undefined;
  };
  const vid = field('VendorID') ?? lsusbId('idVendor') ?? fallback.vendorId?.toString(16);
  const pid = field('ProductID') ?? lsusbId('idProduct') ?? fallback.productId?.toString(16);
  if (!vid || !pid) throw new Error('no "- VendorID:"/"- ProductID:" lines in the log (give vendorid and productid to replay it)');
  return {
    format: RECORDING_FORMAT,
    version: 1,
    device: {
      vendorId: Number.parseInt(vid, 16),
      productId: Number.parseInt(pid, 16),
      release: Number.parseInt(field('Device release number') ?? '0', 16),
      manufacturer,
      product,
      serial,
      bus: (field('Bus') ?? '001').trim(),
      device: (field('Device') ?? '001').trim(),
      busport: '',
    },
    strings,
    descriptor,
    features,
    interrupts,
  };
}

export function loadRecording(file: string, fallback: ReplayFallback = {}): Recording {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) {
    const r = JSON.parse(text) as Recording;
    if (r.format !== RECORDING_FORMAT) throw new Error(`${file}: not a ${RECORDING_FORMAT} file`);
    return r;
  }
  try {
    return recordingFromNutLog(text, fallback);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** A device that answers from a recording. Feature writes change what later reads return. */
export class ReplayDevice implements HidDevice {
  private readonly served = new Map<string, number>();
  private readonly written = new Map<number, Uint8Array>();
  private interruptPos = 0;
  readonly setReports: Uint8Array[] = [];

  constructor(
    private readonly rec: Recording,
    private readonly signal?: AbortSignal,
  ) {}

  get info(): UsbDeviceInfo {
    return this.rec.device;
  }

  async reportDescriptor(): Promise<Uint8Array> {
    return bytes(this.rec.descriptor);
  }

  async getFeature(reportId: number, length: number): Promise<Uint8Array> {
    const w = this.written.get(reportId);
    if (w) return w.slice(0, length);
    const seq = this.rec.features[String(reportId)];
    if (!seq?.length) return new Uint8Array(0);
    const key = String(reportId);
    const i = this.served.get(key) ?? 0;
    this.served.set(key, Math.min(i + 1, seq.length - 1));
    return bytes(seq[i]).slice(0, length);
  }

  async setFeature(reportId: number, data: Uint8Array): Promise<number> {
    this.setReports.push(data.slice());
    this.written.set(reportId, data.slice());
    return data.length;
  }

  async interrupt(length: number, timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.interruptPos < this.rec.interrupts.length) return bytes(this.rec.interrupts[this.interruptPos++]).slice(0, length);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
    return undefined;
  }

  async getString(index: number): Promise<string> {
    return this.rec.strings[String(index)] ?? '';
  }

  async close(): Promise<void> {}
}

/** Passes calls to a device and writes everything that went by to `file` (our recording format). */
export class RecordingDevice implements HidDevice {
  private readonly rec: Recording;

  constructor(
    private readonly inner: HidDevice,
    private readonly file: string,
    /** Told once when the recording cannot be written (again after it could be, in between). */
    private readonly onSaveError: (message: string) => void = () => {},
  ) {
    this.rec = { format: RECORDING_FORMAT, version: 1, device: { ...inner.info }, strings: {}, descriptor: '', features: {}, interrupts: [], setReports: [] };
  }

  get info(): UsbDeviceInfo {
    return this.inner.info;
  }

  /** The last write error (the recording is a diagnostic aid: it never stops the driver). */
  saveError?: Error;

  private save(): void {
    try {
      writeFileSync(this.file, JSON.stringify(this.rec, null, 1) + '\n');
      this.saveError = undefined;
    } catch (e) {
      if (!this.saveError) this.onSaveError(`cannot write the recording ${this.file}: ${(e as Error).message}`);
      this.saveError = e as Error;
    }
  }

  async reportDescriptor(): Promise<Uint8Array> {
    const d = await this.inner.reportDescriptor();
    this.rec.descriptor = hex(d);
    this.save();
    return d;
  }

  async getFeature(reportId: number, length: number): Promise<Uint8Array> {
    const b = await this.inner.getFeature(reportId, length);
    if (b.length) {
      const seq = (this.rec.features[String(reportId)] ??= []);
      if (seq[seq.length - 1] !== hex(b)) seq.push(hex(b));
      this.save();
    }
    return b;
  }

  async setFeature(reportId: number, data: Uint8Array): Promise<number> {
    const n = await this.inner.setFeature(reportId, data);
    this.rec.setReports!.push(hex(data));
    this.save();
    return n;
  }

  async interrupt(length: number, timeoutMs: number): Promise<Uint8Array | undefined> {
    const b = await this.inner.interrupt(length, timeoutMs);
    if (b?.length) {
      this.rec.interrupts.push(hex(b));
      this.save();
    }
    return b;
  }

  async getString(index: number): Promise<string> {
    const s = await this.inner.getString(index);
    this.rec.strings[String(index)] = s;
    this.save();
    return s;
  }

  close(): Promise<void> {
    this.save();
    return this.inner.close();
  }
}

interface PathLine {
  path: string;
  type: 'Feature' | 'Input' | 'Output';
  reportId: number;
  offset: number;
  size: number;
  value: number;
}

/**
 * Older logs (`usbhid-ups -D`) print each object's path, place and physical value but not the
 * descriptor bytes. This rebuilds a descriptor that parses to the same objects (usages from
 * the path names, unit exponent chosen to carry the decimals) and the feature reports that
 * hold those values, so the log replays like a recording.
 */
export function objectsFromPathLines(lines: readonly string[], usage: (name: string) => number | undefined = defaultUsage): { descriptor: string; features: Record<string, string[]> } | undefined {
  const seen = new Set<string>();
  const objs: PathLine[] = [];
  for (const l of lines) {
    const m = /Path: ([^,]+), Type: (Feature|Input|Output), ReportID: 0x([0-9a-fA-F]+), Offset: (\d+), Size: (\d+), Value: (-?[0-9.]+(?:e[-+]?[0-9]+)?)/.exec(l);
    if (!m) continue;
    const key = `${m[1]}|${m[2]}|${m[3]}|${m[4]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    objs.push({ path: m[1], type: m[2] as PathLine['type'], reportId: Number.parseInt(m[3], 16), offset: Number(m[4]), size: Number(m[5]), value: Number(m[6]) });
  }
  if (!objs.length) return undefined;
  const typeCode = { Input: 0x80, Output: 0x90, Feature: 0xb0 } as const;
  const typeOrder = { Input: 0, Output: 1, Feature: 2 } as const;
  objs.sort((a, b) => a.reportId - b.reportId || typeOrder[a.type] - typeOrder[b.type] || a.offset - b.offset);
  const out: number[] = [];
  const item = (prefix: number, value: number, size: 1 | 2 | 4) => {
    out.push(prefix | (size === 4 ? 3 : size));
    for (let i = 0; i < size; i++) out.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
  };
  const nodeOf = (name: string): { usage?: number; index?: number } => {
    const idx = /^\[(\d+)\]$/.exec(name);
    if (idx) return { index: Number(idx[1]) };
    if (/^[0-9a-fA-F]{8}$/.test(name)) return { usage: Number.parseInt(name, 16) };
    const u = usage(name);
    if (u === undefined) throw new Error(`unknown usage "${name}" in a Path line`);
    return { usage: u };
  };
  const next = new Map<string, number>();
  const reports = new Map<number, Uint8Array>();
  // Items are written only when they change, and collections shared with the previous object stay open.
  const globals = new Map<number, number>();
  const global = (prefix: number, value: number, size: 1 | 2 | 4) => {
    if (globals.get(prefix) === value) return;
    globals.set(prefix, value);
    item(prefix, value, size);
  };
  let open: Array<{ usage: number; index?: number }> = [];
  for (const o of objs) {
    const nodes = o.path.split('.').map(nodeOf);
    const leaf = nodes.pop()!;
    const wanted: Array<{ usage: number; index?: number }> = [];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.index !== undefined) continue;
      wanted.push({ usage: n.usage!, index: nodes[i + 1]?.index });
    }
    let keep = 0;
    while (keep < open.length && keep < wanted.length && open[keep].usage === wanted[keep].usage && open[keep].index === wanted[keep].index) keep++;
    for (let i = open.length; i > keep; i--) out.push(0xc0);
    for (const c of wanted.slice(keep)) {
      item(0x08, c.usage, 4);
      item(0xa0, c.index !== undefined ? 0x80 | c.index : 0x00, 1);
    }
    open = wanted;
    let k = 0;
    while (k < 6 && Math.abs(o.value * 10 ** k - Math.round(o.value * 10 ** k)) > 1e-9) k++;
    const logical = Math.round(o.value * 10 ** k);
    const signed = logical < 0;
    const bits = Math.min(o.size, 32);
    const logMin = signed ? -(2 ** (bits - 1)) : 0;
    const logMax = signed ? 2 ** (bits - 1) - 1 : Math.min(2 ** bits - 1, 2 ** 31 - 1);
    global(0x84, o.reportId, 1);
    global(0x94, 1, 1);
    global(0x14, logMin >>> 0, 4);
    global(0x24, logMax >>> 0, 4);
    global(0x54, (16 - k) & 0x0f, 1);
    const key = `${o.reportId}/${o.type}`;
    const at = next.get(key) ?? 0;
    if (o.offset > at) {
      // Padding up to the logged offset: a field without a usage.
      global(0x74, o.offset - at, 1);
      item(typeCode[o.type], 0x03, 1);
    }
    global(0x74, o.size, 1);
    next.set(key, o.offset + o.size);
    if (leaf.usage !== undefined) item(0x08, leaf.usage, 4);
    item(typeCode[o.type], 0x02, 1);
    if (o.type === 'Feature') {
      const len = 1 + ((o.offset + o.size + 7) >> 3);
      let buf = reports.get(o.reportId) ?? new Uint8Array(len);
      if (buf.length < len) {
        const b = new Uint8Array(len);
        b.set(buf);
        buf = b;
      }
      buf[0] = o.reportId;
      const v = BigInt.asUintN(64, BigInt(logical));
      for (let w = 0, bit = o.offset + 8; w < o.size; w++, bit++) if ((v >> BigInt(w)) & 1n) buf[bit >> 3] |= 1 << (bit & 7);
      reports.set(o.reportId, buf);
    }
  }
  for (let i = 0; i < open.length; i++) out.push(0xc0);
  const features: Record<string, string[]> = {};
  for (const [id, b] of reports) features[String(id)] = [hex(b)];
  return { descriptor: hex(new Uint8Array(out)), features };
}

/** Short item codes by the names `lsusb -v` prints for them. */
const LSUSB_ITEMS: Record<string, number> = {
  'Usage Page': 0x04, 'Logical Minimum': 0x14, 'Logical Maximum': 0x24, 'Physical Minimum': 0x34, 'Physical Maximum': 0x44,
  'Unit Exponent': 0x54, Unit: 0x64, 'Report Size': 0x74, 'Report ID': 0x84, 'Report Count': 0x94, Push: 0xa4, Pop: 0xb4,
  Usage: 0x08, 'Usage Minimum': 0x18, 'Usage Maximum': 0x28, 'Designator Index': 0x38, 'Designator Minimum': 0x48,
  'Designator Maximum': 0x58, 'String Index': 0x78, 'String Minimum': 0x88, 'String Maximum': 0x98, Delimiter: 0xa8,
  Input: 0x80, Output: 0x90, Feature: 0xb0, Collection: 0xa0, 'End Collection': 0xc0,
};

/** The report descriptor from `lsusb -v`'s decoded items ("Item(Global): Usage Page, data= [ 0x84 ] 132"). */
export function descriptorFromLsusb(lines: readonly string[]): string | undefined {
  const out: number[] = [];
  for (const l of lines) {
    const m = /Item\((?:Global|Local|Main)\s*\): ([A-Za-z ]+?), data=\s*(?:none|\[([0-9a-fA-Fx ]*)\])/.exec(l);
    if (!m) continue;
    const code = LSUSB_ITEMS[m[1]];
    if (code === undefined) throw new Error(`unknown lsusb item "${m[1]}"`);
    const data = (m[2] ?? '').trim().split(/\s+/).filter(Boolean).map((b) => Number.parseInt(b, 16));
    const sizeCode = data.length === 4 ? 3 : data.length;
    out.push(code | sizeCode, ...data);
  }
  return out.length ? hex(new Uint8Array(out)) : undefined;
}
