/**
 * USB scan: the host's device list, each device named with the driver whose plugin manifest
 * declares its vendor/product id (`match.usb`). As NUT 2.8.0, only exact id pairs are listed;
 * a manifest entry with a vendor id alone matches when no exact pair does.
 */
import type { UsbDeviceInfo } from '../plugin-api/transports.js';
import type { PluginInfo } from '../plugins/registry.js';
import type { ScanDevice } from './device.js';

export interface UsbMatchRow {
  driver: string;
  vendorId: number;
  productId?: number;
}

export function usbMatchRows(plugins: readonly PluginInfo[]): UsbMatchRow[] {
  const rows: UsbMatchRow[] = [];
  for (const p of plugins) {
    for (const m of p.manifest.match?.usb ?? []) {
      rows.push({
        driver: p.driver,
        vendorId: parseInt(m.vendorId, 16),
        productId: m.productId === undefined ? undefined : parseInt(m.productId, 16),
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
    const row =
      rows.find((r) => r.vendorId === d.vendorId && r.productId === d.productId) ??
      rows.find((r) => r.vendorId === d.vendorId && r.productId === undefined);
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
    found.push({ type: 'USB', driver: row.driver, port: 'auto', options });
  }
  return found;
}
