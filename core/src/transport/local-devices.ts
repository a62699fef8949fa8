/**
 * DeviceAccess in this process: the serial backend plus the USB and HID backends
 * (./usb-backend.js, ./hid-backend.js) when they are built. A backend module exports, as its
 * default or as any named export, an object with the methods it serves (openUsb/listUsb,
 * openHid) or a class whose instances have them (constructed without arguments).
 * Until a backend exists, its calls fail with ENOENT and listUsb() lists nothing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  TransportError,
  type DeviceAccess,
  type HidHandle,
  type SerialHandle,
  type SerialOptions,
  type UsbDeviceInfo,
  type UsbHandle,
  type UsbMatch,
} from '../plugin-api/transports.js';
import { SerialBackend } from './serial-backend.js';
import { compileForOpen } from './usb-match.js';

type Method = 'openUsb' | 'openHid' | 'listUsb';
type Backend = Partial<Pick<DeviceAccess, Method>>;

function serves(value: unknown, methods: Method[]): value is Backend {
  return typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/** The backend object a module's exports stand for (see the file comment), if any. */
export function pickBackend(exports: Record<string, unknown>, methods: Method[]): Backend | undefined {
  const candidates = [exports.default, ...Object.entries(exports).filter(([k]) => k !== 'default').map(([, v]) => v)];
  for (const c of candidates) if (serves(c, methods)) return c;
  for (const c of candidates) {
    if (typeof c !== 'function') continue;
    const proto = (c as { prototype?: unknown }).prototype;
    if (serves(proto, methods)) return new (c as new () => Backend)();
  }
  return undefined;
}

async function loadBackend(file: string, methods: Method[]): Promise<Backend | undefined> {
  // Built: ./x.js beside this file; run from source (tests): ./x.ts.
  for (const name of [file, file.replace(/\.js$/, '.ts')]) {
    const url = new URL(name, import.meta.url);
    if (existsSync(fileURLToPath(url))) return pickBackend((await import(url.href)) as Record<string, unknown>, methods);
  }
  return undefined;
}

export interface LocalDevicesOptions {
  serial?: Pick<DeviceAccess, 'openSerial'>;
  /** Given: used instead of ./usb-backend.js / ./hid-backend.js (tests, embedding). */
  usb?: Backend;
  hid?: Backend;
  /** ups.conf `nolock`: serial ports open without the OS lock. */
  nolock?: boolean;
}

/** Every handle opened through it is remembered until it closes, so closeAll() can end them. */
export class LocalDevices implements DeviceAccess {
  private readonly serial: Pick<DeviceAccess, 'openSerial'>;
  private usb: Promise<Backend | undefined> | undefined;
  private hid: Promise<Backend | undefined> | undefined;
  private readonly open = new Set<{ close(): Promise<void> }>();

  constructor(private readonly options: LocalDevicesOptions = {}) {
    this.serial = options.serial ?? new SerialBackend();
  }

  private usbBackend(): Promise<Backend | undefined> {
    this.usb ??= this.options.usb ? Promise.resolve(this.options.usb) : loadBackend('./usb-backend.js', ['openUsb', 'listUsb']);
    return this.usb;
  }

  private hidBackend(): Promise<Backend | undefined> {
    this.hid ??= this.options.hid ? Promise.resolve(this.options.hid) : loadBackend('./hid-backend.js', ['openHid']);
    return this.hid;
  }

  private track<H extends { close(): Promise<void>; onClose(l: () => void): () => void }>(handle: H): H {
    this.open.add(handle);
    handle.onClose(() => this.open.delete(handle));
    return handle;
  }

  async openSerial(path?: string, options?: SerialOptions): Promise<SerialHandle> {
    const opts = this.options.nolock ? { ...options, lock: false } : options;
    return this.track(await this.serial.openSerial(path, opts));
  }

  async openUsb(match: UsbMatch): Promise<UsbHandle> {
    const b = await this.usbBackend();
    if (!b?.openUsb) throw new TransportError('ENOENT', 'no USB backend in this build');
    return this.track(await b.openUsb(match));
  }

  async openHid(match: UsbMatch): Promise<HidHandle> {
    const b = await this.hidBackend();
    if (!b?.openHid) throw new TransportError('ENOENT', 'no HID backend in this build');
    return this.track(await b.openHid(match));
  }

  /** options.match: only the devices that pass it (how a confined instance's list is narrowed). */
  async listUsb(options?: { match?: UsbMatch }): Promise<UsbDeviceInfo[]> {
    const b = await this.usbBackend();
    const all = b?.listUsb ? await b.listUsb() : [];
    if (!options?.match) return all;
    const compiled = compileForOpen(options.match);
    return all.filter((d) => compiled.test(d));
  }

  /** Closes every handle still open (the instance or the process is ending). */
  async closeAll(): Promise<void> {
    const handles = [...this.open];
    this.open.clear();
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
  }
}
