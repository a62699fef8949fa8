/**
 * USB scan: the host's device list, each device named with the driver whose plugin manifest
 * declares its vendor/product id (`match.usb`) or whose HID tables claim it (`claim.ids`). As NUT 2.8.0, only exact id pairs are listed;
 * a manifest entry with a vendor id alone matches when no exact pair does.
 */
import { readFileSync } from 'node:fs';
import type { UsbDeviceInfo } from '../plugin-api/transports.js';
import type { UsbMatch } from '../plugins/manifest.js';
import type { PluginInfo } from '../plugins/registry.js';
import type { ScanDevice } from './device.js';

export interface UsbMatchRow {
  driver: string;
  vendorId: number;
  productId?: number;
  /** Manifest v2: regular expressions the strings must match, and the subdriver the row selects. */
  manufacturer?: RegExp;
  product?: RegExp;
  subdriver?: string;
}

/** A HID mapping table's claim (usbhid-ups tables): the id pairs its subdriver takes. */
interface HidTableFile {
  subdriver?: string;
  claim?: { ids?: Array<{ vendorId: string; productId?: string }> };
}

/** The id pairs a plugin's HID tables claim, each with the table's subdriver (read as JSON, no code). */
function tableClaims(p: PluginInfo): UsbMatch[] {
  return p.tables.flatMap((file) => {
    let t: HidTableFile;
    try {
      t = JSON.parse(readFileSync(file, 'utf8')) as HidTableFile;
    } catch {
      return [];
    }
    return (t.claim?.ids ?? []).map((id) => ({ vendorId: id.vendorId, productId: id.productId, subdriver: t.subdriver }));
  });
}

function regex(text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text, 'i');
  } catch {
    return undefined;
  }
}

export function usbMatchRows(plugins: readonly PluginInfo[]): UsbMatchRow[] {
  const rows: UsbMatchRow[] = [];
  for (const p of plugins) {
    const entries: UsbMatch[] = [...(p.match.usb ?? []), ...tableClaims(p)];
    for (const m of entries) {
      rows.push({
        driver: p.manifest.extends ?? p.driver,
        vendorId: parseInt(m.vendorId, 16),
        productId: m.productId === undefined ? undefined : parseInt(m.productId, 16),
        manufacturer: regex(m.manufacturer),
        product: regex(m.product),
        subdriver: m.subdriver,
      });
    }
  }
  return rows;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

export function usbDevices(list: readonly UsbDeviceInfo[], rows: readonly UsbMatchRow[]): ScanDevice[] {
  const found: ScanDevice[] = [];
  for (const d of list) {
    const strings = (r: UsbMatchRow): boolean => (!r.manufacturer || r.manufacturer.test(d.manufacturer)) && (!r.product || r.product.test(d.product));
    const row =
      rows.find((r) => r.vendorId === d.vendorId && r.productId === d.productId && strings(r)) ??
      rows.find((r) => r.vendorId === d.vendorId && r.productId === undefined && strings(r));
    if (!row) continue;
    const options: ScanDevice['options'] = [
      ['vendorid', hex4(d.vendorId)],
      ['productid', hex4(d.productId)],
    ];
    for (const [k, v] of [
      ['product', d.product],
      ['serial', d.serial],
      ['vendor', d.manufacturer],
    ] as const) {
      const text = v.replace(/ +$/, '');
      if (text) options.push([k, text]);
    }
    options.push(['bus', d.bus]);
    found.push({ type: 'USB', driver: row.driver, port: 'auto', options, ...(row.subdriver ? { subdriver: row.subdriver } : {}) });
  }
  return found;
}
