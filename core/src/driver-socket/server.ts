/**
 * NUT's driver socket, server side (drivers/dstate.c, reference/sock-protocol.md): a Unix
 * socket `<statepath>/<driver>-<ups>` (mode 0660) that NUT's upsd (or anything else) connects
 * to. Answers DUMPALL, PING, INSTCMD and SET (with and without TRACKING) and broadcasts every
 * change of the tree to all connections. Values are escaped in live updates too.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { Feed, ParseconfMachine } from '../config/parseconf.js';
import type { DstateOp } from '../dstate/ops.js';
import type { StateTree } from '../dstate/tree.js';
import { encodeOp } from './codec.js';

export interface DriverCommands {
  /** reply: call with the HandlerStatus once handled (only when the driver has a handler). */
  instcmd(command: string, param: string | undefined, reply: (status: number) => void): void;
  setvar(name: string, value: string, reply: (status: number) => void): void;
}

export interface DriverSocketOptions {
  path: string;
  tree: StateTree;
  commands: DriverCommands;
  log?(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** A connection whose unread output exceeds this is dropped (NUT drops on write failure). */
  maxBacklogBytes?: number;
}

/** `<statepath>/<driver>-<upsname>`, as NUT's driver and upsd both derive it. */
export function driverSocketPath(statePath: string, driver: string, upsname: string): string {
  return `${statePath.replace(/\/+$/, '')}/${driver}-${upsname}`;
}

class Connection {
  private readonly machine = new ParseconfMachine();
  private out: string[] = [];
  private scheduled = false;

  constructor(
    readonly socket: Socket,
    private readonly server: DriverSocketServer,
  ) {}

  send(text: string): void {
    if (this.socket.destroyed) return;
    this.out.push(text);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.socket.destroyed || this.out.length === 0) return;
    const text = this.out.join('');
    this.out = [];
    if (this.socket.writableLength > this.server.maxBacklog) {
      this.server.logMessage('warn', 'driver socket: client does not read its data; disconnecting');
      this.socket.destroy();
      return;
    }
    this.socket.write(text, 'latin1');
  }

  feed(chunk: Buffer): void {
    for (const ch of chunk) {
      const r = this.machine.feed(ch);
      if (r === Feed.Line) {
        const words = this.machine.words;
        if (words.length > 0) this.server.handle(this, words);
      } else if (r === Feed.Error) {
        this.server.logMessage('debug', `Parse error on sock: ${this.machine.errorMessage}`);
      }
    }
  }
}

export class DriverSocketServer {
  private readonly server: Server;
  private readonly conns = new Set<Connection>();
  private readonly offTree: () => void;
  readonly maxBacklog: number;
  private closed = false;

  private constructor(private readonly options: DriverSocketOptions) {
    this.maxBacklog = options.maxBacklogBytes ?? 4 * 1024 * 1024;
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (e) => this.logMessage('error', `driver socket ${options.path}: ${e.message}`));
    this.offTree = options.tree.onChange((op) => this.broadcast(op));
  }

  /** Unlinks a stale socket file, listens, chmod 0660. Rejects when it cannot listen. */
  static async listen(options: DriverSocketOptions): Promise<DriverSocketServer> {
    const s = new DriverSocketServer(options);
    try {
      unlinkSync(options.path);
    } catch {
      // nothing to remove
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      s.server.once('error', onError);
      s.server.listen({ path: options.path, backlog: 16 }, () => {
        s.server.off('error', onError);
        resolve();
      });
    }).catch((e: unknown) => {
      s.offTree();
      throw e;
    });
    chmodSync(options.path, 0o660);
    return s;
  }

  get path(): string {
    return this.options.path;
  }

  get connections(): number {
    return this.conns.size;
  }

  logMessage(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this);
    this.conns.add(conn);
    socket.on('data', (chunk: Buffer) => conn.feed(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.conns.delete(conn));
  }

  private broadcast(op: DstateOp): void {
    if (this.conns.size === 0) return;
    const line = encodeOp(op);
    for (const c of this.conns) c.send(line);
  }

  /** One tokenized line from a client (drivers/dstate.c sock_arg). */
  handle(conn: Connection, words: string[]): void {
    const verb = words[0].toUpperCase();
    const n = words.length;
    const tracked = (id: string | undefined) => (status: number) => {
      if (id !== undefined) conn.send(`TRACKING ${id} ${status}\n`);
    };
    switch (verb) {
      case 'DUMPALL': {
        const lines = this.options.tree.dump().map(encodeOp);
        lines.push('DUMPDONE\n');
        conn.send(lines.join(''));
        return;
      }
      case 'PING':
        conn.send('PONG\n');
        return;
      case 'INSTCMD': {
        // INSTCMD <cmd> [<param>] [TRACKING <id>]
        let param: string | undefined;
        let id: string | undefined;
        if (n === 2) {
          // no param
        } else if (n === 3) {
          param = words[2];
        } else if (n === 4 && words[2].toUpperCase() === 'TRACKING') {
          id = words[3];
        } else if (n === 5 && words[3].toUpperCase() === 'TRACKING') {
          param = words[2];
          id = words[4];
        } else {
          this.logMessage('info', `Malformed INSTCMD request: ${words.join(' ')}`);
          return;
        }
        this.options.commands.instcmd(words[1], param, tracked(id));
        return;
      }
      case 'SET': {
        // SET <var> <value> [TRACKING <id>]
        if (n < 3) {
          this.logMessage('info', `Malformed SET request: ${words.join(' ')}`);
          return;
        }
        let id: string | undefined;
        if (n >= 5) {
          if (words[3].toUpperCase() !== 'TRACKING') {
            this.logMessage('info', `Malformed SET request: ${words.join(' ')}`);
            return;
          }
          id = words[4];
        }
        this.options.commands.setvar(words[1], words[2], tracked(id));
        return;
      }
      default:
        this.logMessage('info', `Unknown command on socket: ${words.join(' ')}`);
    }
  }

  /** Closes every connection and the listener, and removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.offTree();
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      unlinkSync(this.options.path);
    } catch {
      // already gone
    }
  }
}
