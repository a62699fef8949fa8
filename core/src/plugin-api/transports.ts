/**
 * Devices as a plugin sees them: async handles that the host opens for the instance.
 * The native modules behind them (serialport, usb 2.x, node-hid) never load in a plugin
 * worker; the host runs them in a supervised transport process and brokers every call.
 * A test or a user can put a simulator behind any handle without the plugin knowing.
 */

/** Why a transport call failed. A plugin usually turns any of these into datastale(). */
export type TransportErrorCode =
  /** No such device node, or no USB device matched. */
  | 'ENOENT'
  /** Permission denied; the message names the node and the udev rule that fixes it. */
  | 'EACCES'
  /** Another instance (or process) holds the port's lock; or the device is claimed. */
  | 'EBUSY'
  /** Nothing (or not enough) arrived before the call's timeout. */
  | 'ETIMEDOUT'
  /** The device went away (unplug, transport process restarted); open it again later. */
  | 'ELOST'
  /** The handle was closed, or the instance is stopping (its AbortSignal fired). */
  | 'ECLOSED'
  /** Anything else the device or the OS reported (errno text in the message). */
  | 'EIO';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export function isTransportError(e: unknown, code?: TransportErrorCode): e is TransportError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'TransportError' &&
    (code === undefined || (e as { code?: unknown }).code === code)
  );
}

