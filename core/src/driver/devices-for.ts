/**
 * The device access of one instance in a worker. `channel` is what the host's transport
 * service attached for the instance (HostTransports.attach in core/src/host/worker-pool.ts),
 * delivered with the instance's `start` message (a MessagePort for a worker thread; for a
 * worker in a child process, worker-main.ts turns the host's relay over IPC into a port of the
 * same shape). Without one (a host without transports) every open fails with a TransportError.
 */
import type { InstanceId, InstanceSpec } from './worker-protocol.js';
import type { DeviceAccess } from '../plugin-api/transports.js';
import { devicesFromChannel } from '../transport/client.js';

export function devicesFor(_id: InstanceId, _spec: InstanceSpec, channel: unknown): DeviceAccess | undefined {
  return devicesFromChannel(channel);
}
