/**
 * Client side of the control socket, and ensureHost(): find the host that serves this state
 * path, or start one (detached, logging to <statepath>/nut-ts.log) and wait until it answers.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlReply, ControlRequest } from './control-protocol.js';
import { controlSocketPath, hostLogPath, nutPaths, type NutPaths } from './paths.js';
import { openStateFileAppend, secureStateDir, StateFileError } from './state-dir.js';

export class HostUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostUnavailableError';
  }
}

export class ControlClient {
  private socket: Socket | undefined;
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ControlReply) => void; reject: (e: Error) => void }>();

  constructor(readonly path: string) {}

  connect(timeoutMs = 2_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new HostUnavailableError(`no answer on ${this.path}`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        this.socket = s;
        s.setEncoding('utf8');
        s.on('data', (chunk: string) => this.receive(chunk));
        s.on('close', () => this.failAll(new HostUnavailableError('the nut-ts host closed the control connection')));
        resolve();
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new HostUnavailableError(`cannot reach the nut-ts host on ${this.path}: ${err.message}`));
      });
    });
  }

  private receive(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let reply: ControlReply;
      try {
        reply = JSON.parse(line) as ControlReply;
      } catch {
        continue;
      }
      const p = this.pending.get(reply.id);
      if (p) {
        this.pending.delete(reply.id);
        p.resolve(reply);
      }
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  request(req: ControlRequest): Promise<ControlReply> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.reject(new HostUnavailableError('not connected to the nut-ts host'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      s.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  close(): void {
    this.socket?.end();
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** Connects to the host serving `statePath`; undefined when none answers. */
export async function findHost(paths: NutPaths = nutPaths()): Promise<ControlClient | undefined> {
  const path = controlSocketPath(paths.statePath);
  if (!existsSync(path)) return undefined;
  const client = new ControlClient(path);
  try {
    await client.connect();
    const pong = await client.request({ cmd: 'ping' });
    if (!pong.ok) throw new Error('bad ping');
    return client;
  } catch {
    client.close();
    return undefined;
  }
}

/** core/dist/host/daemon.js, from either src or dist. */
export function daemonPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'host', 'daemon.js');
}

export interface EnsureHostOptions {
  paths?: NutPaths;
  /** Working directory of a newly started host (node_modules plugin discovery). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function logTail(file: string, since: number): string {
  try {
    const text = readFileSync(file, 'utf8').slice(since);
    return text.trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/**
 * A client connected to the host for this state path, starting the host daemon when none
 * answers. The daemon is detached and outlives the caller.
 */
export async function ensureHost(options: EnsureHostOptions = {}): Promise<ControlClient> {
  const paths = options.paths ?? nutPaths(options.env);
  const existing = await findHost(paths);
  if (existing) return existing;
  if (!existsSync(paths.statePath)) {
    throw new HostUnavailableError(`state path ${paths.statePath} does not exist (set NUT_STATEPATH)`);
  }
  const script = daemonPath();
  if (!existsSync(script)) throw new HostUnavailableError(`host daemon missing: ${script} (run npm run build)`);
  const logFile = hostLogPath(paths.statePath);
  let since = 0;
  try {
    since = statSync(logFile).size;
  } catch {
    since = 0;
  }
  let fd: number;
  try {
    secureStateDir(paths.statePath);
    fd = openStateFileAppend(logFile);
  } catch (e) {
    if (e instanceof StateFileError) throw new HostUnavailableError(e.message);
    throw e;
  }
  const child = spawn(process.execPath, [script], {
    cwd: options.cwd ?? process.cwd(),
    env: {
      ...(options.env ?? process.env),
      NUT_CONFPATH: paths.confPath,
      NUT_STATEPATH: paths.statePath,
      NUT_ALTPIDPATH: paths.altPidPath,
    },
    detached: true,
    // The daemon writes its own log (rotated, reopened on SIGHUP); stderr keeps what Node
    // itself prints before that log is open.
    stdio: ['ignore', 'ignore', fd],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  // A host that exits at once may have lost a race with another one starting: look a while longer.
  let graceUntil: number | undefined;
  while (Date.now() < deadline) {
    const client = await findHost(paths);
    if (client) return client;
    if (exited !== undefined) {
      graceUntil ??= Date.now() + 3_000;
      if (Date.now() > graceUntil) {
        throw new HostUnavailableError(`the nut-ts host exited at start (status ${exited}): ${logTail(logFile, since) || 'no output'}`);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new HostUnavailableError(`the nut-ts host did not answer on ${controlSocketPath(paths.statePath)} (log: ${logFile})`);
}
