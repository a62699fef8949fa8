/**
 * Serves a Q1Device on a line: reads CR-terminated commands, answers them, and applies
 * events and faults (noise, silence, slow answers, unplugged cable).
 */
import type { Q1Device } from './q1-device.js';

export interface Faults {
  /** Garbage (NUL, quotes, stray newlines, random bytes) around every answer. */
  noise: boolean;
  /** Answers nothing. */
  silent: boolean;
  /** Answers after this many milliseconds. */
  slowMs: number;
  /** Cable pulled: nothing is read or answered. */
  unplugged: boolean;
}

export class Q1Server {
  readonly faults: Faults = { noise: false, silent: false, slowMs: 0, unplugged: false };
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
    if (this.faults.noise) {
      const junk = () => Buffer.from([0, 0x22, 0x0a, 0xff, Math.floor(Math.random() * 256)]);
      bytes = Buffer.concat([junk(), bytes.subarray(0, 7), Buffer.from([0x23, 0]), bytes.subarray(7)]);
    }
    if (this.faults.slowMs > 0) setTimeout(() => this.send(bytes), this.faults.slowMs);
    else this.send(bytes);
  }
}
