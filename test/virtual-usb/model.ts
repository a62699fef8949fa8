/**
 * A virtual USB device, as test/virtual-usb/server.py serves it. Bytes are written as hex
 * strings (spaces allowed: "0c 64 00 00"), ids as 4-digit hex strings ("051d").
 *
 * A HID UPS needs `usb`, `reportDescriptor` and `featureReports`; a vendor device (the USB
 * serial bridges nutdrv_qx talks to) gives `interfaces` without `hid`, and answers through
 * `control` rules, `strings`/`rawStrings` and `reactions` that queue interrupt-IN data when
 * the host writes something.
 */
export interface DeviceModel {
  /** What the model is (shown in logs). */
  name?: string;
  /** Where the data comes from (fixture file, issue URL). */
  source?: string;
  usb: UsbIdentity;
  /** HID report descriptor (for the default single HID interface). */
  reportDescriptor?: string;
  /** Interfaces; default: one HID interface (class 3) with interrupt-IN endpoint 0x81. */
  interfaces?: InterfaceModel[];
  /** Feature reports by report id (decimal key); the bytes start with the id when ids are used. */
  featureReports?: Record<string, string>;
  /** Input reports answered to GET_REPORT(Input) by report id; default: the feature report. */
  inputReports?: Record<string, string>;
  /** Interrupt-IN reports queued at start (served one per interrupt transfer / hidraw read). */
  interrupt?: string[];
  /** String descriptors by index (text); the usb.manufacturer/product/serial fill theirs. */
  strings?: Record<string, string>;
  /** String descriptors given as raw bytes (length and type bytes included), by index. */
  rawStrings?: Record<string, string>;
  /** Answers to vendor/class IN control requests, checked before the built-in ones. */
  control?: ControlRule[];
  /** Interrupt reports to queue when the host writes something that starts with `prefix`. */
  reactions?: Reaction[];
  /** A SET_REPORT(Feature) replaces the stored feature report (default true). */
  echoSetReport?: boolean;
  /** Present a hidraw node too (default true for HID devices). */
  hidraw?: boolean;
  /** hidraw minor number (default 0 → /dev/hidraw0). */
  hidrawMinor?: number;
}

export interface UsbIdentity {
  vendorId: string;
  productId: string;
  /** bcdDevice, default "0100". */
  bcdDevice?: string;
  manufacturer?: string;
  product?: string;
  serial?: string;
  /** String descriptor indexes named by the device descriptor (default 1, 2, 3 when present). */
  iManufacturer?: number;
  iProduct?: number;
  iSerialNumber?: number;
  /** Bus number (default 1) and device address (default 2; a replug takes the next one). */
  bus?: number;
  devnum?: number;
  /** Port path below the root hub (default "1": sysfs name `1-1`, busport `1-1`). */
  port?: string;
  deviceClass?: string;
}

export interface InterfaceModel {
  number?: number;
  class?: string;
  subclass?: string;
  protocol?: string;
  hid?: { reportDescriptor: string };
  endpoints?: Array<{ address: string; type?: 'interrupt' | 'bulk'; maxPacketSize?: number; interval?: number }>;
}

export interface ControlRule {
  match: { requestType?: string; request?: string; value?: string; index?: string };
  /** Bytes answered (cut to the request's length). */
  reply: string;
}

export interface Reaction {
  when: { kind?: 'setReport' | 'controlOut' | 'interruptOut' | 'bulkOut' | 'outputReport'; prefix?: string };
  interrupt: string[];
}

/** One OUT transfer the device received, as the server logs it. */
export interface OutLogEntry {
  t: number;
  kind: 'setReport' | 'controlOut' | 'interruptOut' | 'bulkOut' | 'outputReport';
  hex: string;
  reportType?: number;
  reportId?: number;
  requestType?: number;
  request?: number;
  value?: number;
  index?: number;
  endpoint?: number;
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex bytes: ${hex}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function bytesToHex(bytes: Uint8Array | readonly number[]): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
