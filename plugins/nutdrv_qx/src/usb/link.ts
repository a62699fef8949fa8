/**
 * The USB side of nutdrv_qx's initups: NUT's matching options, the bridge table
 * (usb-ids.json) or `subdriver=`, ups.vendorid/ups.productid, and a QxLink over the bridge.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverContext, UsbDeviceInfo, UsbHandle, UsbMatch } from '@nut-ts/core/plugin-api';
import type { QxLink } from '../engine.js';
import { BRIDGE_NAMES, makeBridge, type BridgeCommand } from './bridges.js';
import type { StringBridgeState } from './string-bridges.js';

interface UsbIdRow {
  vendorId: string;
  productId: string;
  vendor?: string;
  product?: string;
  bridge: string;
}

const idsPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'usb-ids.json');

export function usbIdTable(): UsbIdRow[] {
  return (JSON.parse(readFileSync(idsPath, 'utf8')) as { devices: UsbIdRow[] }).devices;
}

/** qx_is_usb_device_supported: the first row that fits the device names its bridge. */
export function bridgeFor(info: UsbDeviceInfo, rows: readonly UsbIdRow[]): string | undefined {
  const eq = (a: string | undefined, b: string) => a === undefined || a.toLowerCase() === b.toLowerCase();
  return rows.find(
    (r) =>
      parseInt(r.vendorId, 16) === info.vendorId &&
      parseInt(r.productId, 16) === info.productId &&
      (r.vendor === undefined || (info.manufacturer !== '' && eq(r.vendor, info.manufacturer))) &&
      (r.product === undefined || (info.product !== '' && eq(r.product, info.product))),
  )?.bridge;
}

/**
 * Commands over a bridge. When the device goes away (unplug, transport restart) the next
 * command opens it again with the same match narrowed to the same physical port, as NUT's
 * reopen matcher does; until then every command fails (and the data goes stale).
 */
export class UsbLink implements QxLink {
  private lost = false;
  private unsubscribe: () => void;

  constructor(
    public handle: UsbHandle,
    private readonly bridge: BridgeCommand,
    private readonly ctx: DriverContext,
    private readonly reopenMatch: UsbMatch = {},
  ) {
    this.unsubscribe = this.watch(handle);
  }

  private watch(handle: UsbHandle): () => void {
    return handle.onClose(() => {
      this.lost = true;
    });
  }

  private async reopen(): Promise<boolean> {
    try {
      const h = await this.ctx.openUsb(this.reopenMatch);
      this.unsubscribe();
      this.handle = h;
      this.unsubscribe = this.watch(h);
      this.lost = false;
      this.ctx.log.debug(1, 'USB device opened again');
      return true;
    } catch {
      return false;
    }
  }

  async command(cmd: string): Promise<{ data: string; length: number } | null> {
    if (this.lost && !(await this.reopen())) return null;
    const reply = await this.bridge(this.handle, cmd);
    this.ctx.log.debug(3, `send: ${cmd.split('\r')[0]}; read: ${reply === null ? '(error)' : JSON.stringify(reply.split('\r')[0])}`);
    if (reply === null) return null;
    return { data: reply, length: reply.length };
  }

  close(): Promise<void> {
    this.unsubscribe();
    return this.handle.close();
  }
}

/** langid_fix: hexadecimal after a two-character prefix ("0x409"), as NUT reads it. */
export function parseLangidFix(value: string | undefined, log: (m: string) => void): number | undefined {
  if (value === undefined) return undefined;
  const m = /^[0-9a-f]+/i.exec(value.slice(2));
  if (!m) {
    log('Error enabling language ID workaround');
    return undefined;
  }
  return parseInt(m[0], 16);
}

export async function openUsbLink(ctx: DriverContext): Promise<UsbLink> {
  const state: StringBridgeState = { langidFix: parseLangidFix(ctx.getval('langid_fix'), (m) => ctx.log.info(m)), hunnoxStep: 0 };
  const subdriver = ctx.getval('subdriver');
  let forced: BridgeCommand | undefined;
  if (subdriver !== undefined) {
    if (ctx.getval('vendorid') === undefined || ctx.getval('productid') === undefined) {
      throw new Error("When specifying a subdriver, 'vendorid' and 'productid' are mandatory.");
    }
    const name = BRIDGE_NAMES.find((n) => n === subdriver.toLowerCase());
    if (!name) throw new Error(`Subdriver '${subdriver}' not found!`);
    forced = makeBridge(name, state);
    if (!forced) throw new Error(`Subdriver '${name}' is not available in this nutdrv_qx yet`);
  }
  const rows = usbIdTable();
  const match: UsbMatch = {
    vendorid: ctx.getval('vendorid'),
    productid: ctx.getval('productid'),
    vendor: ctx.getval('vendor'),
    product: ctx.getval('product'),
    serial: ctx.getval('serial'),
    bus: ctx.getval('bus'),
    device: ctx.getval('device'),
    ...(forced ? {} : { ids: rows.map((r) => ({ vendorId: parseInt(r.vendorId, 16), productId: parseInt(r.productId, 16) })) }),
  };
  let handle: UsbHandle;
  try {
    handle = await ctx.openUsb(match);
  } catch (e) {
    throw new Error(
      "No supported devices found. Please check your device availability with 'lsusb'\n" +
        'and make sure you have an up-to-date version of NUT. If this does not help,\n' +
        "try running the driver with at least 'subdriver', 'vendorid' and 'productid'\n" +
        `options specified. Please refer to the man page for details about these options\n(man 8 nutdrv_qx). (${(e as Error).message})`,
    );
  }
  let bridge = forced;
  if (!bridge) {
    const name = bridgeFor(handle.info, rows);
    bridge = name ? makeBridge(name, state) : undefined;
    if (!bridge) {
      await handle.close();
      throw new Error(name ? `Subdriver '${name}' is not available in this nutdrv_qx yet` : 'No subdriver selected');
    }
  }
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  ctx.dstate.setinfo('ups.vendorid', hex(handle.info.vendorId));
  ctx.dstate.setinfo('ups.productid', hex(handle.info.productId));
  const { ids: _ids, ...exact } = match;
  return new UsbLink(handle, bridge, ctx, {
    ...exact,
    vendorid: hex(handle.info.vendorId),
    productid: hex(handle.info.productId),
    ...(handle.info.busport ? { busport: handle.info.busport.replace(/\./g, '\\.') } : {}),
  });
}
