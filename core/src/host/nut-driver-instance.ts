/**
 * An instance whose driver is one of NUT's C programs (a section with no plugin): the host
 * runs `<driverpath>/<driver> -F -a <ups>` as a child process, supervises it like a worker,
 * and reads its state through the driver socket, as NUT's upsd does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DriverSocketDevice } from '../driver-socket/client.js';
import { STARTUP_TIMER_ELAPSED, SupervisedInstance, type InstanceLogger, type RunCallbacks, type RunHandle, type StartOptions, type StartResult } from './instance.js';
import { onLines } from './lines.js';

export interface NutDriverInstanceOptions {
  name: string;
  driver: string;
  desc?: string;
  /** Absolute path of the driver program. */
  program: string;
  confPath: string;
  statePath: string;
  altPidPath: string;
  debugLevel: number;
  logger: InstanceLogger;
}

export class NutDriverInstance extends SupervisedInstance {
  private readonly socket: DriverSocketDevice;

  constructor(private readonly options: NutDriverInstanceOptions) {
    super(options.name, options.driver, options.desc, options.logger);
    this.socket = new DriverSocketDevice({
      name: options.name,
      driver: options.driver,
      desc: options.desc,
      statePath: options.statePath,
      log: (level, message) => options.logger(level, message),
    });
  }

  get tree() {
    return this.socket.tree;
  }

  /** As NUT's upsd: connected as soon as the socket is; until the dump ends clients see WAIT. */
  get connected(): boolean {
    return this.socket.connected;
  }

  get lastHeard(): number {
    return this.socket.lastHeard;
  }

  get provider(): string {
    return `nut ${this.options.program}`;
  }

  private args(extra: string[], options: StartOptions): string[] {
    const debug = options.debugLevel ?? this.options.debugLevel;
    const args: string[] = [];
    for (let i = 0; i < debug; i++) args.push('-D');
    args.push('-a', this.name, ...extra);
    if (options.chroot) args.push('-r', options.chroot);
    if (options.user) args.push('-u', options.user);
    return args;
  }

  private exec(args: string[], cb: Pick<RunCallbacks, 'log'>): ChildProcess {
    const child = spawn(this.options.program, args, {
      env: {
        ...process.env,
        NUT_CONFPATH: this.options.confPath,
        NUT_STATEPATH: this.options.statePath,
        NUT_ALTPIDPATH: this.options.altPidPath,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const [stream, level] of [
      [child.stdout, 'info'],
      [child.stderr, 'warn'],
    ] as const) {
      onLines(stream, (raw) => {
        const line = raw.replace(/^\s*\d+\.\d+\s+/, ''); // NUT's timestamp
        if (line.trim() !== '') cb.log(level, line);
      });
    }
    return child;
  }

  protected markDown(): void {
    this.tree.setStale(true);
  }

  protected launch(cb: RunCallbacks): RunHandle {
    let killedFor: string | undefined;
    let stopRequested = false;
    let lastLine: string | undefined;
    let ended = false;
    let killTimer: NodeJS.Timeout | undefined;
    const logWrap = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => {
      if (level === 'warn' || level === 'error') lastLine = message;
      cb.log(level, message);
    };
    const child = this.exec(this.args(['-F'], this.startOptions), { log: logWrap });
    this.socket.start();
    const readyPoll = setInterval(() => {
      if (this.socket.connected && this.socket.dumpComplete) {
        clearInterval(readyPoll);
        cb.ready();
      }
    }, 50);
    child.on('error', (err) => {
      lastLine = `Can't start ${this.options.program}: ${err.message}`;
    });
    child.on('exit', (code, signal) => {
      if (ended) return;
      ended = true;
      clearInterval(readyPoll);
      if (killTimer) clearTimeout(killTimer);
      if (stopRequested) {
        this.socket.stop();
        cb.ended(undefined, 0);
        return;
      }
      const status = code ?? 1;
      const why =
        killedFor ?? (signal ? `driver killed by ${signal}` : `driver exited with status ${status}${lastLine ? ` (last output: ${lastLine})` : ''}`);
      cb.ended(why, status);
    });
    return {
      runId: child.pid,
      stop: (graceMs) => {
        stopRequested = true;
        if (child.exitCode !== null || child.signalCode !== null) {
          this.socket.stop();
          return;
        }
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      },
      kill: (reason) => {
        killedFor = reason;
        child.kill('SIGKILL');
      },
      shutdown: () => false,
      instcmd: (c, p, t) => this.socket.instcmd(c, p, t),
      setvar: (n, v, t) => this.socket.setvar(n, v, t),
    };
  }

  protected shutdownRunning(): Promise<StartResult> {
    return this.shutdownOnce(this.startOptions);
  }

  /** NUT's way: a separate `driver -a ups -k` run. */
  protected shutdownOnce(options: StartOptions): Promise<StartResult> {
    return new Promise((resolve) => {
      const messages: string[] = [];
      const child = this.exec(this.args(['-k'], options), { log: (_l, m) => messages.push(m) });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        messages.push(STARTUP_TIMER_ELAPSED);
      }, options.maxstartdelayMs ?? 45_000);
      child.on('error', (err) => messages.push(`Can't start ${this.options.program}: ${err.message}`));
      child.on('close', (code) => {
        clearTimeout(timer);
        const ok = code === 0;
        if (!ok) messages.push(`Driver failed to start (exit status=${code ?? 1})`);
        resolve({ ok, messages });
      });
    });
  }
}
