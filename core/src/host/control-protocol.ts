/**
 * The host's control socket: `<statepath>/nut-ts.ctl`, one JSON object per line each way.
 * Every request carries an `id` that its reply repeats. The CLIs (upsdrvctl, upsd, nut) are
 * its clients.
 */
import type { ListenAddress } from '../upsd/config.js';
import type { HostStatus } from './host.js';
import type { StartOptions, StartResult } from './instance.js';

export type ControlRequest =
  | { cmd: 'ping' }
  | ({ cmd: 'start'; ups: string } & StartOptions)
  /** Starts several at once (upsdrvctl start); results in the order asked. */
  | ({ cmd: 'start-many'; items: Array<{ ups: string; maxstartdelayMs?: number }> } & StartOptions)
  | { cmd: 'stop'; ups: string }
  | ({ cmd: 'shutdown'; ups: string } & StartOptions)
  | { cmd: 'status' }
  /** Re-reads ups.conf (and upsd.conf/upsd.users when upsd runs). */
  | { cmd: 'reload' }
  | { cmd: 'upsd-start'; listen?: ListenAddress[]; family?: 4 | 6; allowNoDevice?: string }
  | { cmd: 'upsd-stop' }
  | { cmd: 'upsd-reload' }
  /** Stops every instance and upsd, then the host exits. */
  | { cmd: 'host-stop' };

export type ControlCommand = ControlRequest['cmd'];

export interface ControlReplyBase {
  id: number;
  ok: boolean;
  /** Lines for the user, in NUT's wording where NUT has one. */
  messages: string[];
  /** start: nothing could run at all; upsdrvctl stops there as NUT's does. */
  fatal?: boolean;
}

export interface PingReply extends ControlReplyBase {
  pid: number;
  confPath: string;
  statePath: string;
  version: string;
}

export interface StatusReply extends ControlReplyBase {
  status: HostStatus;
}

export interface UpsdReply extends ControlReplyBase {
  bound?: Array<{ host: string; port: number }>;
}

export interface StartManyReply extends ControlReplyBase {
  results: StartResult[];
}

export type ControlReply = ControlReplyBase &
  Partial<Omit<PingReply, keyof ControlReplyBase>> &
  Partial<Omit<StatusReply, keyof ControlReplyBase>> &
  Partial<Omit<UpsdReply, keyof ControlReplyBase>> &
  Partial<Omit<StartManyReply, keyof ControlReplyBase>> & { stdout?: string[] };

/** Longest request line the server accepts. */
export const MAX_REQUEST_BYTES = 64 * 1024;
