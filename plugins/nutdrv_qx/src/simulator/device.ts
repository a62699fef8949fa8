/** The simulated unit for a protocol: Voltronic's own query set, else the Megatec-family device. */
import type { SimulatedProtocol } from './dump.js';
import { Q1Device } from './q1-device.js';
import { VoltronicDevice } from './voltronic-device.js';

export function createDevice(protocol: SimulatedProtocol, dump: Map<string, string>): Q1Device {
  return protocol === 'voltronic' ? new VoltronicDevice(dump) : new Q1Device(protocol, dump);
}