/** Options every call that waits accepts. */
export interface CallOptions {
  /** Milliseconds before the call fails with ETIMEDOUT. */
  timeoutMs?: number;
  /** Ends the call with ECLOSED (the instance's ctx.signal is always honoured too). */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------- serial

export interface SerialOptions {
  /** Default 9600. */
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  stopBits?: 1 | 2;
  parity?: 'none' | 'even' | 'odd';
  /** Hardware flow control (RTS/CTS). */
  rtscts?: boolean;
  /** Software flow control (XON/XOFF). */
  xonxoff?: boolean;
  /** Line states set right after open (NUT's ser_set_dtr/ser_set_rts). */
  dtr?: boolean;
  rts?: boolean;
  /**
   * Take the port's lock (NUT's default; `nolock` in ups.conf turns it off). Two instances
   * of one host naming the same port fail with EBUSY either way.
   */
  lock?: boolean;
}

export interface SerialReadOptions extends CallOptions {
  /** Resolve once this byte (or any byte of this set) has arrived; it is included. */
  until?: number | readonly number[];
  /** Resolve once this many bytes have arrived. */
  maxBytes?: number;
  /**
   * With neither `until` nor `maxBytes`: resolve with whatever arrives once the line has
   * been quiet this long after the first byte. Default 50 ms.
   */
  idleMs?: number;
}

export interface SerialHandle {
  readonly path: string;
  write(data: Uint8Array | string, options?: CallOptions): Promise<void>;
  /**
   * Bytes that arrived (buffered since the last read included). Fails with ETIMEDOUT when
   * nothing at all arrived; on a timeout after some bytes, resolves with those.
   */
  read(options?: SerialReadOptions): Promise<Uint8Array>;
  /**
   * Sends a command and reads its answer as one step (NUT's ser_send then ser_get_*): the
   * read is waiting before the command goes out, so an answer that comes back at once is
   * never taken for unsolicited bytes, and it costs one trip to the transport process, not two.
   */
  query(command: Uint8Array | string, options?: SerialReadOptions): Promise<Uint8Array>;
  /** Drops buffered input (NUT's ser_flush_in / tcflush). */
  flushInput(): Promise<void>;
  setSignals(signals: { dtr?: boolean; rts?: boolean; brk?: boolean }): Promise<void>;
  getSignals(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean; ri: boolean }>;
  /**
   * Bytes nobody was reading for (APC alert characters): called as they arrive, while no
   * read() is pending. Once the handle has called read(), the bytes after each write are kept
   * for the next read (the answer may arrive before the read does) and reach the listeners
   * only if no read comes within half a second. Returns the unsubscribe function.
   */
  onData(listener: (data: Uint8Array) => void): () => void;
  /** The port went away (ELOST) or was closed. */
  onClose(listener: (error?: TransportError) => void): () => void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- USB

/**
 * NUT's USB matching options (usbhid-ups, nutdrv_qx): each a POSIX-style extended regex,
 * case-insensitive, that must match the whole value; an option left out matches anything.
 * `vendorid`/`productid` are compared with the 4-digit lower-case hex id.
 */
export interface UsbMatch {
  vendorid?: string;
  productid?: string;
  vendor?: string;
  product?: string;
  serial?: string;
  bus?: string;
  device?: string;
  /** Physical port path (`1-2.3`): tells identical units without serial numbers apart. */
  busport?: string;
  /**
   * The plugin's claim list (NUT's subdriver tables): when given, only devices whose ids are
   * listed are considered, before the regexes. `productId` omitted: any product of that vendor.
   */
  ids?: ReadonlyArray<{ vendorId: number; productId?: number }>;
  /** Interface to claim (default 0). */
  interface?: number;
}

export interface UsbDeviceInfo {
  vendorId: number;
  productId: number;
  /** bcdDevice (release number). */
  release: number;
  /** Strings read at enumeration; '' when the device has none or reading failed. */
  manufacturer: string;
  product: string;
  serial: string;
  /** Bus number as 3 digits (`001`), device address as 3 digits (`005`), as NUT prints them. */
  bus: string;
  device: string;
  /** Physical port path (`1-2.3`), stable across replugs into the same socket. */
  busport: string;
}

export interface UsbSetup {
  /** bmRequestType (direction bit 0x80 = device to host). */
  requestType: number;
  request: number;
  value: number;
  index: number;
}

export interface UsbHandle {
  readonly info: UsbDeviceInfo;
  /** Configuration descriptors as raw bytes (for HID: find the report descriptor length). */
  configDescriptor(): Promise<Uint8Array>;
  /** IN transfer: resolves with the bytes the device sent (at most `length`). */
  controlIn(setup: UsbSetup, length: number, options?: CallOptions): Promise<Uint8Array>;
  /** OUT transfer: resolves with the number of bytes accepted. */
  controlOut(setup: UsbSetup, data: Uint8Array, options?: CallOptions): Promise<number>;
  /** String descriptor by index (langid: first supported one when omitted). */
  getString(index: number, langid?: number, options?: CallOptions): Promise<string>;
  /** Raw string descriptor bytes (nutdrv_qx bridges that hide answers in strings). */
  getStringRaw(index: number, langid: number, length?: number, options?: CallOptions): Promise<Uint8Array>;
  /** One interrupt-IN transfer. ETIMEDOUT when nothing came. */
  interruptIn(endpoint: number, length: number, options?: CallOptions): Promise<Uint8Array>;
  interruptOut(endpoint: number, data: Uint8Array, options?: CallOptions): Promise<number>;
  bulkIn(endpoint: number, length: number, options?: CallOptions): Promise<Uint8Array>;
  bulkOut(endpoint: number, data: Uint8Array, options?: CallOptions): Promise<number>;
  /** The device went away (ELOST) or was closed. */
  onClose(listener: (error?: TransportError) => void): () => void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- HID (hidraw)

export interface HidHandle {
  readonly info: UsbDeviceInfo;
  reportDescriptor(): Promise<Uint8Array>;
  /** Feature report `reportId` (first byte of the result is the id when ids are used). */
  getFeature(reportId: number, length: number, options?: CallOptions): Promise<Uint8Array>;
  /** data[0] is the report id (0 when the descriptor has none). */
  setFeature(data: Uint8Array, options?: CallOptions): Promise<number>;
  /** Output report, data[0] the report id. */
  write(data: Uint8Array, options?: CallOptions): Promise<number>;
  /** Input reports as they arrive (interrupt endpoint), published by the host at once. */
  onInput(listener: (report: Uint8Array) => void): () => void;
  onClose(listener: (error?: TransportError) => void): () => void;
  close(): Promise<void>;
}

/** What the context offers for devices; every handle is closed when the instance stops. */
export interface DeviceAccess {
  /** Serial port (default: the section's `port`), locked unless options.lock === false. */
  openSerial(path?: string, options?: SerialOptions): Promise<SerialHandle>;
  /** First USB device that passes `match`, its interface claimed. */
  openUsb(match: UsbMatch): Promise<UsbHandle>;
  /** Same matching, through hidraw. */
  openHid(match: UsbMatch): Promise<HidHandle>;
  /** Every USB device the host sees (discovery, diagnostics). */
  listUsb(): Promise<UsbDeviceInfo[]>;
}
