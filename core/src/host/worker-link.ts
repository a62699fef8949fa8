/**
 * The two ways a driver worker runs: a worker thread (shared call board, resource limits), or
 * a child process speaking the same protocol over IPC (for plugins that block a thread in a
 * system call: a process can always be killed, a thread in a system call cannot be ended).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { CallBoard, type HostToWorker, type WorkerData, type WorkerToHost } from './worker-protocol.js';

export type WorkerRunner = 'thread' | 'process';

export interface WorkerLink {
  readonly runner: WorkerRunner;
  /** Thread id or process id. */
  readonly id: number;
  readonly board: CallBoard;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  post(m: HostToWorker, transfer?: readonly unknown[]): boolean;
  /** Resolves once the worker has exited; a thread blocked in a system call never does. */
  terminate(): Promise<void>;
  /** Do not keep the host's event loop alive for this worker. */
  unref(): void;
  on(event: 'message', listener: (m: WorkerToHost) => void): void;
  on(event: 'error', listener: (e: Error & { code?: string }) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
}

export interface LinkOptions {
  workerPath: string;
  name: string;
  slots: number;
  resourceLimits: ResourceLimits;
  /** Extra Node options for a child process (the permission model of a confined plugin). */
  execArgv?: readonly string[];
}

export function threadLink(o: LinkOptions): WorkerLink {
  const board = CallBoard.create(o.slots, true);
  const workerData: WorkerData = { board: board.cells.buffer as SharedArrayBuffer };
  const worker = new Worker(o.workerPath, {
    env: {},
    resourceLimits: o.resourceLimits,
    stdout: true,
    stderr: true,
    name: o.name,
    workerData,
  });
  return {
    runner: 'thread',
    id: worker.threadId,
    board,
    stdout: worker.stdout,
    stderr: worker.stderr,
    post(m, transfer) {
      try {
        worker.postMessage(m, transfer as never);
        return true;
      } catch {
        return false;
      }
    },
    terminate: () => worker.terminate().then(() => undefined),
    unref: () => worker.unref(),
    on: (event: string, listener: (...a: any[]) => void) => void worker.on(event, listener), // eslint-disable-line @typescript-eslint/no-explicit-any
  } as WorkerLink;
}

export function processLink(o: LinkOptions): WorkerLink {
  const board = CallBoard.create(o.slots, false);
  const heap = o.resourceLimits.maxOldGenerationSizeMb;
  const child: ChildProcess = fork(o.workerPath, [], {
    env: {},
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [...(heap ? [`--max-old-space-size=${heap}`] : []), ...(o.execArgv ?? [])],
  });
  const events = new EventEmitter();
  let exited = false;
  // a child must not outlive the host, whatever way the host ends
  const reap = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (m: WorkerToHost) => {
    if (m.t === 'beat') board.load(m.board);
    events.emit('message', m);
  });
  child.on('error', (e) => events.emit('error', e));
  child.on('exit', (code, signal) => {
    exited = true;
    process.off('exit', reap);
    events.emit('exit', code ?? (signal ? 128 + 9 : 1));
  });
  return {
    runner: 'process',
    id: child.pid ?? -1,
    board,
    stdout: child.stdout,
    stderr: child.stderr,
    post(m) {
      if (exited || !child.connected) return false;
      try {
        child.send(m);
        return true;
      } catch {
        return false;
      }
    },
    terminate() {
      if (!exited) child.kill('SIGKILL');
      return exitedP;
    },
    unref() {
      child.unref();
      child.channel?.unref();
    },
    on: (event: string, listener: (...a: any[]) => void) => void events.on(event, listener), // eslint-disable-line @typescript-eslint/no-explicit-any
  } as WorkerLink;
}
