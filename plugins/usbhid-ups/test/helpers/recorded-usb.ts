/**
 * A USB handle that answers the standard and HID class requests from a recording, as a HID UPS
 * on the bus would: GET_DESCRIPTOR(configuration/report), GET_REPORT/SET_REPORT(feature) on
 * interface 0, string descriptors, interrupt-IN reports a test pushes. It logs every control
 * transfer, so tests see the exact setup packets the driver sends.
 */
import { TransportError, type CallOptions, type UsbHandle, type UsbSetup } from '@nut-ts/core/plugin-api';
import type { Recording } from '../../src/replay.js';

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

export interface ControlRecord {
  setup: UsbSetup;
  direction: 'in' | 'out';
  data?: Uint8Array;
}

export class RecordedUsbHandle implements UsbHandle {
  readonly controls: ControlRecord[] = [];
  private readonly features = new Map<number, Uint8Array>();
  private readonly interrupts: Uint8Array[] = [];
  private waiting?: () => void;
  private closed = false;
  private readonly closeListeners = new Set<(e?: TransportError) => void>();

  constructor(private readonly rec: Recording) {
    for (const [id, seq] of Object.entries(rec.features)) this.features.set(Number(id), bytes(seq[0]));
  }

  get info() {
    return this.rec.device;
  }

  /** Reads of the interrupt endpoint begun so far. */
  interruptReads = 0;

  /** The device sends an input report on its interrupt endpoint. */
  pushInterrupt(report: Uint8Array): void {
    this.interrupts.push(report);
    this.waiting?.();
  }

  /** The feature report the device answers with from now on. */
  setFeatureReport(report: Uint8Array): void {
    this.features.set(report[0], report);
  }

  /** Unplug: pending and later calls fail with ELOST. */
  unplug(): void {
    this.closed = true;
    this.waiting?.();
    for (const l of this.closeListeners) l(new TransportError('ELOST', 'device unplugged'));
  }

  async configDescriptor(): Promise<Uint8Array> {
    const len = this.rec.descriptor.length / 2;
    // configuration, interface 0 (class HID), HID descriptor, endpoint 0x81
    return new Uint8Array([
      9, 2, 34, 0, 1, 1, 0, 0xa0, 50,
      9, 4, 0, 0, 1, 3, 0, 0, 0,
      9, 0x21, 0x10, 0x01, 0, 1, 0x22, len & 0xff, len >> 8,
      7, 5, 0x81, 3, 8, 0, 10,
    ]);
  }

  private check(): void {
    if (this.closed) throw new TransportError('ELOST', 'device unplugged');
  }

  async controlIn(setup: UsbSetup, length: number): Promise<Uint8Array> {
    this.check();
    this.controls.push({ setup, direction: 'in' });
    if (setup.requestType === 0x81 && setup.request === 0x06 && setup.value >> 8 === 0x22) return bytes(this.rec.descriptor).slice(0, length);
    if (setup.requestType === 0xa1 && setup.request === 0x01 && setup.value >> 8 === 3) {
      const r = this.features.get(setup.value & 0xff);
      if (!r) throw new TransportError('EIO', 'LIBUSB_ERROR_PIPE (stall)');
      return r.slice(0, length);
    }
    throw new TransportError('EIO', 'LIBUSB_ERROR_PIPE (stall)');
  }

  async controlOut(setup: UsbSetup, data: Uint8Array): Promise<number> {
    this.check();
    this.controls.push({ setup, direction: 'out', data: data.slice() });
    if (setup.requestType === 0x21 && setup.request === 0x09 && setup.value >> 8 === 3) {
      this.features.set(setup.value & 0xff, data.slice());
      return data.length;
    }
    throw new TransportError('EIO', 'LIBUSB_ERROR_PIPE (stall)');
  }

  async getString(index: number): Promise<string> {
    this.check();
    return this.rec.strings[String(index)] ?? '';
  }

  async getStringRaw(): Promise<Uint8Array> {
    return new Uint8Array(0);
  }

  async interruptIn(_endpoint: number, length: number, options?: CallOptions): Promise<Uint8Array> {
    this.interruptReads++;
    for (;;) {
      this.check();
      const r = this.interrupts.shift();
      if (r) return r.slice(0, length);
      const timedOut = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(true), options?.timeoutMs ?? 750);
        this.waiting = () => (clearTimeout(t), resolve(false));
        options?.signal?.addEventListener('abort', () => (clearTimeout(t), resolve(true)), { once: true });
      });
      this.waiting = undefined;
      if (timedOut) throw new TransportError('ETIMEDOUT', 'interrupt: nothing arrived');
    }
  }

  async interruptOut(): Promise<number> {
    throw new TransportError('EIO', 'no interrupt-OUT endpoint');
  }

  async bulkIn(): Promise<Uint8Array> {
    throw new TransportError('EIO', 'no bulk endpoint');
  }

  async bulkOut(): Promise<number> {
    throw new TransportError('EIO', 'no bulk endpoint');
  }

  onClose(listener: (e?: TransportError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting?.();
  }
}
