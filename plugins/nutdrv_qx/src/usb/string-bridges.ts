/**
 * Bridges that hide the answers in USB string descriptors (drivers/nutdrv_qx.c, NUT 2.8.0:
 * krauler_command, fabula_command, hunnox_command + hunnox_protocol, snr_command): each known
 * command is a string index; the reply's first byte is replaced by the expected lead character.
 */
import type { UsbHandle } from '@nut-ts/core/plugin-api';
import type { BridgeCommand } from './bridges.js';

/** Bridge state kept per link (langid_fix, hunnox's priming step). */
export interface StringBridgeState {
  /** ups.conf langid_fix (0x409 or 0x4095); undefined: read strings the simple way. */
  langidFix?: number;
  hunnoxStep: number;
}

const NO_ACK = /^UPS No Ack$/i;

/** usb_get_string with the langid: the raw descriptor turned into ASCII ('?' for wide chars); null on error, '' when its length byte disagrees. */
async function rawString(usb: UsbHandle, index: number, langid: number, length: number): Promise<string | null> {
  let raw: Uint8Array;
  try {
    raw = await usb.getStringRaw(index, langid, length, { timeoutMs: 1000 });
  } catch {
    return null;
  }
  if (raw.length === 0) return null;
  if (raw.length !== raw[0]) return '';
  let out = '';
  for (let si = 2; si < raw[0]!; si += 2) out += raw[si + 1] ? '?' : String.fromCharCode(raw[si]!);
  return out;
}

/** usb_get_string_simple (libusb's ASCII conversion); null on error. */
async function simpleString(usb: UsbHandle, index: number, length = 511): Promise<string | null> {
  try {
    const s = await usb.getString(index, undefined, { timeoutMs: 1000 });
    if (s.length === 0) return null;
    return [...s].map((c) => (c.charCodeAt(0) > 0x7f ? '?' : c)).join('').slice(0, length - 1);
  } catch {
    return null;
  }
}

const withCr = (s: string) => (s.length && !s.includes('\r') ? `${s}\r` : s);
const firstLine = (s: string) => s.split('\r')[0]!;

const KRAULER: Record<string, [number, string]> = {
  'Q1\r': [0x03, '('], 'F\r': [0x0d, '#'], 'I\r': [0x0c, '#'], 'T\r': [0x04, '\r'],
  'TL\r': [0x05, '\r'], 'Q\r': [0x07, '\r'], 'C\r': [0x0b, '\r'], 'CT\r': [0x0b, '\r'],
};

export function krauler(state: StringBridgeState): BridgeCommand {
  return async (usb, cmd) => {
    const known = KRAULER[cmd];
    if (!known) return cmd;
    const [index, prefix] = known;
    for (let retry = 0; retry < 10; retry++) {
      let text = state.langidFix !== undefined ? await rawString(usb, index, state.langidFix, 511) : await simpleString(usb, index);
      if (text === null) return null;
      if (state.langidFix !== undefined && text === '') continue;
      text = withCr(text);
      if (NO_ACK.test(firstLine(text))) continue;
      return prefix + text.slice(1);
    }
    return '';
  };
}

/** The string index fabula/hunnox use for a command; undefined: not a command they know. */
export function fabulaIndex(cmd: string): number | undefined {
  const fixed: Record<string, number> = { 'Q1\r': 0x03, 'F\r': 0x0d, 'I\r': 0x0c, 'Q\r': 0x07, 'C\r': 0x0a };
  if (fixed[cmd] !== undefined) return fixed[cmd];
  const m = /^S(\d*\.?\d+|\d+\.)(?:R(\d+))?\r$/.exec(cmd);
  if (!m) return undefined;
  const val1 = Number(m[1]);
  const val2 = m[2] === undefined ? -1 : Number(m[2]);
  const delay = val1 < 0.5 ? 0.5 : val1 > 10 ? 10 : val1;
  let index = delay < 1 ? 16 + Math.round((delay - 0.5) * 10) * 16 : Math.trunc(96 + (delay - 1) * 16);
  if (val2) index += 8;
  return index;
}

export function fabula(): BridgeCommand {
  return async (usb, cmd) => {
    const index = fabulaIndex(cmd);
    if (index === undefined) return cmd;
    const text = await simpleString(usb, index);
    if (text === null) return null;
    const reply = withCr(text);
    // "UPS No Ack" answers every supported command: an empty reply (a query fails, a command succeeds).
    return NO_ACK.test(firstLine(reply)) ? '' : reply;
  };
}

export function hunnox(state: StringBridgeState): BridgeCommand {
  const prime = async (usb: UsbHandle, askingFor: number) => {
    const langid = state.langidFix ?? 0x0409;
    const read = async (i: number, len: number) => {
      await usb.getStringRaw(i, langid, len, { timeoutMs: 1000 }).catch(() => undefined);
    };
    switch (state.hunnoxStep) {
      case 0:
        await read(0x00, 1026);
        await read(0x00, 1026);
        await read(0x01, 1026);
        await new Promise((r) => setTimeout(r, 10));
        break;
      case 1:
        if (askingFor !== 0x0d) await read(0x0d, 102);
        break;
      case 2:
        if (askingFor !== 0x03) await read(0x03, 102);
        break;
      case 3:
        if (askingFor !== 0x0c) await read(0x0c, 102);
        break;
      default:
        state.hunnoxStep = 0;
    }
    state.hunnoxStep++;
    if (state.hunnoxStep > 3) state.hunnoxStep = 1;
  };
  return async (usb, cmd) => {
    const index = fabulaIndex(cmd);
    if (index === undefined) return cmd;
    await prime(usb, index);
    let text: string | null;
    if (state.langidFix !== undefined) {
      text = await rawString(usb, index, state.langidFix, 102);
      if (text === '') return '';
    } else {
      text = await simpleString(usb, index, 102);
    }
    if (text === null) return null;
    return NO_ACK.test(firstLine(text)) ? '' : text;
  };
}

const SNR: Record<string, [number, string]> = { 'Q1\r': [0x03, '('], 'F\r': [0x0d, '#'], 'I\r': [0x0c, '#'] };

export function snr(state: StringBridgeState): BridgeCommand {
  return async (usb, cmd) => {
    // Wakes the converter up; without it the UPS answers zeros for a while.
    await usb.interruptIn(0x81, 102, { timeoutMs: 1000 }).catch(() => undefined);
    const known = SNR[cmd];
    if (!known) return cmd;
    const [index, prefix] = known;
    for (let retry = 0; retry < 10; retry++) {
      // NUT passes langid_fix as it is (-1 when unset).
      const text = await rawString(usb, index, state.langidFix ?? -1, 102);
      if (text === null) return null;
      if (text === '') continue;
      if (NO_ACK.test(firstLine(text))) continue;
      return prefix + text.slice(1);
    }
    return '';
  };
}
