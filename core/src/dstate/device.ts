/**
 * A device as upsd sees it: a state tree plus whether its driver is connected, how fresh it
 * is, and a way to send it commands. Implemented by host instances (worker-backed) and by
 * the driver-socket client (a NUT C driver).
 */
import type { StateTree } from './tree.js';

export interface CommandResultListener {
  /** A driver answered a tracked INSTCMD/SET: status as in HandlerStatus (0..3). */
  (trackingId: string, status: number): void;
}

export interface Device {
  /** ups.conf section name, as configured. */
  readonly name: string;
  /** ups.conf `desc`, if any. */
  readonly desc: string | undefined;
  readonly tree: StateTree;
  /** Driver attached and its initial dump complete. */
  readonly connected: boolean;
  /** ms timestamp of the last message from the driver (Date.now() clock). */
  readonly lastHeard: number;
  /** Sends INSTCMD; false when it could not be delivered. */
  instcmd(command: string, param: string | undefined, trackingId: string | undefined): boolean;
  /** Sends SET; false when it could not be delivered. */
  setvar(name: string, value: string, trackingId: string | undefined): boolean;
  onCommandResult(listener: CommandResultListener): () => void;
}

/** The set of devices a server publishes; order is LIST UPS order. */
export interface DeviceDirectory {
  list(): readonly Device[];
  get(name: string): Device | undefined;
  /** Called when devices are added or removed (reload, instance start/stop). */
  onChange(listener: () => void): () => void;
}
