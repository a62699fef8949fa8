/**
 * USB devices in this process through node-usb 2.x (libusb): enumeration, NUT's matching,
 * interface claim, control/interrupt/bulk transfers, string descriptors, loss of the device.
 *
 * - `usb` is imported on first use, so loading this module costs nothing where no USB
 *   device is used (and it never loads in a plugin worker: the host's transport side runs it).
 * - Strings for matching come from sysfs where the kernel keeps them (no need to open every
 *   device on the bus, and no permission needed); elsewhere the device is opened and asked.
 * - A lost device (unplug, hotplug 'detach', a transfer ending in NO_DEVICE) closes the
 *   handle with ELOST; openUsb() finds it again once it is back (libusb follows hotplug on
 *   Linux, so a fresh enumeration sees it).
 * - A request the device stalls resolves with no data (controlIn: empty, controlOut: 0), as
 *   NUT treats EPIPE on a control transfer as "nothing".
 * - Permission failures name the node (/dev/bus/usb/BBB/DDD) and the udev rule that fixes it.
 */
import { opendirSync, readFileSync, statSync } from 'node:fs';
import {
  TransportError,
  type CallOptions,
  type TransportErrorCode,
  type UsbDeviceInfo,
  type UsbHandle,
  type UsbMatch,
  type UsbSetup,
} from '../plugin-api/transports.js';
import { bus3, busportOf, compileForOpen, hex4, noMatchError } from './usb-match.js';
import { CloseListeners } from './close-listeners.js';

type UsbModule = typeof import('usb');
type Device = import('usb').Device;
type Transfer = import('usb').Transfer;

const DEFAULT_TIMEOUT_MS = 5000;
const TRANSFER_TYPE = { control: 0, bulk: 2, interrupt: 3 } as const;

// libusb's error and transfer status numbers (stable ABI)
const LIBUSB_ERROR_ACCESS = -3;
const LIBUSB_ERROR_NO_DEVICE = -4;
const LIBUSB_ERROR_NOT_FOUND = -5;
const LIBUSB_ERROR_BUSY = -6;
const LIBUSB_ERROR_TIMEOUT = -7;
const LIBUSB_ERROR_PIPE = -9;
const LIBUSB_TRANSFER_TIMED_OUT = 2;
const LIBUSB_TRANSFER_CANCELLED = 3;
const LIBUSB_TRANSFER_STALL = 4;
const LIBUSB_TRANSFER_NO_DEVICE = 5;

let usbModule: Promise<UsbModule> | undefined;

/** node-usb, loaded once, on first use. */
export function loadUsb(): Promise<UsbModule> {
  usbModule ??= import('usb').then((m) => ((m as { default?: UsbModule }).default ?? m) as UsbModule);
  return usbModule;
}

/** Every device libusb sees; EIO when libusb could not start (no usbfs, no udev). */
async function deviceList(): Promise<Device[]> {
  const usb = await loadUsb();
  let list: unknown;
  try {
    list = usb.getDeviceList();
  } catch (e) {
    throw new TransportError('EIO', `libusb cannot list USB devices: ${errText(e)}`);
  }
  if (!Array.isArray(list)) throw new TransportError('EIO', 'libusb cannot list USB devices (it did not initialise)');
  return list as Device[];
}

export function usbNode(bus: string, device: string): string {
  return `/dev/bus/usb/${bus}/${device}`;
}

const RULES_FILES = ['/etc/udev/rules.d/62-nut-usbups.rules', '/lib/udev/rules.d/62-nut-usbups.rules'];

/** NUT's udev rule line for this device, and the file it is in, if any is installed. */
export function findUdevRule(vendorId: number, productId: number, files = RULES_FILES): { file: string; line: string } | undefined {
  const vid = new RegExp(`ATTRS?\\{idVendor\\}=="${hex4(vendorId)}"`, 'i');
  const pid = new RegExp(`ATTRS?\\{idProduct\\}=="${hex4(productId)}"`, 'i');
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const line = text.split('\n').find((l) => !l.trimStart().startsWith('#') && vid.test(l) && pid.test(l));
    if (line) return { file, line: line.trim() };
  }
  return undefined;
}

