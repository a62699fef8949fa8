/**
 * The close listeners of a device handle (serial, USB, HID): told once how the handle ended
 * (the error when lost, nothing when closed on purpose); one added later still hears it.
 */
import type { TransportError } from '../plugin-api/transports.js';

type CloseListener = (error?: TransportError) => void;

export class CloseListeners {
  private readonly listeners = new Set<CloseListener>();
  private heard: { lost: TransportError | undefined } | undefined;

  notify(lost: TransportError | undefined): void {
    if (this.heard) return;
    this.heard = { lost };
    for (const l of [...this.listeners]) l(lost);
    this.listeners.clear();
  }

  add(listener: CloseListener): () => void {
    if (this.heard) {
      const { lost } = this.heard;
      queueMicrotask(() => listener(lost));
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
