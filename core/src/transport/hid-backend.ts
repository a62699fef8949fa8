/**
 * HID devices in this process through node-hid 3.x (hidapi's hidraw back end on Linux):
 * NUT's matching (same options as USB; bus, device and busport come from the hidraw node's
 * USB parent in sysfs), feature/output reports, input reports as they arrive, loss of the
 * device (ELOST, then openHid() finds it again once it is back), and permission failures that
 * name the node and the udev rule that fixes it.
 *
 * `node-hid` is imported on first use. Its calls cannot be cancelled: a call that outlives its
 * timeout or signal is left to finish in the background and its result dropped.
 */
import { accessSync, constants, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  TransportError,
  type CallOptions,
  type HidHandle,
  type UsbDeviceInfo,
  type UsbMatch,
} from '../plugin-api/transports.js';
import { permissionMessage } from './usb-backend.js';
import { bus3, compileForOpen, hex4, noMatchError } from './usb-match.js';
import { CloseListeners } from './close-listeners.js';

type HidModule = typeof import('node-hid');
type HIDAsync = import('node-hid').HIDAsync;
type HidDevice = import('node-hid').Device;

const DEFAULT_TIMEOUT_MS = 5000;

let hidModule: Promise<HidModule> | undefined;

export function loadHid(): Promise<HidModule> {
  hidModule ??= import('node-hid').then((m) => ((m as { default?: HidModule }).default ?? m) as HidModule);
  return hidModule;
}

/** Follows a sysfs symlink by hand (relative targets), so it works under any file redirection. */
function followLink(path: string): string {
  try {
    return resolve(dirname(path), readlinkSync(path));
  } catch {
    return path;
  }
}

