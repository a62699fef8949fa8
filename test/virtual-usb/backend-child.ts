/**
 * The USB/HID backends run in a child process under a virtual device's environment; a test
 * drives them with `call(op, ...args)` and reads the handle events (close, input) as they
 * come. See backend-child.mjs for the operations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TransportErrorCode, UsbDeviceInfo } from '../../core/src/plugin-api/transports.js';

const CHILD = fileURLToPath(new URL('./backend-child.mjs', import.meta.url));

export class RemoteError extends Error {
  constructor(
    readonly code: TransportErrorCode | string,
    message: string,
  ) {
    super(message);
  }
}

export interface BackendEvent {
  event: 'close' | 'input';
  handle: number;
  error?: { code: string; message: string } | null;
  hex?: string;
}

export interface BackendChild {
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T>;
  /** Calls expected to fail: resolves with the error. */
  fail(op: string, ...args: unknown[]): Promise<RemoteError>;
  open(op: 'openUsb' | 'openHid', match: Record<string, unknown>): Promise<{ handle: number; info: UsbDeviceInfo }>;
  events: BackendEvent[];
  stderr(): string;
  stop(): Promise<void>;
}

export async function startBackendChild(env: Record<string, string>, options: { uid?: number; gid?: number } = {}): Promise<BackendChild> {
  const child: ChildProcess = spawn(process.execPath, [CHILD], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const events: BackendEvent[] = [];
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: () => void = () => undefined;
  const readyP = new Promise<void>((r) => (ready = r));
  let nextId = 1;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as { id?: number; ok?: boolean; value?: unknown; error?: { code: string; message: string }; event?: string };
    if (msg.event === 'ready') return ready();
    if (msg.event) return void events.push(msg as BackendEvent);
    const w = waiting.get(msg.id!);
    waiting.delete(msg.id!);
    if (msg.ok) w?.resolve(msg.value);
    else w?.reject(new RemoteError(msg.error!.code, msg.error!.message));
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiting.values()) w.reject(new Error(`backend child exited (${code ?? signal}): ${stderr}`));
      waiting.clear();
      resolve();
    }),
  );
  await Promise.race([readyP, exited.then(() => Promise.reject(new Error(`backend child did not start: ${stderr}`)))]);
  const call = <T>(op: string, ...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
    });
  return {
    call,
    async fail(op, ...args) {
      try {
        await call(op, ...args);
      } catch (e) {
        if (e instanceof RemoteError) return e;
        throw e;
      }
      throw new Error(`${op} was expected to fail and did not`);
    },
    open: (op, match) => call(op, match),
    events,
    stderr: () => stderr,
    async stop() {
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
