/**
 * Messages of the device broker, the same on both links: a plugin worker's MessagePort to
 * the host, and the host's IPC channel to the transport process (structured clone / V8
 * serialization, so Uint8Array payloads cross as they are). Handle 0 is the DeviceAccess
 * itself; a call whose result is a handle answers with the handle's id and its data members.
 */
import type { WireError } from './errors.js';

export const ROOT = 0;

/** Data members of a handle copied to its proxy (SerialHandle.path, UsbHandle/HidHandle.info). */
export const HANDLE_PROPS = ['path', 'info'] as const;

/** Methods of a handle that subscribe to events instead of being called. */
export function isEventMethod(name: string): boolean {
  return /^on[A-Z]/.test(name);
}

export type BrokerRequest =
  /**
   * `method` on handle `handle` with `args`. When the caller passed an AbortSignal in the
   * options object at `signalAt`, it is left out here; a later `cancel` aborts the call.
   */
  | { t: 'call'; id: number; handle: number; method: string; args: unknown[]; signalAt?: number }
  | { t: 'cancel'; id: number }
  /** Start / stop forwarding a handle's event (onData, onInput…). */
  | { t: 'subscribe'; handle: number; event: string }
  | { t: 'unsubscribe'; handle: number; event: string };

export interface HandleRef {
  id: number;
  props: Record<string, unknown>;
}

export type BrokerReply =
  | { t: 'result'; id: number; value?: unknown; handle?: HandleRef }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'event'; handle: number; event: string; args: unknown[] }
  /** The handle is gone: closed (no error) or lost (ELOST, the device or the process went away). */
  | { t: 'closed'; handle: number; error?: WireError };

/** Something with close() and onClose(): what the dispatcher keeps as a handle. */
export function isHandle(v: unknown): v is { close(): Promise<void>; onClose(l: (e?: unknown) => void): () => void } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { close?: unknown }).close === 'function' &&
    typeof (v as { onClose?: unknown }).onClose === 'function'
  );
}