function nodeOwner(node: string): string {
  try {
    const st = statSync(node);
    return ` (owner uid ${st.uid}, group gid ${st.gid}, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
  } catch {
    return '';
  }
}

/**
 * What to tell a user whose host may not open `node`: NUT's packages give UPS devices to group
 * `nut` with udev rules shaped like
 * `ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", GROUP="nut"`.
 */
export function permissionMessage(node: string, info: Pick<UsbDeviceInfo, 'vendorId' | 'productId'>, kind: 'usb' | 'hidraw' = 'usb'): string {
  const id = `${hex4(info.vendorId)}:${hex4(info.productId)}`;
  const reload = 'udevadm control --reload-rules && udevadm trigger';
  const head = `cannot open ${node} (USB device ${id}): permission denied${nodeOwner(node)}.`;
  const found = kind === 'usb' ? findUdevRule(info.vendorId, info.productId) : undefined;
  if (found) {
    return (
      `${head} NUT's udev rule for it is installed (${found.file}: ${found.line}): ` +
      `run the host as a member of that group (usermod -a -G nut <user>), and if the rule was installed ` +
      `after the device was plugged in, apply it: ${reload} (or replug the device).`
    );
  }
  const rule =
    kind === 'usb'
      ? `SUBSYSTEM=="usb", ATTR{idVendor}=="${hex4(info.vendorId)}", ATTR{idProduct}=="${hex4(info.productId)}", MODE="664", GROUP="nut"`
      : `KERNEL=="hidraw*", SUBSYSTEM=="hidraw", ATTRS{idVendor}=="${hex4(info.vendorId)}", ATTRS{idProduct}=="${hex4(info.productId)}", MODE="664", GROUP="nut"`;
  return (
    `${head} Give it to group nut with a udev rule, as NUT's 62-nut-usbups.rules does for the devices it knows: ` +
    `put the line\n  ${rule}\ninto /etc/udev/rules.d/62-nut-usbups.rules, run ${reload}, ` +
    `and run the host as a member of group nut.`
  );
}

/** libusb error numbers and transfer statuses as TransportError codes. */
export function codeOfUsbError(e: unknown): TransportErrorCode {
  const errno = (e as { errno?: unknown })?.errno;
  const transferStatus = typeof errno === 'number' && errno > 0;
  switch (errno) {
    case LIBUSB_ERROR_ACCESS:
      return 'EACCES';
    case LIBUSB_ERROR_NO_DEVICE:
    case LIBUSB_TRANSFER_NO_DEVICE:
      return 'ELOST';
    case LIBUSB_ERROR_NOT_FOUND:
      return 'ENOENT';
    case LIBUSB_ERROR_BUSY:
      return 'EBUSY';
    case LIBUSB_ERROR_TIMEOUT:
    case LIBUSB_TRANSFER_TIMED_OUT:
      return 'ETIMEDOUT';
    default:
      return transferStatus && errno === LIBUSB_TRANSFER_CANCELLED ? 'ECLOSED' : 'EIO';
  }
}

function isStall(e: unknown): boolean {
  const errno = (e as { errno?: unknown })?.errno;
  return errno === LIBUSB_ERROR_PIPE || errno === LIBUSB_TRANSFER_STALL;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** UTF-16LE text of a string descriptor (bLength, bDescriptorType, then the characters). */
export function decodeStringDescriptor(raw: Uint8Array): string {
  const n = Math.min(raw[0] ?? 0, raw.length);
  if (n < 2 || raw[1] !== 3) return '';
  return Buffer.from(raw.buffer, raw.byteOffset + 2, (n - 2) & ~1).toString('utf16le');
}

function readSysfs(dir: string, attr: string): string | undefined {
  try {
    return readFileSync(`${dir}/${attr}`, 'latin1').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/** The parts of a device's identity NUT matches on, from libusb and sysfs. */
function baseInfo(dev: Device): UsbDeviceInfo {
  const d = dev.deviceDescriptor;
  let ports: number[] | undefined;
  try {
    ports = dev.portNumbers;
  } catch {
    ports = undefined;
  }
  return {
    vendorId: d.idVendor,
    productId: d.idProduct,
    release: d.bcdDevice,
    manufacturer: '',
    product: '',
    serial: '',
    bus: bus3(dev.busNumber),
    device: bus3(dev.deviceAddress),
    busport: busportOf(dev.busNumber, ports),
  };
}

/** The configuration as the raw descriptor bytes it was parsed from (HID descriptors included). */
export function rawConfigDescriptor(dev: Device): Uint8Array {
  const cfg = dev.configDescriptor;
  if (!cfg) return new Uint8Array(0);
  const parts: Buffer[] = [];
  const body: Buffer[] = [Buffer.from(cfg.extra ?? [])];
  for (const alts of cfg.interfaces) {
    for (const i of alts) {
      body.push(
        Buffer.from([9, 4, i.bInterfaceNumber, i.bAlternateSetting, i.endpoints.length, i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol, i.iInterface]),
        Buffer.from(i.extra ?? []),
      );
      for (const ep of i.endpoints) {
        body.push(
          Buffer.from([7, 5, ep.bEndpointAddress, ep.bmAttributes, ep.wMaxPacketSize & 0xff, ep.wMaxPacketSize >> 8, ep.bInterval]),
          Buffer.from(ep.extra ?? []),
        );
      }
    }
  }
  const rest = Buffer.concat(body);
  const total = 9 + rest.length;
  parts.push(Buffer.from([9, 2, total & 0xff, total >> 8, cfg.bNumInterfaces, cfg.bConfigurationValue, cfg.iConfiguration, cfg.bmAttributes, cfg.bMaxPower]), rest);
  return new Uint8Array(Buffer.concat(parts));
}

export interface UsbBackendOptions {
  /** Root of sysfs (tests may point it elsewhere); default /sys. */
  sysfs?: string;
  /** Default timeout for calls that give none (ms); default 5000 as NUT's control transfers. */
  timeoutMs?: number;
}

/** The in-process USB backend: DeviceAccess's openUsb() and listUsb(). */
export class UsbBackend {
  private readonly sysfs: string;
  private readonly timeoutMs: number;
  private readonly handles = new Set<UsbDeviceHandle>();
  private detachListener: ((dev: Device) => void) | undefined;

  constructor(options: UsbBackendOptions = {}) {
    this.sysfs = options.sysfs ?? '/sys';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async listUsb(): Promise<UsbDeviceInfo[]> {
    const out: UsbDeviceInfo[] = [];
    const names = this.sysfsNames();
    for (const dev of await deviceList()) out.push(await this.describe(dev, names));
    return out;
  }

  /** sysfs names of USB devices (`1-2.4`: the kernel's port path) by bus and address. */
  private sysfsNames(): Map<string, string> {
    const names = new Map<string, string>();
    const entries: string[] = [];
    try {
      // opendir/readdir, not scandir: libc's scandir cannot be interposed (umockdev, sandboxes)
      const d = opendirSync(`${this.sysfs}/bus/usb/devices`);
      for (let e = d.readSync(); e; e = d.readSync()) entries.push(e.name);
      d.closeSync();
    } catch {
      return names;
    }
    for (const name of entries) {
      if (name.includes(':')) continue; // interfaces
      const dir = `${this.sysfs}/bus/usb/devices/${name}`;
      const busnum = readSysfs(dir, 'busnum');
      const devnum = readSysfs(dir, 'devnum');
      if (busnum !== undefined && devnum !== undefined) names.set(`${Number(busnum)}/${Number(devnum)}`, name);
    }
    return names;
  }

  /** Identity plus strings: from sysfs when the kernel has them, else from the device. */
  private async describe(dev: Device, names = this.sysfsNames()): Promise<UsbDeviceInfo> {
    const info = baseInfo(dev);
    const name = names.get(`${dev.busNumber}/${dev.deviceAddress}`);
    // the kernel's name is the whole port path even where libusb does not know every hub
    if (name && /^\d+-[\d.]+$/.test(name)) info.busport = name;
    const dir = `${this.sysfs}/bus/usb/devices/${name ?? 'none'}`;
    if (name && readSysfs(dir, 'idVendor') !== undefined) {
      info.manufacturer = readSysfs(dir, 'manufacturer') ?? '';
      info.product = readSysfs(dir, 'product') ?? '';
      info.serial = readSysfs(dir, 'serial') ?? '';
      return info;
    }
    const d = dev.deviceDescriptor;
    try {
      dev.open(false);
    } catch {
      return info; // not ours to open: matched on ids, bus and port only
    }
    try {
      const str = (index: number) =>
        new Promise<string>((resolve) => {
          if (!index) return resolve('');
          dev.getStringDescriptor(index, (err, value) => resolve(err ? '' : (value ?? '')));
        });
      info.manufacturer = await str(d.iManufacturer);
      info.product = await str(d.iProduct);
      info.serial = await str(d.iSerialNumber);
    } finally {
      try {
        dev.close();
      } catch {
        // already gone
      }
    }
    return info;
  }

  async openUsb(match: UsbMatch): Promise<UsbHandle> {
    const compiled = compileForOpen(match);
    const usb = await loadUsb();
    const seen: string[] = [];
    let firstError: TransportError | undefined;
    const names = this.sysfsNames();
    for (const dev of await deviceList()) {
      const info = await this.describe(dev, names);
      const failed = compiled.mismatch(info);
      if (failed) {
        seen.push(`${hex4(info.vendorId)}:${hex4(info.productId)} at ${info.busport} (${failed} differs)`);
        continue;
      }
      try {
        return this.track(await UsbDeviceHandle.open(usb, dev, info, match.interface ?? 0, this.timeoutMs));
      } catch (e) {
        // NUT goes on to the next matching device; say why this one failed if none opens
        firstError ??= e instanceof TransportError ? e : new TransportError('EIO', errText(e));
      }
    }
    throw firstError ?? noMatchError('USB', compiled, seen);
  }

  /**
   * Calls `listener` for each USB device that appears (libusb hotplug; where the platform
   * has none, node-usb polls), so a lost instance can reopen at once instead of at its next
   * retry. Returns the unsubscribe function.
   */
  onDeviceAdded(listener: (info: UsbDeviceInfo) => void): () => void {
    let off = false;
    const onAttach = (dev: Device) => {
      if (!off) void this.describe(dev).then((info) => off || listener(info), () => undefined);
    };
    void loadUsb().then((usb) => off || usb.usb.on('attach', onAttach));
    return () => {
      off = true;
      void loadUsb().then((usb) => usb.usb.off('attach', onAttach));
    };
  }

  private track(h: UsbDeviceHandle): UsbDeviceHandle {
    this.handles.add(h);
    void this.watchHotplug();
    h.onClose(() => {
      this.handles.delete(h);
      void this.watchHotplug();
    });
    return h;
  }

  /** libusb's hotplug 'detach' tells an idle handle that its device is gone. */
  private async watchHotplug(): Promise<void> {
    const usb = await loadUsb();
    if (this.handles.size && !this.detachListener) {
      this.detachListener = (dev) => {
        for (const h of [...this.handles]) if (h._isDevice(dev)) h._lost('the device was unplugged');
      };
      usb.usb.on('detach', this.detachListener);
    } else if (!this.handles.size && this.detachListener) {
      usb.usb.off('detach', this.detachListener);
      this.detachListener = undefined;
    }
  }
}

/** An open device with its interface claimed. */
export class UsbDeviceHandle implements UsbHandle {
  private closed: TransportError | undefined;
  private readonly closeListeners = new CloseListeners();
  private readonly pending = new Set<{ transfer: Transfer; fail: (e: TransportError) => void }>();
  /** Transfers libusb still owns (a cancelled one too, until its callback): close waits for them. */
  private inflight = 0;
  private drained: Array<() => void> = [];
  private released = false;
  private langid: number | undefined;

  private constructor(
    private readonly usb: UsbModule,
    private readonly dev: Device,
    readonly info: UsbDeviceInfo,
    private readonly iface: number,
    private readonly timeoutMs: number,
  ) {}

  static async open(usb: UsbModule, dev: Device, info: UsbDeviceInfo, iface: number, timeoutMs: number): Promise<UsbDeviceHandle> {
    const node = usbNode(info.bus, info.device);
    try {
      dev.open();
    } catch (e) {
      const code = codeOfUsbError(e);
      if (code === 'EACCES') throw new TransportError('EACCES', permissionMessage(node, info));
      throw new TransportError(code === 'ELOST' ? 'ENOENT' : code, `cannot open ${node}: ${errText(e)}`);
    }
    try {
      const intf = dev.interface(iface);
      if (!intf) throw new TransportError('ENOENT', `${node} has no interface ${iface}`);
      // a kernel driver (usbhid) holds UPS interfaces: take it over, as NUT does
      try {
        if (intf.isKernelDriverActive()) intf.detachKernelDriver();
      } catch (e) {
        if (codeOfUsbError(e) === 'EACCES') throw new TransportError('EACCES', permissionMessage(node, info));
        // not supported on this platform: claim() says whether the interface is free
      }
      try {
        intf.claim();
      } catch (e) {
        const code = codeOfUsbError(e);
        throw new TransportError(code === 'EIO' ? 'EBUSY' : code, `cannot claim interface ${iface} of ${node}: ${errText(e)}`);
      }
    } catch (e) {
      try {
        dev.close();
      } catch {
        // nothing more to undo
      }
      throw e;
    }
    return new UsbDeviceHandle(usb, dev, info, iface, timeoutMs);
  }

  // `_` methods are the backend's own: the transport broker does not let plugins call them.
  _isDevice(dev: Device): boolean {
    return dev === this.dev || (dev.busNumber === this.dev.busNumber && dev.deviceAddress === this.dev.deviceAddress);
  }

  private node(): string {
    return usbNode(this.info.bus, this.info.device);
  }

  private check(): void {
    if (this.closed) throw new TransportError(this.closed.code, this.closed.message);
  }

  /** The device is gone: every call fails with ELOST from now on. */
  _lost(why: string): void {
    if (this.closed) return;
    this.finish(new TransportError('ELOST', `${this.node()}: ${why}`));
    void this.release(false);
  }

  /** Resolves once libusb has handed back every transfer (closing under one is not safe). */
  private settled(timeoutMs = 2000): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.drained.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Releases the interface (when the device is still there) and closes the device, once. */
  private async release(releaseInterface: boolean): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.settled();
    if (releaseInterface) {
      await new Promise<void>((resolve) => {
        try {
          this.dev.interface(this.iface).release(true, () => resolve());
        } catch {
          resolve();
        }
      });
    }
    try {
      this.dev.close();
    } catch {
      // already closed or gone
    }
  }

  private finish(error: TransportError | undefined): void {
    this.closed = error ?? new TransportError('ECLOSED', `${this.node()} is closed`);
    for (const p of [...this.pending]) {
      p.fail(this.closed);
      try {
        p.transfer.cancel();
      } catch {
        // finished meanwhile
      }
    }
    this.pending.clear();
    this.closeListeners.notify(error);
  }

  /** One transfer with its own timeout, cancelled by the call's signal or by close(). */
  private transfer(endpoint: number, type: number, buffer: Buffer, options: CallOptions | undefined, what: string): Promise<{ data: Buffer; actual: number }> {
    this.check();
    const timeout = options?.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      let entry: { transfer: Transfer; fail: (e: TransportError) => void } | undefined;
      const onAbort = () => {
        if (entry) this.pending.delete(entry);
        reject(new TransportError('ECLOSED', `${what} on ${this.node()}: aborted`));
        try {
          entry?.transfer.cancel();
        } catch {
          // already done
        }
      };
      let settled = false;
      const settle = () => {
        settled = true;
        options?.signal?.removeEventListener('abort', onAbort);
        if (entry) this.pending.delete(entry);
      };
      const transfer = new this.usb.Transfer(this.dev, endpoint, type, timeout, (err, buf, actual) => {
        if (--this.inflight === 0) for (const f of this.drained.splice(0)) f();
        if (settled) return;
        settle();
        if (!err) return resolve({ data: buf, actual });
        if (isStall(err)) return resolve({ data: buf, actual: -1 });
        const code = codeOfUsbError(err);
        if (code === 'ELOST') {
          const e = new TransportError('ELOST', `${what} on ${this.node()}: the device is gone`);
          reject(e);
          this._lost('the device is gone');
          return;
        }
        reject(new TransportError(code, `${what} on ${this.node()}: ${code === 'ETIMEDOUT' ? `nothing within ${timeout} ms` : errText(err)}`));
      });
      entry = {
        transfer,
        fail: (e) => {
          if (settled) return;
          settle();
          reject(e);
        },
      };
      if (options?.signal?.aborted) return onAbort();
      options?.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(entry);
      try {
        transfer.submit(buffer);
        this.inflight++;
      } catch (err) {
        settle();
        const code = codeOfUsbError(err);
        if (code === 'ELOST') {
          reject(new TransportError('ELOST', `${what} on ${this.node()}: the device is gone`));
          this._lost('the device is gone');
        } else {
          reject(new TransportError(code, `${what} on ${this.node()}: ${errText(err)}`));
        }
      }
    });
  }

  async configDescriptor(): Promise<Uint8Array> {
    this.check();
    return rawConfigDescriptor(this.dev);
  }

  async controlIn(setup: UsbSetup, length: number, options?: CallOptions): Promise<Uint8Array> {
    const buf = Buffer.alloc(8 + length);
    buf.writeUInt8(setup.requestType | 0x80, 0);
    buf.writeUInt8(setup.request, 1);
    buf.writeUInt16LE(setup.value, 2);
    buf.writeUInt16LE(setup.index, 4);
    buf.writeUInt16LE(length, 6);
    const { data, actual } = await this.transfer(0, TRANSFER_TYPE.control, buf, options, 'control IN');
    if (actual < 0) return new Uint8Array(0); // stalled
    return new Uint8Array(data.subarray(8, 8 + actual));
  }

  async controlOut(setup: UsbSetup, payload: Uint8Array, options?: CallOptions): Promise<number> {
    const buf = Buffer.alloc(8 + payload.length);
    buf.writeUInt8(setup.requestType & 0x7f, 0);
    buf.writeUInt8(setup.request, 1);
    buf.writeUInt16LE(setup.value, 2);
    buf.writeUInt16LE(setup.index, 4);
    buf.writeUInt16LE(payload.length, 6);
    buf.set(payload, 8);
    const { actual } = await this.transfer(0, TRANSFER_TYPE.control, buf, options, 'control OUT');
    return Math.max(actual, 0);
  }

  async getStringRaw(index: number, langid: number, length = 255, options?: CallOptions): Promise<Uint8Array> {
    return this.controlIn({ requestType: 0x80, request: 6, value: (3 << 8) | (index & 0xff), index: langid }, length, options);
  }

  async getString(index: number, langid?: number, options?: CallOptions): Promise<string> {
    if (!index) return '';
    if (langid === undefined) {
      if (this.langid === undefined) {
        const langs = await this.getStringRaw(0, 0, 255, options);
        this.langid = langs.length >= 4 ? langs[2]! | (langs[3]! << 8) : 0x0409;
      }
      langid = this.langid;
    }
    return decodeStringDescriptor(await this.getStringRaw(index, langid, 255, options));
  }

  async interruptIn(endpoint: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    const { data, actual } = await this.transfer(endpoint | 0x80, TRANSFER_TYPE.interrupt, Buffer.alloc(length), options, `interrupt IN 0x${(endpoint | 0x80).toString(16)}`);
    return new Uint8Array(data.subarray(0, Math.max(actual, 0)));
  }

  async interruptOut(endpoint: number, payload: Uint8Array, options?: CallOptions): Promise<number> {
    const { actual } = await this.transfer(endpoint & 0x7f, TRANSFER_TYPE.interrupt, Buffer.from(payload), options, `interrupt OUT 0x${(endpoint & 0x7f).toString(16)}`);
    return Math.max(actual, 0);
  }

  async bulkIn(endpoint: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    const { data, actual } = await this.transfer(endpoint | 0x80, TRANSFER_TYPE.bulk, Buffer.alloc(length), options, `bulk IN 0x${(endpoint | 0x80).toString(16)}`);
    return new Uint8Array(data.subarray(0, Math.max(actual, 0)));
  }

  async bulkOut(endpoint: number, payload: Uint8Array, options?: CallOptions): Promise<number> {
    const { actual } = await this.transfer(endpoint & 0x7f, TRANSFER_TYPE.bulk, Buffer.from(payload), options, `bulk OUT 0x${(endpoint & 0x7f).toString(16)}`);
    return Math.max(actual, 0);
  }

  onClose(listener: (error?: TransportError) => void): () => void {
    return this.closeListeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.finish(undefined);
    await this.release(true);
  }
}

export default UsbBackend;
