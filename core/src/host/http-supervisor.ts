/**
 * Keeps the HTTP service running: when its thread ends without being asked to (an uncaught
 * error, a thread out of memory), it is started again after the host's restart delays, as a
 * crashed driver instance is (host/restart-policy.ts). upsd never notices either way.
 */
import type { RestartSettings } from '../config/host-settings.js';
import { crashDelayMs, DEFAULT_RESTART } from './restart-policy.js';
import type { HttpLogger } from '../http/service.js';
import { HttpThread, type HttpThreadOptions } from '../http/thread.js';

export class SupervisedHttp {
  /** Times the thread was started again after ending on its own. */
  restarts = 0;
  private thread: HttpThread | undefined;
  private crashes = 0;
  private upSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly log: HttpLogger;

  private constructor(
    private readonly options: HttpThreadOptions,
    private readonly policy: RestartSettings,
  ) {
    this.log = options.log ?? (() => {});
  }

  /** Starts the service; rejects (and keeps nothing running) when the first start fails. */
  static async start(options: HttpThreadOptions, policy: RestartSettings = DEFAULT_RESTART): Promise<SupervisedHttp> {
    const s = new SupervisedHttp(options, policy);
    s.adopt(await HttpThread.start(options));
    return s;
  }

  get address(): { host: string; port: number } | undefined {
    return this.thread?.address;
  }

  get eventClients(): number {
    return this.thread?.eventClients ?? 0;
  }

  /** The running thread, if any (none while a restart is pending). */
  get current(): HttpThread | undefined {
    return this.thread;
  }

  private adopt(thread: HttpThread): void {
    this.thread = thread;
    this.upSince = Date.now();
    void thread.ended.then(() => {
      if (this.closed || thread.closeRequested || this.thread !== thread) return;
      this.thread = undefined;
      if (Date.now() - this.upSince >= this.policy.resetAfterMs) this.crashes = 0;
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    this.crashes++;
    if (this.policy.maxRestarts !== undefined && this.crashes > this.policy.maxRestarts) {
      this.log('error', `http: not restarted after ${this.policy.maxRestarts} consecutive failures`);
      return;
    }
    const delay = crashDelayMs({ ...DEFAULT_RESTART, ...this.policy }, this.crashes);
    this.log('warn', `http: restarting the service in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      HttpThread.start(this.options).then(
        (thread) => {
          if (this.closed) return void thread.close();
          this.restarts++;
          this.log('info', `http: service restarted, listening on ${thread.address?.host} port ${thread.address?.port}`);
          this.adopt(thread);
        },
        (e: Error) => {
          this.log('error', `http: cannot restart: ${e.message}`);
          this.scheduleRestart();
        },
      );
    }, delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.thread?.close();
  }
}
