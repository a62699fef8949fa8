/**
 * Publishes a worker instance on NUT's driver socket `<statepath>/<driver>-<ups>` while it runs,
 * so NUT's own upsd (or any tool that speaks the driver socket) can serve it, exactly as it
 * would serve a C driver. The socket exists only while the instance runs: a crashed or
 * stopped instance looks to upsd like a driver that went away.
 */
import { DriverSocketServer, driverSocketPath } from '../driver-socket/server.js';
import type { InstanceLogger, InstanceState, SupervisedInstance } from './instance.js';

export class SocketExport {
  private server: DriverSocketServer | undefined;
  private pending: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly replies = new Map<string, (status: number) => void>();
  private readonly offState: () => void;
  private readonly offResults: () => void;
  readonly path: string;

  constructor(
    private readonly instance: SupervisedInstance,
    statePath: string,
    private readonly log: InstanceLogger,
  ) {
    this.path = driverSocketPath(statePath, instance.driver, instance.name);
    this.offState = instance.onStateChange((state) => this.follow(state));
    this.offResults = instance.onCommandResult((id, status) => {
      const reply = this.replies.get(id);
      if (!reply) return;
      this.replies.delete(id);
      reply(status);
    });
    this.follow(instance.state);
  }

  private follow(state: InstanceState): void {
    this.pending = this.pending.then(() => (state === 'running' ? this.open() : this.shut()));
  }

  private async open(): Promise<void> {
    if (this.server || this.instance.state !== 'running') return;
    try {
      this.server = await DriverSocketServer.listen({
        path: this.path,
        tree: this.instance.tree,
        commands: {
          instcmd: (command, param, reply) => this.instance.instcmd(command, param, this.track(reply)),
          setvar: (name, value, reply) => this.instance.setvar(name, value, this.track(reply)),
        },
        log: (level, message) => this.log(level, `[${this.instance.name}] ${message}`),
      });
    } catch (e) {
      this.log('warn', `[${this.instance.name}] cannot open the driver socket ${this.path}: ${(e as Error).message}`);
    }
  }

  private track(reply: (status: number) => void): string {
    const id = `nut-ts-socket-${++this.seq}`;
    this.replies.set(id, reply);
    if (this.replies.size > 1000) this.replies.delete(this.replies.keys().next().value!);
    return id;
  }

  private async shut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.replies.clear();
    if (s) await s.close();
  }

  /** Stops following the instance and removes the socket. */
  async close(): Promise<void> {
    this.offState();
    this.offResults();
    this.pending = this.pending.then(() => this.shut());
    await this.pending;
  }
}
