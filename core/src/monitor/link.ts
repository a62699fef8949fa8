/**
 * The one network seam of upsmon: a line-oriented session with upsd. The state machine only
 * sees this interface, so tests can swap in a scripted server and the TCP code can move to
 * the shared client library without touching the monitor.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { splitLine } from '../client/words.js';

export interface LinkOptions {
  host: string;
  port: number;
  /** Send STARTTLS first and upgrade on `OK STARTTLS` (TRYSSL), else carry on in clear text. */
  tryTls: boolean;
  /** Fail unless TLS comes up (FORCESSL / REQSSL). */
  requireTls: boolean;
  certVerify: boolean;
  /** CERTPATH: a directory of PEM certificates (or one PEM file) trusted for verification. */
  certPath?: string;
  /** Per-line answer timeout (NUT: 10 s alarm around each poll). */
  timeoutMs: number;
}

export interface UpsLink {
  /** Sends one request line and resolves with the answer line (without LF). */
  request(line: string): Promise<string>;
  /** Reads the next line without sending anything (list bodies). */
  readLine(): Promise<string>;
  /** Sends a line without waiting for an answer (LOGOUT). */
  send(line: string): void;
  close(): void;
  readonly open: boolean;
  readonly tls: boolean;
}

export type LinkFactory = (opts: LinkOptions) => Promise<UpsLink>;

export class LinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkError';
  }
}

/** `ERR <NAME>` answers as libupsclient names them in logs. */
export function describeAnswer(answer: string): string {
  const words = splitLine(answer).words;
  if (words[0] === 'ERR') return `Server error: ${words.slice(1).join(' ')}`;
  return answer;
}

class TcpLink implements UpsLink {
  private buffer = '';
  private pending: string[] = [];
  private waiters: Array<{ resolve: (l: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  private closed = false;
  tls = false;

  constructor(
    private socket: Socket,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) {
          clearTimeout(w.timer);
          w.resolve(line);
        } else {
          this.pending.push(line);
        }
      }
    });
    const fail = (err?: Error) => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new LinkError(err ? err.message : 'Server disconnected'));
      }
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  get open(): boolean {
    return !this.closed;
  }

  request(line: string): Promise<string> {
    return this.readLine(line);
  }

  readLine(line?: string): Promise<string> {
    if (line !== undefined) this.pending = [];
    else if (this.pending.length) return Promise.resolve(this.pending.shift() as string);
    if (this.closed) return Promise.reject(new LinkError('Not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.timer === timer);
        if (i >= 0) this.waiters.splice(i, 1);
        // a late answer would be taken for the next request: drop the session
        this.close();
        reject(new LinkError('Read timeout'));
      }, this.timeoutMs);
      this.waiters.push({ resolve, reject, timer });
      if (line !== undefined) this.socket.write(line + '\n', 'latin1');
    });
  }

  send(line: string): void {
    if (!this.closed) this.socket.write(line + '\n', 'latin1');
  }

  /** LOGOUT without waiting for the answer, then close (libupsclient's upscli_disconnect). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end('LOGOUT\n', 'latin1');
    this.socket.destroy();
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new LinkError('Connection closed'));
    }
  }

  /** Replaces the plain socket with a TLS one over it (after `OK STARTTLS`). */
  async upgrade(host: string, verify: boolean): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    const secure = await new Promise<Socket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, servername: host, rejectUnauthorized: verify }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.tls = true;
    this.attach(secure);
  }
}

/** Opens a TCP session (NUT's upscli_connect): STARTTLS first when asked, clear text fallback. */
export const tcpLink: LinkFactory = async (opts) => {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new LinkError('Connection failure: timed out'));
    }, opts.timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new LinkError(`Connection failure: ${err.code === 'ECONNREFUSED' ? 'Connection refused' : err.message}`));
    });
  });
  socket.setNoDelay(true);
  const link = new TcpLink(socket, opts.timeoutMs);
  if (opts.tryTls || opts.requireTls) {
    const answer = await link.request('STARTTLS');
    if (answer.startsWith('OK STARTTLS')) {
      try {
        await link.upgrade(opts.host, opts.certVerify);
      } catch (err) {
        link.close();
        throw new LinkError(`SSL error: ${(err as Error).message}`);
      }
    } else if (opts.requireTls) {
      link.close();
      throw new LinkError('SSL error: server does not support STARTTLS');
    }
  }
  return link;
};

/** PEM certificates under CERTPATH (*.pem, *.crt, *.cert), or the file itself. */
export function loadCertPath(path: string | undefined): string[] | undefined {
  if (!path) return undefined;
  try {
    if (statSync(path).isFile()) return [readFileSync(path, 'latin1')];
    const pems = readdirSync(path)
      .filter((f) => /\.(pem|crt|cert)$/i.test(f))
      .map((f) => readFileSync(join(path, f), 'latin1'))
      .filter((text) => text.includes('-----BEGIN CERTIFICATE-----'));
    return pems.length ? pems : undefined;
  } catch {
    return undefined;
  }
}
