/**
 * The device access of one instance in a worker. `channel` is what the host's transport
 * service attached for the instance (HostTransports.attach in core/src/host/worker-pool.ts),
 * delivered with the instance's `start` message (a MessagePort for a worker thread). Until the
 * transport service exists there is none: every open fails with a TransportError.
 */
import type { InstanceId, InstanceSpec } from '../host/worker-protocol.js';
import type { DeviceAccess } from '../plugin-api/transports.js';

export function devicesFor(_id: InstanceId, _spec: InstanceSpec, _channel: unknown): DeviceAccess | undefined {
  return undefined;
}
