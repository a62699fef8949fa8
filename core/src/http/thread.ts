/**
 * The host's side of the HTTP service run in its own thread: feeds it the devices, answers
 * its questions about the host, delivers its INSTCMD/SET requests. upsd stays alone on the
 * host's event loop however many HTTP clients come at once.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DeviceDirectory } from '../dstate/device.js';
import type { HttpSettings } from '../config/host-settings.js';
import { DirectoryFeed } from './mirror.js';
import type { HostView, HttpLogger } from './service.js';
import type { FromHttpThread, HostQuestion, HttpThreadData, ToHttpThread } from './thread-protocol.js';

const CLOSE_GRACE_MS = 5_000;

export function defaultHttpWorkerPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'http', 'worker-main.js');
}

export interface HttpThreadOptions {
  directory: DeviceDirectory;
  settings: HttpSettings;
  confPath?: string;
  certFile?: string;
  host?: HostView;
  log?: HttpLogger;
  workerPath?: string;
}

export class HttpThread {
  address: { host: string; port: number } | undefined;
  /** Clients on the live event stream, as the thread last reported. */
  eventClients = 0;
  private readonly worker: Worker;
  private readonly feed: DirectoryFeed;
  private readonly log: HttpLogger;
  private exited = false;
  /** Resolves with the thread's exit code when it ends, for whatever reason. */
  readonly ended: Promise<number>;

  private constructor(private readonly options: HttpThreadOptions) {
    this.log = options.log ?? (() => {});
    const data: HttpThreadData = { settings: options.settings, confPath: options.confPath, certFile: options.certFile };
    this.worker = new Worker(options.workerPath ?? defaultHttpWorkerPath(), { workerData: data, name: 'nut-ts http' });
    this.ended = new Promise((resolve) =>
      this.worker.once('exit', (code: number) => {
        this.exited = true;
        this.feed.close();
        resolve(code);
      }),
    );
    this.feed = new DirectoryFeed(options.directory, (batch) => this.post({ t: 'feed', batch }));
    this.worker.on('message', (m: FromHttpThread) => this.onMessage(m));
  }

  /** Starts the thread; resolves once it listens, rejects with its reason when it cannot. */
  static start(options: HttpThreadOptions): Promise<HttpThread> {
    const t = new HttpThread(options);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        void t.close().finally(() => reject(e));
      };
      const ended = (code: number) => fail(new Error(`the HTTP thread ended (code ${code})`));
      t.worker.once('error', fail);
      t.worker.once('exit', ended);
      t.worker.on('message', (m: FromHttpThread) => {
        if (m.t === 'failed') fail(new Error(m.message));
        else if (m.t === 'listening' && !settled) {
          settled = true;
          t.worker.off('error', fail);
          t.worker.off('exit', ended);
          t.worker.on('error', (e) => t.log('error', `http: ${e.stack ?? e.message}`));
          t.worker.once('exit', (code) => {
            if (!t.closing) t.log('error', `http: the service's thread ended (code ${code})`);
          });
          resolve(t);
        }
      });
    });
  }

  private closing = false;

  private post(m: ToHttpThread): void {
    if (!this.exited) this.worker.postMessage(m);
  }

  private onMessage(m: FromHttpThread): void {
    switch (m.t) {
      case 'listening':
        this.address = m.address;
        break;
      case 'log':
        this.log(m.level, m.message);
        break;
      case 'request':
        this.feed.handle(m.request);
        break;
      case 'ask':
        void this.answer(m.question).then(
          (value) => this.post({ t: 'answer', id: m.id, value }),
          () => this.post({ t: 'answer', id: m.id, value: undefined }),
        );
        break;
      case 'eventClients':
        this.eventClients = m.count;
        break;
      default:
        break;
    }
  }

  private async answer(q: HostQuestion): Promise<unknown> {
    const h = this.options.host;
    switch (q.what) {
      case 'instances':
        return (await h?.instances()) ?? [];
      case 'upsdClients':
        return h?.upsdClients();
      case 'mqttConnected':
        return h?.mqttConnected?.();
      case 'clientsOf': {
        const d = this.options.directory.get(q.device);
        return d && h ? await h.clientsOf(d) : [];
      }
    }
  }

  /** Ends the thread at once, as a crash would (no 'close' to the service first). */
  async kill(): Promise<void> {
    await this.worker.terminate();
    await this.ended;
  }

  /** True once close() was called: the thread's end is then expected. */
  get closeRequested(): boolean {
    return this.closing;
  }

  async close(): Promise<void> {
    if (this.closing) {
      await this.ended;
      return;
    }
    this.closing = true;
    this.post({ t: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), CLOSE_GRACE_MS);
    const closed = new Promise<void>((resolve) =>
      this.worker.on('message', (m: FromHttpThread) => {
        if (m.t === 'closed') resolve();
      }),
    );
    await Promise.race([closed, this.ended]);
    clearTimeout(timer);
    await this.worker.terminate();
    await this.ended;
  }
}
