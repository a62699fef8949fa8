/**
 * The host's upsd: the one upsd service (core/src/upsd/service.ts) over the host's instances,
 * configured from upsd.conf and upsd.users in the conf path.
 */
import type { DeviceDirectory } from '../dstate/device.js';
import type { LoginThrottleSettings } from '../upsd/login-throttle.js';
import type { Logger } from '../upsd/server.js';
import { UpsdService as Service } from '../upsd/service.js';

export type { UpsdResult, UpsdStartOptions } from '../upsd/service.js';

export class UpsdService extends Service {
  constructor(directory: DeviceDirectory, confPath: string, log: Logger, idleTimeoutMs = 60_000, loginThrottle?: LoginThrottleSettings) {
    super(directory, { confPath, log, idleTimeoutMs, env: process.env, loginThrottle });
  }
}
