/**
 * nutdrv_qx's serial exchange: 2400 8N1, DTR/RTS from `cablepower`, then per command: drop
 * pending input, write the command, read one line (CR or LF ends it, as the canonical-mode
 * tty NUT sets up does) within 1 s. A line that does not end in time is no answer at all.
 */
import { isTransportError, type DriverContext, type SerialHandle } from '@nut-ts/core/plugin-api';
import type { QxLink } from './engine.js';

export const CABLEPOWER: Record<string, { dtr: boolean; rts: boolean }> = {
  normal: { dtr: true, rts: false },
  reverse: { dtr: false, rts: true },
  both: { dtr: true, rts: true },
  none: { dtr: false, rts: false },
};

const SER_WAIT_MS = 1000;

export async function openSerialLink(ctx: DriverContext): Promise<SerialLink> {
  const val = ctx.getval('cablepower');
  const power = CABLEPOWER[(val ?? 'normal').toLowerCase()];
  if (!power) throw new Error(`Value '${val}' not valid for 'cablepower'`);
  const handle = await ctx.openSerial(undefined, { baudRate: 2400, dataBits: 8, stopBits: 1, parity: 'none', dtr: power.dtr, rts: power.rts });
  await ctx.sleep(100);
  return new SerialLink(handle, ctx);
}

export class SerialLink implements QxLink {
  constructor(
    readonly handle: SerialHandle,
    private readonly ctx: DriverContext,
  ) {}

  async command(cmd: string): Promise<{ data: string; length: number } | null> {
    const log = this.ctx.log;
    try {
      await this.handle.flushInput();
      await this.handle.write(Buffer.from(cmd, 'latin1'));
      log.debug(3, `send: '${cmd.split('\r')[0]}'`);
    } catch (e) {
      log.debug(3, `send: ${(e as Error).message}`);
      return null;
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.handle.read({ until: [13, 10], timeoutMs: SER_WAIT_MS, signal: this.ctx.signal });
    } catch (e) {
      if (isTransportError(e, 'ETIMEDOUT')) {
        log.debug(3, 'read: timeout (0)');
        return { data: '', length: 0 };
      }
      log.debug(3, `read: ${(e as Error).message}`);
      return null;
    }
    const last = bytes[bytes.length - 1];
    if (last !== 13 && last !== 10) {
      log.debug(3, 'read: timeout (0)');
      return { data: '', length: 0 };
    }
    const data = Buffer.from(bytes).toString('latin1');
    log.debug(3, `read: '${data.split('\r')[0]}'`);
    return { data, length: data.length };
  }

  async close(): Promise<void> {
    try {
      await this.handle.setSignals({ dtr: false });
    } catch {
      // The port may already be gone.
    }
    await this.handle.close();
  }
}
