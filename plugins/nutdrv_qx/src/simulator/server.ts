/**
 * Serves a Q1Device on a line: reads CR-terminated commands, answers them, and applies
 * events and faults (noise, silence, slow answers, unplugged cable).
 */
import type { Q1Device } from './q1-device.js';

export interface Faults {
  /** Line noise after every answer (NUL, quote, stray newline, 0xff, a random byte). */
  noise: boolean;
  /** Noise inside every answer: the driver must reject it. */
  garble: boolean;
  /** Answers nothing. */
  silent: boolean;
  /** Answers after this many milliseconds. */
  slowMs: number;
  /** Cable pulled: nothing is read or answered. */
  unplugged: boolean;
}

export class Q1Server {
  readonly faults: Faults = { noise: false, garble: false, silent: false, slowMs: 0, unplugged: false };
  /** Called on unplug/replug events, for transports that can really disconnect (USB). */
  onPlug?: (plugged: boolean) => void;
  private pending = '';

  constructor(
    readonly device: Q1Device,
    private readonly send: (data: Buffer) => void,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Bytes from the driver. */
  input(data: Buffer): void {
    if (this.faults.unplugged) return;
    this.pending += data.toString('latin1');
    let i: number;
    while ((i = this.pending.search(/[\r\n]/)) >= 0) {
      const cmd = this.pending.slice(0, i);
      this.pending = this.pending.slice(i + 1);
      if (cmd.length) this.answer(cmd);
    }
    if (this.pending.length > 4096) this.pending = '';
  }

  private answer(cmd: string): void {
    const reply = this.device.reply(cmd);
    this.log(`> ${cmd} < ${reply === null ? '(none)' : JSON.stringify(reply)}`);
    if (reply === null || this.faults.silent) return;
    let bytes = Buffer.from(reply, 'latin1');
    const junk = () => Buffer.from([0, 0x22, 0x0a, 0xff, 0x23, Math.floor(Math.random() * 256)]);
    if (this.faults.garble) bytes = Buffer.concat([bytes.subarray(0, 7), junk(), bytes.subarray(7)]);
    if (this.faults.noise) bytes = Buffer.concat([bytes, junk()]);
    if (this.faults.slowMs > 0) setTimeout(() => this.send(bytes), this.faults.slowMs);
    else this.send(bytes);
  }
}
