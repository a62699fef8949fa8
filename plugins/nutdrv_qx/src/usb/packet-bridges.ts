/**
 * Bridges with their own packet framing (drivers/nutdrv_qx.c, NUT 2.8.0): fuji (interrupt-OUT
 * query packets), phoenixtec (vendor request 0x0d), ablerex (47-byte class reports 0x305) and
 * armac (0xA0+length control chunks, length nibble in each 6-byte interrupt report).
 */
import type { UsbHandle } from '@nut-ts/core/plugin-api';
import type { BridgeCommand } from './bridges.js';

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const cstring = (s: string) => s.split('\0')[0]!;

async function interruptRead(usb: UsbHandle, ep: number, length: number, timeoutMs = 1000): Promise<Uint8Array | null> {
  try {
    const got = await usb.interruptIn(ep, length, { timeoutMs });
    return got.length ? got : null;
  } catch {
    return null;
  }
}

const FUJI_ANSWER: Record<string, number> = { Q1: 47, F: 22, I: 39 };

export const fuji: BridgeCommand = async (usb, cmd) => {
  let command = cmd.slice(0, cmd.indexOf('\r') < 0 ? undefined : cmd.indexOf('\r'));
  // Only 3 command bytes fit in a packet: SnRm (m ≠ 0) goes out as Sn.
  const m = /^S(\d*\.?\d+)R(\d+)\r/.exec(cmd);
  if (m && Number(m[2]) !== 0) command = command.slice(0, 3);
  if (command.length > 3) return cmd;
  const packet = new Uint8Array(8);
  packet.set([0x80, 0x06, command.length + 1, 0x03]);
  packet.set(Buffer.from(command, 'latin1'), 4);
  packet[7] = FUJI_ANSWER[command] ?? 0;
  try {
    if ((await usb.interruptOut(0x02, packet, { timeoutMs: 5000 })) <= 0) return null;
  } catch {
    return null;
  }
  let buf = '';
  while (buf.length <= 512 - 8 && !buf.includes('\r')) {
    const got = await interruptRead(usb, 0x81, 8);
    if (!got) return null;
    buf += latin1(got);
  }
  return cstring(buf);
};

/** Commands a Masterguard unit does not answer ("M" must not match "MSO"). */
const PHOENIXTEC_SILENT = ['T', 'TL', 'S', 'C', 'CT', 'M', 'N', 'O', 'SRC', 'FCLR', 'SS', 'TUD', 'SSN'];

export const phoenixtec: BridgeCommand = async (usb, cmd) => {
  try {
    // USB_ENDPOINT_OUT | USB_TYPE_VENDOR | USB_RECIP_ENDPOINT
    if ((await usb.controlOut({ requestType: 0x42, request: 0x0d, value: 0, index: 0 }, Buffer.from(cmd, 'latin1'), { timeoutMs: 1000 })) <= 0) return null;
  } catch {
    return null;
  }
  if (PHOENIXTEC_SILENT.some((p) => cmd.startsWith(p) && !/[A-Z]/.test(cmd[p.length] ?? ''))) return '';
  let buf = '';
  while (buf.length < 511) {
    const got = await interruptRead(usb, 0x81, 511 - buf.length);
    if (!got) return null;
    buf += latin1(got);
    const cr = buf.indexOf('\r');
    if (cr >= 0) return buf.slice(0, cr + 1);
  }
  return '';
};

const ABLEREX_LENGTH: Record<string, number> = { 'Q1\r': 47, 'I\r': 39, 'F\r': 22 };

export function ablerex(sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): BridgeCommand {
  return async (usb, cmd) => {
    for (let retry = 0; retry < 3; retry++) {
      const n = 1 + (cmd.indexOf('\r') < 0 ? cmd.length : cmd.indexOf('\r'));
      const out = new Uint8Array(47);
      out.set([0x05, 0, n]);
      out.set(Buffer.from(cmd.slice(0, n), 'latin1').subarray(0, 44), 3);
      await usb.controlOut({ requestType: 0x21, request: 0x09, value: 0x305, index: 0 }, out, { timeoutMs: 1000 }).catch(() => 0);
      await sleep(500);
      let reply: Uint8Array;
      try {
        reply = await usb.controlIn({ requestType: 0xa1, request: 0x01, value: 0x305, index: 0 }, 47, { timeoutMs: 1000 });
      } catch {
        return null;
      }
      if (reply.length === 0) return null;
      const text = latin1(reply);
      const cr = text.indexOf('\r');
      const len = cr > 0 ? cr + 1 : 0;
      const want = ABLEREX_LENGTH[cmd.toUpperCase()];
      if (want !== undefined && len !== want) continue;
      if (cmd.toUpperCase() === 'Q5\r' && len !== 22) return '(' + '\0'.repeat(21);
      return len > 0 ? text.slice(0, len) : '';
    }
    return '';
  };
}

/** Commands an Armac unit ignores (no echo): answered here with the command, as NUT does. */
const ARMAC_UNSUPPORTED = ['QGS\r', 'QS\r', 'QPI\r', 'M\r', 'D\r'];

export const armac: BridgeCommand = async (usb, cmd) => {
  if (ARMAC_UNSUPPORTED.includes(cmd)) return cmd;
  let ok = 0;
  for (let i = 0; i < cmd.length; ) {
    const n = Math.min(3, cmd.length - i);
    const out = new Uint8Array(4);
    out[0] = 0xa0 + n;
    out.set(Buffer.from(cmd.slice(i, i + n), 'latin1'), 1);
    try {
      ok = await usb.controlOut({ requestType: 0x21, request: 0x09, value: 0x200, index: 0 }, out, { timeoutMs: 5000 });
    } catch {
      ok = 0;
    }
    i += n;
  }
  if (ok <= 0) return null;
  let buf = '';
  while (buf.length + 6 < 511) {
    let got: Uint8Array;
    try {
      got = await usb.interruptIn(0x81, 6, { timeoutMs: 1000 });
    } catch {
      return null;
    }
    if (got.length !== 6) return null;
    const available = got[0]! & 0x0f;
    if (available === 0) break;
    buf += latin1(got.subarray(1, 1 + available));
    if (available <= 2) await new Promise((r) => setTimeout(r, 15));
  }
  if (buf.length + 6 >= 511) return null;
  return buf;
};
