/**
 * Entry of a driver worker (started by core/src/host/worker-pool.ts): a worker thread (the
 * call board arrives as shared memory in workerData), or a child process speaking the same
 * protocol over its IPC channel (for plugins that block a thread in a system call).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CallBoard, IPC_DEVICES, type HostToWorker, type InstanceId, type WorkerData, type WorkerToHost } from './worker-protocol.js';
import { devicesFor } from './devices-for.js';
import type { BrokerReply, BrokerRequest } from '../transport/protocol.js';
import { serveWorker } from './worker-session.js';

if (parentPort) {
  const data = (workerData ?? {}) as WorkerData;
  const board = data.board ? new CallBoard(new Float64Array(data.board)) : undefined;
  serveWorker(parentPort, { board, devicesFor });
} else if (process.send) {
  const send = process.send.bind(process);
  // each instance's device channel, relayed by the host over this IPC channel
  const deviceListeners = new Map<InstanceId, (m: BrokerReply) => void>();
  const ipcDevices = (id: InstanceId) => ({
    postMessage: (m: BrokerRequest) => void send({ t: 'dev', id, m } satisfies WorkerToHost),
    on: (_event: 'message', listener: (m: BrokerReply) => void) => deviceListeners.set(id, listener),
  });
  serveWorker(
    {
      postMessage: (m: WorkerToHost) => void send(m),
      on: (_event, listener) =>
        process.on('message', (raw) => {
          const m = raw as HostToWorker;
          if (m.t === 'dev') deviceListeners.get(m.id)?.(m.m);
          else listener(m);
        }),
    },
    { devicesFor: (id, spec, channel) => devicesFor(id, spec, channel === IPC_DEVICES ? ipcDevices(id) : channel) },
  );
  // the host went away: nothing left to report to
  process.on('disconnect', () => process.exit(0));
} else {
  process.stderr.write('worker-main: must run inside a worker thread or as a child process with IPC\n');
  process.exitCode = 1;
}