function readAttr(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), 'latin1').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/** The hidraw node's USB device directory in sysfs (the ancestor with busnum and devnum). */
export function usbParentDir(hidrawNode: string, sysfs = '/sys'): string | undefined {
  let dir = followLink(join(sysfs, 'class', 'hidraw', basename(hidrawNode)));
  for (let i = 0; i < 8 && dir.length > sysfs.length; i++) {
    if (readAttr(dir, 'busnum') !== undefined && readAttr(dir, 'devnum') !== undefined) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

export interface HidBackendOptions {
  sysfs?: string;
  timeoutMs?: number;
}

/** The in-process HID backend: DeviceAccess's openHid(). */
export class HidBackend {
  private readonly sysfs: string;
  private readonly timeoutMs: number;

  constructor(options: HidBackendOptions = {}) {
    this.sysfs = options.sysfs ?? '/sys';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private info(d: HidDevice): UsbDeviceInfo {
    const info: UsbDeviceInfo = {
      vendorId: d.vendorId,
      productId: d.productId,
      release: d.release,
      manufacturer: d.manufacturer ?? '',
      product: d.product ?? '',
      serial: d.serialNumber ?? '',
      bus: '',
      device: '',
      busport: '',
    };
    const dir = d.path ? usbParentDir(d.path, this.sysfs) : undefined;
    if (dir) {
      info.bus = bus3(Number(readAttr(dir, 'busnum')));
      info.device = bus3(Number(readAttr(dir, 'devnum')));
      info.busport = basename(dir);
    }
    return info;
  }

  /** HID interfaces (hidraw nodes) with the identity NUT's options match on. */
  async listHid(): Promise<Array<UsbDeviceInfo & { path: string; interface: number }>> {
    const hid = await loadHid();
    const devices = await hid.devicesAsync();
    return devices.filter((d) => d.path).map((d) => ({ ...this.info(d), path: d.path!, interface: d.interface }));
  }

  async openHid(match: UsbMatch): Promise<HidHandle> {
    const compiled = compileForOpen(match);
    const hid = await loadHid();
    const candidates = (await this.listHid()).sort((a, b) => a.interface - b.interface);
    const seen: string[] = [];
    let firstError: TransportError | undefined;
    for (const c of candidates) {
      if (match.interface !== undefined && c.interface !== match.interface) continue;
      const failed = compiled.mismatch(c);
      if (failed) {
        seen.push(`${hex4(c.vendorId)}:${hex4(c.productId)} at ${c.path} (${failed} differs)`);
        continue;
      }
      const { path, interface: _ifnum, ...info } = c;
      try {
        accessSync(path, constants.R_OK | constants.W_OK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        firstError ??=
          code === 'EACCES' || code === 'EPERM'
            ? new TransportError('EACCES', permissionMessage(path, info, 'hidraw'))
            : new TransportError('ENOENT', `cannot open ${path}: ${(e as Error).message}`);
        continue;
      }
      try {
        const dev = await hid.HIDAsync.open(path);
        return new HidDeviceHandle(dev, path, info, this.sysfs, this.timeoutMs);
      } catch (e) {
        firstError ??= new TransportError(existsSync(path) ? 'EIO' : 'ENOENT', `cannot open ${path}: ${(e as Error).message}`);
      }
    }
    throw firstError ?? noMatchError('HID', compiled, seen);
  }
}

/** An open hidraw node. */
export class HidDeviceHandle implements HidHandle {
  private closed: TransportError | undefined;
  private readonly closeListeners = new CloseListeners();
  private readonly inputListeners = new Set<(report: Uint8Array) => void>();
  private readonly aborts = new Set<(e: TransportError) => void>();
  private reading = false;

  constructor(
    private readonly dev: HIDAsync,
    readonly path: string,
    readonly info: UsbDeviceInfo,
    private readonly sysfs: string,
    private readonly timeoutMs: number,
  ) {
    dev.on('error', (e: unknown) => this.inputFailed(e));
  }

  /**
   * The input reader stopped on an error. A device that went away fails its reads before
   * udev removes its node, so look again for a while: node gone → ELOST; node still there
   * → a passing error, read on.
   */
  private inputFailed(e: unknown, tries = 10): void {
    if (this.closed) return;
    if (!existsSync(this.path)) {
      this.failed(e, 'input report');
      return;
    }
    if (tries > 0) {
      setTimeout(() => this.inputFailed(e, tries - 1), 100);
      return;
    }
    if (this.reading) {
      this.dev.pause();
      this.dev.resume();
    }
  }

  private check(): void {
    if (this.closed) throw new TransportError(this.closed.code, this.closed.message);
  }

  /** An error from node-hid: the device went away (its node is gone), or plain EIO. */
  private failed(e: unknown, what: string): TransportError {
    if (this.closed) return this.closed;
    if (!existsSync(this.path)) {
      const lost = new TransportError('ELOST', `${this.path}: the device was unplugged`);
      this.finish(lost);
      void this.dev.close().catch(() => undefined);
      return lost;
    }
    return new TransportError('EIO', `${what} on ${this.path}: ${e instanceof Error ? e.message : String(e)}`);
  }

  private finish(error: TransportError | undefined): void {
    this.closed = error ?? new TransportError('ECLOSED', `${this.path} is closed`);
    for (const a of [...this.aborts]) a(this.closed);
    this.aborts.clear();
    this.closeListeners.notify(error);
    this.inputListeners.clear();
  }

  /** Runs one node-hid call with a timeout and the call's signal. */
  private call<T>(what: string, options: CallOptions | undefined, run: () => Promise<T>): Promise<T> {
    this.check();
    const timeout = options?.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolvePromise, reject) => {
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        options?.signal?.removeEventListener('abort', onAbort);
        this.aborts.delete(abort);
        f();
      };
      const abort = (e: TransportError) => finish(() => reject(e));
      const onAbort = () => abort(new TransportError('ECLOSED', `${what} on ${this.path}: aborted`));
      const timer = setTimeout(() => abort(new TransportError('ETIMEDOUT', `${what} on ${this.path}: nothing within ${timeout} ms`)), timeout);
      if (options?.signal?.aborted) return onAbort();
      options?.signal?.addEventListener('abort', onAbort, { once: true });
      this.aborts.add(abort);
      run().then(
        (v) => finish(() => resolvePromise(v)),
        (e: unknown) => {
          const err = this.failed(e, what);
          finish(() => reject(err));
        },
      );
    });
  }

  async reportDescriptor(): Promise<Uint8Array> {
    this.check();
    const file = join(this.sysfs, 'class', 'hidraw', basename(this.path), 'device', 'report_descriptor');
    try {
      return new Uint8Array(readFileSync(file));
    } catch (e) {
      throw this.failed(e, 'report descriptor');
    }
  }

  async getFeature(reportId: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    const buf = await this.call('get feature report', options, () => this.dev.getFeatureReport(reportId, length));
    return new Uint8Array(buf);
  }

  async setFeature(data: Uint8Array, options?: CallOptions): Promise<number> {
    return this.call('set feature report', options, () => this.dev.sendFeatureReport(Buffer.from(data)));
  }

  async write(data: Uint8Array, options?: CallOptions): Promise<number> {
    return this.call('output report', options, () => this.dev.write(Buffer.from(data)));
  }

  onInput(listener: (report: Uint8Array) => void): () => void {
    if (this.closed) return () => undefined;
    this.inputListeners.add(listener);
    if (!this.reading) {
      this.reading = true;
      this.dev.on('data', (data: Buffer) => {
        const report = new Uint8Array(data);
        for (const l of [...this.inputListeners]) l(report);
      });
    }
    return () => {
      this.inputListeners.delete(listener);
      if (!this.inputListeners.size && this.reading) {
        this.reading = false;
        this.dev.removeAllListeners('data');
      }
    };
  }

  onClose(listener: (error?: TransportError) => void): () => void {
    return this.closeListeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.finish(undefined);
    this.dev.removeAllListeners('data');
    await this.dev.close().catch(() => undefined);
  }
}

export default HidBackend;
