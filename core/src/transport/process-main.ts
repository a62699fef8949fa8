/**
 * Entry of the transport process (forked by core/src/transport/service.ts): the native device
 * modules load here and nowhere else in the host. It serves the broker's requests over the
 * IPC channel and ends when the host goes away.
 */
import type { BrokerRequest } from './protocol.js';
import { Dispatcher } from './dispatcher.js';
import { LocalDevices } from './local-devices.js';

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('process-main: must be started by the host (child_process.fork)\n');
  process.exit(1);
}

const idBase = Number(/^--id-base=(\d+)$/.exec(process.argv[2] ?? '')?.[1] ?? 0);
const devices = new LocalDevices();
const dispatcher = new Dispatcher(devices, (m) => void send(m), { idBase });

process.on('message', (m: BrokerRequest) => dispatcher.handle(m));
const end = () => {
  void devices.closeAll().finally(() => process.exit(0));
};
process.on('disconnect', end);
process.on('SIGTERM', end);
process.on('SIGINT', () => undefined);
