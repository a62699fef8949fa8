/**
 * The device as the engine sees it: report descriptor, feature reports, interrupt reports,
 * string descriptors. One implementation speaks USB through the host's UsbHandle; replay
 * plays a recording; the recorder wraps either and writes what passed.
 */
import { isTransportError, type UsbDeviceInfo, type UsbHandle } from '@nut-ts/core/plugin-api';

export interface HidDevice {
  readonly info: UsbDeviceInfo;
  reportDescriptor(): Promise<Uint8Array>;
  /** GET_REPORT(feature): the bytes received (byte 0 = report id); empty when the device stalled. */
  getFeature(reportId: number, length: number): Promise<Uint8Array>;
  /** SET_REPORT(feature) with data[0] = report id; resolves with the bytes accepted. */
  setFeature(reportId: number, data: Uint8Array): Promise<number>;
  /** One interrupt-IN read; undefined when nothing came in time. */
  interrupt(length: number, timeoutMs: number): Promise<Uint8Array | undefined>;
  getString(index: number): Promise<string>;
  close(): Promise<void>;
}

const CONTROL_TIMEOUT_MS = 5000;
const HID_GET_REPORT = 0x01;
const HID_SET_REPORT = 0x09;
const FEATURE = 3;
const MAX_DESCRIPTOR = 0x1800;

export interface UsbHidOptions {
  interface: number;
  endpointIn: number;
  /** HID descriptor index (NUT uses 1 for 0463 devices with bcdDevice 0x0202). */
  descriptorIndex?: number;
}

/** NUT's libusb path: class requests on the interface, the report descriptor's length from the HID descriptor. */
export class UsbHidDevice implements HidDevice {
  constructor(
    private readonly usb: UsbHandle,
    private readonly opts: UsbHidOptions,
  ) {}

  get info(): UsbDeviceInfo {
    return this.usb.info;
  }

  private async hidDescriptorLength(): Promise<number> {
    const config = await this.usb.configDescriptor();
    // Method 2: the HID descriptor (type 0x21) inside the interface's part of the configuration.
    let inInterface = false;
    for (let i = 0; i + 1 < config.length && config[i] > 0; i += config[i]) {
      const type = config[i + 1];
      if (type === 0x04) inInterface = config[i + 2] === this.opts.interface;
      else if (type === 0x21 && inInterface && config[i] >= 9) return config[i + 7] | (config[i + 8] << 8);
    }
    // Method 1: GET_DESCRIPTOR(HID) on the interface.
    const hid = await this.usb.controlIn({ requestType: 0x81, request: 0x06, value: (0x21 << 8) | (this.opts.descriptorIndex ?? 0), index: this.opts.interface }, 9, { timeoutMs: CONTROL_TIMEOUT_MS });
    if (hid.length < 9) throw new Error(`HID descriptor too short (${hid.length} bytes)`);
    return hid[7] | (hid[8] << 8);
  }

  async reportDescriptor(): Promise<Uint8Array> {
    const len = Math.min(await this.hidDescriptorLength(), MAX_DESCRIPTOR);
    return this.usb.controlIn({ requestType: 0x81, request: 0x06, value: (0x22 << 8) | (this.opts.descriptorIndex ?? 0), index: this.opts.interface }, len, { timeoutMs: CONTROL_TIMEOUT_MS });
  }

  async getFeature(reportId: number, length: number): Promise<Uint8Array> {
    try {
      return await this.usb.controlIn({ requestType: 0xa1, request: HID_GET_REPORT, value: (FEATURE << 8) | reportId, index: this.opts.interface }, length, { timeoutMs: CONTROL_TIMEOUT_MS });
    } catch (e) {
      // A stall or a timeout is "no data" for NUT; the rest means the device is gone.
      if (isTransportError(e, 'ETIMEDOUT') || (isTransportError(e, 'EIO') && /pipe|stall/i.test(e.message))) return new Uint8Array(0);
      throw e;
    }
  }

  async setFeature(reportId: number, data: Uint8Array): Promise<number> {
    return this.usb.controlOut({ requestType: 0x21, request: HID_SET_REPORT, value: (FEATURE << 8) | reportId, index: this.opts.interface }, data, { timeoutMs: CONTROL_TIMEOUT_MS });
  }

  async interrupt(length: number, timeoutMs: number): Promise<Uint8Array | undefined> {
    try {
      return await this.usb.interruptIn(0x80 | this.opts.endpointIn, length, { timeoutMs });
    } catch (e) {
      if (isTransportError(e, 'ETIMEDOUT')) return undefined;
      throw e;
    }
  }

  async getString(index: number): Promise<string> {
    if (index <= 0) return '';
    try {
      return await this.usb.getString(index);
    } catch (e) {
      if (isTransportError(e, 'ELOST') || isTransportError(e, 'ECLOSED')) throw e;
      return '';
    }
  }

  close(): Promise<void> {
    return this.usb.close();
  }
}
