/**
 * The HTTP service's own thread: the devices are a mirror fed by the host over the parent
 * port, so accepting thousands of connections or writing to thousands of event streams here
 * never delays upsd on the host's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MirrorDirectory } from './mirror.js';
import { HttpService } from './service.js';
import type { FromHttpThread, HostAnswers, HostQuestion, HttpThreadData, ToHttpThread } from './thread-protocol.js';

const port = parentPort!;
const data = workerData as HttpThreadData;
const post = (m: FromHttpThread) => port.postMessage(m);

const directory = new MirrorDirectory((request) => post({ t: 'request', request }));
const waiting = new Map<number, (value: unknown) => void>();
let nextId = 1;
function ask<K extends HostQuestion['what']>(question: Extract<HostQuestion, { what: K }>): Promise<HostAnswers[K]> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve as (value: unknown) => void);
    post({ t: 'ask', id, question });
  });
}

let service: HttpService | undefined;
let fed!: () => void;
const firstFeed = new Promise<void>((r) => (fed = r));

port.on('message', (m: ToHttpThread) => {
  switch (m.t) {
    case 'feed':
      directory.apply(m.batch);
      fed();
      break;
    case 'answer':
      waiting.get(m.id)?.(m.value);
      waiting.delete(m.id);
      break;
    case 'close':
      void (async () => {
        await service?.close().catch(() => {});
        post({ t: 'closed' });
        port.close();
      })();
      break;
  }
});

try {
  await firstFeed;
  service = new HttpService({
    directory,
    settings: data.settings,
    confPath: data.confPath,
    certFile: data.certFile,
    host: {
      instances: () => ask({ what: 'instances' }),
      upsdClients: () => ask({ what: 'upsdClients' }),
      mqttConnected: () => ask({ what: 'mqttConnected' }),
      clientsOf: (d) => ask({ what: 'clientsOf', device: d.name }),
    },
    log: (level, message) => post({ t: 'log', level, message }),
  });
  const address = await service.listen();
  post({ t: 'listening', address });
  let reported = 0;
  setInterval(() => {
    const count = service?.eventClients ?? 0;
    if (count !== reported) post({ t: 'eventClients', count: (reported = count) });
  }, 100).unref();
} catch (e) {
  const failed = service;
  service = undefined;
  await failed?.close().catch(() => {});
  // the host ends the thread once it has read why
  post({ t: 'failed', message: (e as Error).message });
}
