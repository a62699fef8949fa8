/**
 * A UsbHandle that behaves like a serial-over-USB bridge chip as NUT's bridge code drives it:
 * OUT transfers are collected, a complete command line (CR) is answered by `reply`, and the
 * answer is served by interrupt-IN reads (or string descriptors) in the chip's framing.
 */
import { TransportError, type UsbDeviceInfo, type UsbHandle } from '@nut-ts/core/plugin-api';

export class FakeBridge implements UsbHandle {
  readonly info: UsbDeviceInfo;
  readonly controls: Array<{ requestType: number; request: number; value: number; data: string }> = [];
  private line = '';
  private queue: Uint8Array[] = [];

  constructor(
    private readonly reply: (cmd: string) => string | null,
    /** How a reply is cut into interrupt reports. */
    private readonly frame: (reply: string) => Uint8Array[],
    /** How an OUT chunk carries command bytes. */
    private readonly unframe: (chunk: Uint8Array) => string = (c) => Buffer.from(c).toString('latin1').replace(/\0+$/, ''),
    info: Partial<UsbDeviceInfo> = {},
  ) {
    this.info = { vendorId: 0x0665, productId: 0x5161, release: 0, manufacturer: '', product: '', serial: '', bus: '001', device: '002', busport: '1-1', ...info };
  }

  async configDescriptor() {
    return new Uint8Array();
  }
  async controlIn(): Promise<Uint8Array> {
    throw new TransportError('EIO', 'stall');
  }
  async controlOut(setup: { requestType: number; request: number; value: number; index: number }, data: Uint8Array) {
    this.controls.push({ ...setup, data: Buffer.from(data).toString('latin1') });
    this.line += this.unframe(data);
    const cr = this.line.indexOf('\r');
    if (cr >= 0) {
      const cmd = this.line.slice(0, cr);
      this.line = '';
      const r = this.reply(cmd);
      if (r !== null) this.queue.push(...this.frame(r));
    }
    return data.length;
  }
  async getString(_index: number, _langid?: number): Promise<string> {
    return '';
  }
  async getStringRaw(_index: number, _langid: number, _length?: number): Promise<Uint8Array> {
    throw new TransportError('EIO', 'no strings');
  }
  async interruptIn(_ep: number, length: number): Promise<Uint8Array> {
    const next = this.queue.shift();
    if (!next) throw new TransportError('ETIMEDOUT', 'nothing queued');
    return next.subarray(0, length);
  }
  async interruptOut(_ep: number, _data: Uint8Array): Promise<number> {
    return 0;
  }
  async bulkIn(): Promise<Uint8Array> {
    throw new TransportError('EIO', 'no bulk');
  }
  async bulkOut(): Promise<number> {
    return 0;
  }
  onClose(_listener: (error?: TransportError) => void): () => void {
    return () => {};
  }
  async close() {}
}

export const eightByteChunks = (s: string) => Array.from({ length: Math.ceil(s.length / 8) }, (_, i) => new Uint8Array(Buffer.from(s.slice(i * 8, i * 8 + 8), 'latin1')));
