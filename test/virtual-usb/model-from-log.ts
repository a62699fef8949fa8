/**
 * Builds a device model from a NUT debug log (usbhid-ups -DDD or more), as the device dump
 * library's `.dev` files carry it: the report descriptor (`Report Descriptor: (N bytes) =>`
 * and its continuation lines), the raw feature reports (`Report[get]: (n bytes) => id …`),
 * the ids and strings (`- VendorID: 051d`, `- Manufacturer: …`) and, from the upsc lines of
 * the same file, what the string indexes the reports name must read.
 *
 * Usage: node --import tsx test/virtual-usb/model-from-log.ts <file.dev> [out.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { bytesToHex, hexToBytes, type DeviceModel } from './model.js';

export interface ParsedDump {
  model: DeviceModel;
  /** `var: value` lines of the recorded upsc dump. */
  upsc: Map<string, string>;
  /** What could not be taken from the log (said, not guessed silently). */
  notes: string[];
}

/** A log line without its comment mark, timestamp and debug-level tag. */
function logText(line: string): string {
  return line
    .replace(/^#/, '')
    .replace(/^\s*\d+\.\d+\s+/, '')
    .replace(/^\s*\[D\d\]\s?/, '')
    .replace(/^\s+/, '');
}

const HEX_RUN = /^([0-9a-fA-F]{2})(\s+[0-9a-fA-F]{2})*\s*$/;

/** Which NUT variable tells the text of a string-index usage. */
const STRING_USAGES: Record<string, string[]> = {
  iManufacturer: ['ups.mfr', 'device.mfr'],
  iProduct: [],
  iSerialNumber: ['ups.serial', 'device.serial'],
  iDeviceChemistry: ['battery.type'],
};

export function parseDump(text: string, source = ''): ParsedDump {
  const lines = text.split('\n');
  const upsc = new Map<string, string>();
  const features: Record<string, string> = {};
  const notes: string[] = [];
  const ids: Record<string, string> = {};
  let descriptor: number[] | undefined;
  let descriptorLength = 0;
  const paths: Array<{ name: string; type: string; id: number; offset: number; size: number }> = [];

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.startsWith('#')) {
      const m = /^([a-z][\w.]*): (.*)$/.exec(raw);
      if (m) upsc.set(m[1]!, m[2]!);
      continue;
    }
    const t = logText(raw);
    let m: RegExpExecArray | null;
    if ((m = /^Report Descriptor: \((\d+) bytes\) =>\s*(.*)$/.exec(t))) {
      descriptorLength = Number(m[1]);
      descriptor = Array.from(hexToBytes(m[2]!.trim()));
      while (descriptor.length < descriptorLength && i + 1 < lines.length) {
        const next = logText(lines[i + 1]!);
        if (!HEX_RUN.test(next)) break;
        descriptor.push(...hexToBytes(next.trim()));
        i++;
      }
    } else if ((m = /^Report\[get\]: \((\d+) bytes\) =>\s*(.*)$/.exec(t))) {
      const bytes = hexToBytes(m[2]!.trim());
      const id = String(bytes[0]);
      features[id] ??= bytesToHex(bytes); // the first read is the state the dump starts from
    } else if ((m = /^Path: ([^,]+), Type: (\w+), ReportID: 0x([0-9a-f]+), Offset: (\d+), Size: (\d+)/i.exec(t))) {
      paths.push({ name: m[1]!, type: m[2]!, id: parseInt(m[3]!, 16), offset: Number(m[4]), size: Number(m[5]) });
    } else if ((m = /^- (VendorID|ProductID|Manufacturer|Product|Serial Number|Bus|Device release number): (.*)$/.exec(t))) {
      ids[m[1]!] ??= m[2]!;
    }
  }
  if (!descriptor) throw new Error(`${source}: no "Report Descriptor: (N bytes) =>" hex dump in the log`);
  if (descriptor.length !== descriptorLength) {
    throw new Error(`${source}: report descriptor has ${descriptor.length} bytes, the log announced ${descriptorLength}`);
  }
  if (!Object.keys(features).length) throw new Error(`${source}: no "Report[get]" bytes in the log`);

  const vendorId = ids.VendorID ?? upsc.get('ups.vendorid');
  const productId = ids.ProductID ?? upsc.get('ups.productid');
  if (!vendorId || !productId) throw new Error(`${source}: vendor/product id not found`);
  const usb: DeviceModel['usb'] = { vendorId, productId };
  if (ids['Device release number']) usb.bcdDevice = ids['Device release number'];
  usb.manufacturer = ids.Manufacturer ?? upsc.get('ups.mfr') ?? '';
  usb.product = ids.Product ?? upsc.get('ups.model') ?? '';
  usb.serial = ids['Serial Number'] ?? upsc.get('ups.serial') ?? '';
  if (!ids.Manufacturer) notes.push('manufacturer string taken from ups.mfr (no "- Manufacturer:" line)');
  if (!ids.Product) notes.push('product string taken from ups.model (no "- Product:" line)');

  // String indexes the report tree names (iProduct etc.): the device descriptor uses the
  // same ones, and the strings behind them come from the dump where it says them.
  const strings: Record<string, string> = {};
  for (const p of paths) {
    const usage = p.name.split('.').pop()!;
    if (!(usage in STRING_USAGES) && usage !== 'iOEMInformation') continue;
    const report = features[String(p.id)];
    if (!report) continue;
    const index = readBits(hexToBytes(report), p.offset, p.size);
    if (!index) continue;
    if (usage === 'iManufacturer') usb.iManufacturer ??= index;
    if (usage === 'iProduct') usb.iProduct ??= index;
    if (usage === 'iSerialNumber') usb.iSerialNumber ??= index;
    const text =
      usage === 'iManufacturer'
        ? usb.manufacturer
        : usage === 'iProduct'
          ? usb.product
          : usage === 'iSerialNumber'
            ? usb.serial
            : STRING_USAGES[usage]?.map((v) => upsc.get(v)).find((v) => v !== undefined);
    if (text !== undefined && strings[String(index)] === undefined) strings[String(index)] = text;
  }
  for (const p of paths) {
    const usage = p.name.split('.').pop()!;
    const report = features[String(p.id)];
    if (usage !== 'iOEMInformation' || !report) continue;
    const index = readBits(hexToBytes(report), p.offset, p.size);
    if (index && strings[String(index)] === undefined) {
      notes.push(`string ${index} (iOEMInformation) is not in the dump; left out`);
    }
  }

  const model: DeviceModel = {
    name: basename(source).replace(/\.dev$/, ''),
    source: basename(source),
    usb,
    reportDescriptor: bytesToHex(descriptor),
    featureReports: features,
    strings,
  };
  return { model, upsc, notes };
}

/** Bits [offset, offset+size) of a report after its id byte, LSB first (as NUT reads them). */
export function readBits(report: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let b = 0; b < size && b < 32; b++) {
    const bit = offset + b;
    const byte = report[1 + (bit >> 3)] ?? 0;
    if (byte & (1 << (bit & 7))) v += 2 ** b;
  }
  return v;
}

export function modelFromLogFile(path: string): ParsedDump {
  return parseDump(readFileSync(path, 'latin1'), path);
}

if (process.argv[1] && /model-from-log\.[jt]s$/.test(process.argv[1])) {
  const [file, out] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: model-from-log <dump.dev> [out.json]\n');
    process.exit(2);
  }
  const { model, notes } = modelFromLogFile(file);
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
  const json = JSON.stringify(model, null, 2) + '\n';
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
}
