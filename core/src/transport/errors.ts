/**
 * OS and library errors turned into TransportError codes, with messages that name the device
 * node and, for a permission failure, what fixes it.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isTransportError, TransportError, type TransportErrorCode } from '../plugin-api/transports.js';

export type DeviceKind = 'serial' | 'usb' | 'hid';

/** errno names and the texts strerror() gives for them (libraries often pass only the text). */
const CODES: Array<[TransportErrorCode, RegExp]> = [
  ['ENOENT', /\b(ENOENT|ENODEV|ENXIO)\b|No such (file|device)/i],
  ['EACCES', /\b(EACCES|EPERM)\b|Permission denied|Operation not permitted|LIBUSB_ERROR_ACCESS/i],
  ['EBUSY', /\b(EBUSY|EAGAIN|EWOULDBLOCK)\b|Cannot lock port|Resource temporarily unavailable|Device or resource busy|LIBUSB_ERROR_BUSY/i],
  ['ETIMEDOUT', /\bETIMEDOUT\b|timed out|LIBUSB_ERROR_TIMEOUT/i],
  ['ELOST', /LIBUSB_ERROR_NO_DEVICE|\bdisconnected\b/i],
];

/** The code an OS or library error stands for (EIO when nothing more specific fits). */
export function codeOf(e: unknown): TransportErrorCode {
  if (isTransportError(e)) return e.code;
  const err = e as { code?: unknown; message?: unknown } | undefined;
  const text = `${typeof err?.code === 'string' ? err.code : ''} ${typeof err?.message === 'string' ? err.message : String(e)}`;
  for (const [code, re] of CODES) if (re.test(text)) return code;
  return 'EIO';
}

function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // serialport prefixes its binding errors with "Error: " or "Error ".
  return m.replace(/^Error:?\s+/, '');
}

/** Name of group `gid` from /etc/group, if it is listed there. */
function groupName(gid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id !== undefined && Number(id) === gid) return name;
    }
  } catch {
    // no /etc/group: say nothing about the group
  }
  return undefined;
}

/** "/dev/ttyS0" or "/dev/serial/by-id/x (/dev/ttyUSB0)" when the name is a link. */
export function describeNode(path: string): string {
  try {
    const real = realpathSync(path);
    return real === path ? path : `${path} (${real})`;
  } catch {
    return path;
  }
}

/** What to do about EACCES on a device node: serial ports belong to a group (dialout). */
export function permissionHint(path: string, kind: DeviceKind): string {
  let group: string | undefined;
  try {
    group = groupName(statSync(path).gid);
  } catch {
    group = undefined;
  }
  if (kind === 'serial') {
    const g = group && group !== 'root' ? group : 'dialout';
    return (
      `the host's user cannot open it: add that user to the group owning the port ` +
      `(usermod -a -G ${g} nut, then restart the host), or set user= in ups.conf to a user that can`
    );
  }
  return (
    `the host's user cannot open it: install the udev rules NUT ships (62-nut-usbups.rules, ` +
    `then udevadm trigger) so the device is given to group ${group && group !== 'root' ? group : 'nut'}`
  );
}

/** A TransportError for a failed open/call on `path`, with its reason spelled out. */
export function toTransportError(e: unknown, path: string, kind: DeviceKind, what = 'open'): TransportError {
  if (isTransportError(e)) return e;
  const code = codeOf(e);
  const node = describeNode(path);
  switch (code) {
    case 'ENOENT':
      return new TransportError(code, `${what} ${node}: no such device`);
    case 'EACCES':
      return new TransportError(code, `${what} ${node}: permission denied; ${permissionHint(path, kind)}`);
    case 'EBUSY':
      return new TransportError(code, `${node} is locked by another process`);
    default:
      return new TransportError(code, `${what} ${node}: ${messageOf(e)}`);
  }
}

/** A TransportError as plain data (for a MessagePort or the IPC channel) and back. */
export interface WireError {
  code: TransportErrorCode;
  message: string;
}

export function toWire(e: unknown): WireError {
  // duck-typed: a backend may carry its own copy of the class (another module instance)
  if (isTransportError(e)) return { code: e.code, message: e.message };
  return { code: codeOf(e), message: e instanceof Error ? e.message : String(e) };
}

export function fromWire(w: WireError): TransportError {
  return new TransportError(w.code, w.message);
}
