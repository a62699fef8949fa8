/**
 * nutdrv_qx's serial-over-USB bridges (drivers/nutdrv_qx.c, NUT 2.8.0): how each chip carries
 * one command and its reply. Each returns the reply bytes as latin1 text, '' when nothing came
 * before the timeout, or null on a transfer error (NUT's negative return).
 */
import { isTransportError, type UsbHandle } from '@nut-ts/core/plugin-api';
import { ablerex, armac, fuji, phoenixtec } from './packet-bridges.js';
import { fabula, hunnox, krauler, snr, type StringBridgeState } from './string-bridges.js';

export type BridgeCommand = (usb: UsbHandle, cmd: string) => Promise<string | null>;

/** SET_REPORT-style class request to the interface (USB_ENDPOINT_OUT|USB_TYPE_CLASS|USB_RECIP_INTERFACE). */
const CLASS_OUT = 0x21;
const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const bytes = (s: string) => Buffer.from(s, 'latin1');

/** An 8-byte chunk of `cmd` from `at`, zero padded (NUT writes from a zeroed buffer). */
function chunk(cmd: string, at: number): Uint8Array {
  const out = Buffer.alloc(8);
  bytes(cmd.slice(at, at + 8)).copy(out);
  return out;
}

/** One interrupt read; null on error, empty on timeout. */
async function interrupt(usb: UsbHandle, length: number, timeoutMs = 1000): Promise<Uint8Array | null> {
  try {
    return await usb.interruptIn(0x81, length, { timeoutMs });
  } catch (e) {
    if (isTransportError(e, 'ETIMEDOUT')) return new Uint8Array(0);
    return null;
  }
}

async function controlChunks(usb: UsbHandle, cmd: string, value: number, timeoutMs: number): Promise<boolean> {
  for (let i = 0; i < cmd.length; i += 8) {
    try {
      const n = await usb.controlOut({ requestType: CLASS_OUT, request: 0x09, value, index: 0 }, chunk(cmd, i), { timeoutMs });
      if (n <= 0) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Reads 8-byte interrupt chunks until a CR arrived (cypress, phoenix); any failed read, a timeout included, fails the command. */
async function readUntilCr(usb: UsbHandle): Promise<string | null> {
  let buf = '';
  while (buf.length <= 512 - 8 && !buf.includes('\r')) {
    const got = await interrupt(usb, 8);
    if (got === null || got.length === 0) return null;
    buf += latin1(got);
  }
  return buf;
}

export const cypress: BridgeCommand = async (usb, cmd) => {
  if (!(await controlChunks(usb, cmd, 0x200, 5000))) return null;
  return readUntilCr(usb);
};

export const phoenix: BridgeCommand = async (usb, cmd) => {
  // Drain what the converter still holds from earlier exchanges.
  for (let i = 0; i < 8; i++) {
    const got = await interrupt(usb, 8);
    if (got === null || got.length === 0) break;
  }
  if (!(await controlChunks(usb, cmd, 0x200, 1000))) return null;
  return readUntilCr(usb);
};

export const ippon: BridgeCommand = async (usb, cmd) => {
  if (!(await controlChunks(usb, cmd, 0x2, 1000))) return null;
  const got = await interrupt(usb, 64);
  if (got === null || got.length === 0) return null;
  const text = latin1(got);
  const cr = text.indexOf('\r');
  let reply = cr >= 0 ? text.slice(0, cr + 1) : text.split('\0')[0]!;
  if (reply.length && !reply.includes('\r')) reply += '\r';
  return reply;
};

export const sgs: BridgeCommand = async (usb, cmd) => {
  for (let i = 0; i < cmd.length; ) {
    const n = Math.min(7, cmd.length - i);
    const out = Buffer.alloc(8);
    out[0] = n;
    bytes(cmd.slice(i, i + n)).copy(out, 1);
    try {
      if ((await usb.controlOut({ requestType: CLASS_OUT, request: 0x09, value: 0x200, index: 0 }, out, { timeoutMs: 5000 })) <= 0) return null;
    } catch {
      return null;
    }
    i += n;
  }
  let buf = '';
  while (buf.length <= 512 - 8) {
    let got: Uint8Array;
    try {
      got = await usb.interruptIn(0x81, 8, { timeoutMs: 1000 });
    } catch (e) {
      if (isTransportError(e, 'ETIMEDOUT')) break;
      return null;
    }
    if (got.length === 0) return null;
    const n = Math.min(got[0]!, 7);
    if (n > 0) buf += latin1(got.subarray(1, 1 + n));
  }
  if (buf.length && !buf.includes('\r')) buf += '\r';
  return buf;
};

/** Bridges this build carries, by NUT's subdriver name (made per link: some keep state). */
export function makeBridge(name: string, state: StringBridgeState): BridgeCommand | undefined {
  switch (name) {
    case 'cypress':
      return cypress;
    case 'phoenix':
      return phoenix;
    case 'ippon':
      return ippon;
    case 'sgs':
      return sgs;
    case 'krauler':
      return krauler(state);
    case 'fabula':
      return fabula();
    case 'hunnox':
      return hunnox(state);
    case 'snr':
      return snr(state);
    case 'fuji':
      return fuji;
    case 'phoenixtec':
      return phoenixtec;
    case 'ablerex':
      return ablerex();
    case 'armac':
      return armac;
    default:
      return undefined;
  }
}

/** NUT's subdriver names, in its usbsubdriver[] order. */
export const BRIDGE_NAMES = ['cypress', 'phoenixtec', 'phoenix', 'ippon', 'krauler', 'fabula', 'hunnox', 'fuji', 'sgs', 'snr', 'ablerex', 'armac'];
