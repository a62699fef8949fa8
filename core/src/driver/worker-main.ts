/** Entry of a driver worker thread (started by core/src/host/worker-instance.ts). */
import { parentPort } from 'node:worker_threads';
import { serveWorker } from './worker-session.js';

if (!parentPort) {
  process.stderr.write('worker-main: must run inside a worker thread\n');
  process.exitCode = 1;
} else {
  serveWorker(parentPort, { exit: (code) => process.exit(code) });
}
