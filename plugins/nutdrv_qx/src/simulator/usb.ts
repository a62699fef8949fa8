/**
 * The simulated unit behind a serial-over-USB bridge on nut-ts's virtual USB device (umockdev;
 * the harness in the repository's test/virtual-usb). Commands the driver writes are read back
 * from the device's OUT log, answered by the same Q1Server as on a pty, and queued as
 * interrupt-IN reports in the bridge's framing. Bridges whose answers travel in interrupt
 * reports are served: cypress, phoenix, ippon, sgs.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Q1Server } from './server.js';

interface VirtualUsbLike {
  readonly env: Record<string, string>;
  queueInterrupt(bytes: Uint8Array): Promise<void>;
  outLog(): Array<{ kind: string; hex: string }>;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  stop(): Promise<void>;
}

interface BridgeShape {
  vendorId: string;
  productId: string;
  manufacturer: string;
  product: string;
  packet: number;
  /** Command bytes carried by one OUT transfer. */
  unframe(bytes: Buffer): string;
  /** Interrupt reports for one reply. */
  frame(reply: Buffer): Buffer[];
}

const chunks = (b: Buffer, n: number) => Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, i * n + n));
const zeroTrimmed = (b: Buffer) => b.toString('latin1').replace(/\0+$/, '');

export const USB_BRIDGES: Record<string, BridgeShape> = {
  cypress: { vendorId: '0665', productId: '5161', manufacturer: 'INNO TECH', product: 'USB to Serial', packet: 8, unframe: zeroTrimmed, frame: (r) => chunks(r, 8) },
  phoenix: { vendorId: '06da', productId: '0601', manufacturer: 'Phoenixtec', product: 'USB UPS', packet: 8, unframe: zeroTrimmed, frame: (r) => chunks(r, 8) },
  ippon: { vendorId: '06da', productId: '0003', manufacturer: 'Mustek', product: 'Powermust', packet: 64, unframe: zeroTrimmed, frame: (r) => [Buffer.concat([r, Buffer.alloc(Math.max(0, 64 - r.length))])] },
  sgs: {
    vendorId: '0483', productId: '0035', manufacturer: 'TS Shara', product: 'UPS', packet: 8,
    unframe: (b) => b.subarray(1, 1 + Math.min(7, b[0] ?? 0)).toString('latin1'),
    frame: (r) => chunks(r, 7).map((c) => Buffer.concat([Buffer.from([c.length]), c, Buffer.alloc(7 - c.length)])),
  },
};

const HARNESS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'virtual-usb', 'harness.ts');

export interface UsbSimulation {
  env: Record<string, string>;
  vendorId: string;
  productId: string;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  stop(): Promise<void>;
}

export async function serveOnVirtualUsb(bridge: string, server: Q1Server, send: (hook: (data: Buffer) => void) => void): Promise<UsbSimulation> {
  const shape = USB_BRIDGES[bridge];
  if (!shape) throw new Error(`--usb ${bridge}: served bridges are ${Object.keys(USB_BRIDGES).join(', ')}`);
  if (!existsSync(HARNESS)) throw new Error(`--usb needs nut-ts's virtual USB device (${HARNESS}, from the repository) and umockdev`);
  const { startVirtualUsb } = (await import(HARNESS)) as { startVirtualUsb(model: unknown): Promise<VirtualUsbLike> };
  const dev = await startVirtualUsb({
    name: `nutdrv_qx ${bridge} bridge`,
    usb: { vendorId: shape.vendorId, productId: shape.productId, manufacturer: shape.manufacturer, product: shape.product },
    interfaces: [{ class: 'ff', endpoints: [{ address: '81', type: 'interrupt', maxPacketSize: shape.packet }] }],
  });
  // Replies leave through interrupt reports; the server's writes arrive here.
  send((data) => {
    for (const report of shape.frame(data)) void dev.queueInterrupt(new Uint8Array(report)).catch(() => {});
  });
  let seen = 0;
  let stopped = false;
  const poll = async () => {
    while (!stopped) {
      const log = dev.outLog();
      for (const e of log.slice(seen)) {
        if (e.kind === 'controlOut' || e.kind === 'setReport') server.input(Buffer.from(shape.unframe(Buffer.from(e.hex.replace(/ /g, ''), 'hex')), 'latin1'));
      }
      seen = log.length;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  void poll();
  return {
    env: dev.env,
    vendorId: shape.vendorId,
    productId: shape.productId,
    unplug: () => dev.unplug(),
    replug: () => dev.replug(),
    stop: async () => {
      stopped = true;
      await dev.stop();
    },
  };
}
