/**
 * A NUT network protocol client (protocol 1.3, reference/net-protocol.md): one TCP (or TLS)
 * connection, requests pipelined and answered strictly in order.
 */
import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { cAtoi } from '../config/c-numbers.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './address.js';
import { NutError, connectError, errorFromReply, strerror } from './errors.js';
import { quoteArg, splitLine, type ParsedLine } from './words.js';

export type TlsMode = 'off' | 'try' | 'require';

export interface ReconnectOptions {
  /** First delay after a lost connection, ms (default 500). */
  initialDelay?: number;
  /** Upper bound of the delay, ms (default 30 000). */
  maxDelay?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
}

export interface NutClientOptions {
  host?: string;
  port?: number;
  /** 4 or 6 to restrict the address family; 0 (default) tries every address in resolver order. */
  family?: 0 | 4 | 6;
  /** STARTTLS: `off` (default, like upsrw/upscmd), `try` (like upsc/upsmon), `require`. */
  tls?: TlsMode;
  /** Trusted CA certificate(s) (PEM) for verification. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify the server certificate (NUT's CERTVERIFY; default false as in NUT). */
  verify?: boolean;
  /** Name expected in the server certificate (default: host, unless it is an IP literal). */
  servername?: string;
  /** Further options for tls.connect (client certificate, ciphers…). */
  tlsOptions?: tls.ConnectionOptions;
  /** Fail a pending request when nothing arrives for this long, ms (default 5000, as libupsclient). */
  timeout?: number;
  /** Give up connecting after this long, ms (default 10 000). */
  connectTimeout?: number;
  /** Reconnect with exponential backoff after the connection is lost. */
  reconnect?: boolean | ReconnectOptions;
  /** Called for each byte the line grammar discards from an answer (NUT clients log these). */
  onDroppedChar?: (byte: number) => void;
  /** Runs after every (re)connect, before requests queued meanwhile (e.g. USERNAME/LOGIN). */
  onConnect?: (client: NutClient) => Promise<void>;
}

type State = 'idle' | 'connecting' | 'setup' | 'open' | 'waiting' | 'closed';

interface Pending {
  kind: 'line' | 'list';
  line: string;
  items: string[][];
  began: boolean;
  failure?: NutError;
  resolve: (value: string | string[][]) => void;
  reject: (err: NutError) => void;
}

interface Queued {
  send: () => void;
  reject: (err: NutError) => void;
}

const MAX_LINE = 64 * 1024;

export class NutClient extends EventEmitter {
  readonly host: string;
  readonly port: number;
  private readonly opts: NutClientOptions;
  private socket?: net.Socket;
  private state: State = 'idle';
  private buffer = '';
  private pending: Pending[] = [];
  private backlog: Queued[] = [];
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private attempts = 0;
  private connecting?: Promise<void>;
  private secure = false;

  constructor(options: NutClientOptions = {}) {
    super();
    this.opts = options;
    this.host = options.host ?? DEFAULT_HOST;
    this.port = options.port ?? DEFAULT_PORT;
  }

  /** True once STARTTLS succeeded on the current connection. */
  get tls(): boolean {
    return this.secure;
  }

  get connected(): boolean {
    return this.state === 'open' || this.state === 'setup';
  }

  /** Connects (and runs STARTTLS per `tls`); resolves when requests can be sent. */
  connect(): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.connecting) return this.connecting;
    clearTimeout(this.retryTimer);
    this.state = 'connecting';
    this.connecting = this.establish().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Sends LOGOUT without waiting (as libupsclient does) and closes; no reconnect follows. */
  close(): void {
    const wasOpen = this.connected;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    const err = new NutError('CLOSED', 'Connection closed');
    this.outgoing = '';
    this.outgoingSocket = undefined;
    this.failAll(err);
    const s = this.socket;
    this.socket = undefined;
    if (s && !s.destroyed) {
      if (wasOpen) s.end('LOGOUT\n');
      else s.destroy();
      setTimeout(() => s.destroy(), 1000).unref();
    }
  }

  /** Sends one raw line and resolves with the raw answer line (`ERR …` included, not thrown). */
  command(line: string): Promise<string> {
    return this.enqueue('line', line) as Promise<string>;
  }

  /** `GET <query…>`: resolves with the answer's words after checking the echo; throws on ERR. */
  async get(query: string[]): Promise<string[]> {
    const line = await this.command(buildCommand('GET', query));
    if (line.startsWith('ERR')) throw errorFromReply(line);
    const parsed = this.parse(line);
    if (parsed.error) throw new NutError('PARSE', `Parse error: ${parsed.error}`, { reply: line });
    if (!echoes(query, parsed.words)) throw new NutError('PROTOCOL', 'Protocol error', { reply: line });
    return parsed.words;
  }

  /** `LIST <query…>`: resolves with each item's words (echo checked); throws on ERR. */
  list(query: string[]): Promise<string[][]> {
    return this.enqueue('list', buildCommand('LIST', query), query) as Promise<string[][]>;
  }

  /** A command answered by `OK…`: resolves with the line, throws NutError on ERR. */
  async simple(line: string): Promise<string> {
    const answer = await this.command(line);
    if (answer.startsWith('ERR')) throw errorFromReply(answer);
    return answer;
  }

  // ---- protocol helpers (throw NutError on ERR answers) ---------------------------------

  async getVar(ups: string, name: string): Promise<string> {
    return (await this.get(['VAR', ups, name]))[3] ?? '';
  }

  async listVar(ups: string): Promise<NameValue[]> {
    return (await this.list(['VAR', ups])).map((w) => ({ name: w[2] ?? '', value: w[3] ?? '' }));
  }

  /** Writable variables with their values. */
  async listRw(ups: string): Promise<NameValue[]> {
    return (await this.list(['RW', ups])).map((w) => ({ name: w[2] ?? '', value: w[3] ?? '' }));
  }

  async listCmd(ups: string): Promise<string[]> {
    return (await this.list(['CMD', ups])).map((w) => w[2] ?? '');
  }

  async listEnum(ups: string, name: string): Promise<string[]> {
    return (await this.list(['ENUM', ups, name])).map((w) => w[3] ?? '');
  }

  /** Ranges as upsd sends them; `min`/`max` are the raw strings (clients use atoi). */
  async listRange(ups: string, name: string): Promise<Array<{ min: string; max: string }>> {
    return (await this.list(['RANGE', ups, name])).map((w) => ({ min: w[3] ?? '', max: w[4] ?? '' }));
  }

  async listUps(): Promise<Array<{ name: string; description: string }>> {
    return (await this.list(['UPS'])).map((w) => ({ name: w[1] ?? '', description: w[2] ?? '' }));
  }

  /** Addresses of the clients logged into a UPS (`LIST CLIENT`). */
  async listClients(ups: string): Promise<string[]> {
    return (await this.list(['CLIENT', ups])).map((w) => w[2] ?? '');
  }

  /** Type words after the echo, e.g. `['RW', 'STRING:32']` or `['NUMBER']`. */
  async getType(ups: string, name: string): Promise<string[]> {
    return (await this.get(['TYPE', ups, name])).slice(3);
  }

  async getDesc(ups: string, name: string): Promise<string> {
    return (await this.get(['DESC', ups, name]))[3] ?? '';
  }

  async getCmdDesc(ups: string, cmd: string): Promise<string> {
    return (await this.get(['CMDDESC', ups, cmd]))[3] ?? '';
  }

  async getUpsDesc(ups: string): Promise<string> {
    return (await this.get(['UPSDESC', ups]))[2] ?? '';
  }

  async numLogins(ups: string): Promise<number> {
    return atoi((await this.get(['NUMLOGINS', ups]))[2] ?? '');
  }

  /** `USERNAME` then `PASSWORD` (upsd answers OK to both; checks come per command). */
  async authenticate(username: string, password: string): Promise<void> {
    await this.simple(buildCommand('USERNAME', [username]));
    await this.simple(buildCommand('PASSWORD', [password]));
  }

  async login(ups: string): Promise<void> {
    await this.simple(buildCommand('LOGIN', [ups]));
  }

  /** `PRIMARY`, falling back to `MASTER` for servers older than 2.8.0 (as upsmon does). */
  async primary(ups: string): Promise<string> {
    const answer = await this.command(buildCommand('PRIMARY', [ups]));
    if (answer.startsWith('OK')) return answer;
    return this.simple(buildCommand('MASTER', [ups]));
  }

  async fsd(ups: string): Promise<void> {
    await this.simple(buildCommand('FSD', [ups]));
  }

  /** `SET VAR`; resolves with the tracking id when tracking is on, else undefined. */
  async setVar(ups: string, name: string, value: string): Promise<string | undefined> {
    const answer = await this.simple(`SET VAR ${quoteArg(ups)} ${quoteArg(name)} "${encode(value)}"`);
    return trackingId(answer);
  }

  /** `INSTCMD`; resolves with the tracking id when tracking is on, else undefined. */
  async instcmd(ups: string, cmd: string, param?: string): Promise<string | undefined> {
    const args = param === undefined ? [ups, cmd] : [ups, cmd, param];
    return trackingId(await this.simple(buildCommand('INSTCMD', args)));
  }

  async setTracking(on: boolean): Promise<void> {
    await this.simple(`SET TRACKING ${on ? 'ON' : 'OFF'}`);
  }

  /** `GET TRACKING <id>`: `PENDING`, `SUCCESS` or an `ERR …` result, as the server words it. */
  async getTracking(id: string): Promise<string> {
    return this.command(`GET TRACKING ${id}`);
  }

  /** Polls a tracking id until it is no longer PENDING; throws TIMEOUT after `timeoutMs`. */
  async tracking(id: string, timeoutMs = 10_000, intervalMs = 1000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.getTracking(id);
      if (!status.startsWith('PENDING')) return status;
      if (Date.now() + intervalMs > deadline) throw new NutError('TIMEOUT', 'timeout');
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  async ver(): Promise<string> {
    return this.simple('VER');
  }

  async netver(): Promise<string> {
    return this.simple('NETVER');
  }

  /** `LOGOUT`, waiting for `OK Goodbye`, then closes. */
  async logout(): Promise<string> {
    const answer = await this.command('LOGOUT').catch(() => '');
    this.state = 'closed';
    this.close();
    return answer;
  }

  // ---- connection --------------------------------------------------------------------

  private async establish(): Promise<void> {
    let socket: net.Socket;
    try {
      socket = await this.openTcp();
    } catch (err) {
      this.onConnectFailed(err as NutError);
      throw err;
    }
    if (this.state === 'closed') {
      socket.destroy();
      throw new NutError('CLOSED', 'Connection closed');
    }
    this.attach(socket);
    this.secure = false;
    this.state = 'setup';
    try {
      if ((this.opts.tls ?? 'off') !== 'off') await this.startTls();
      if (this.opts.onConnect) await this.opts.onConnect(this);
    } catch (err) {
      const e = err instanceof NutError ? err : new NutError('UNKNOWN', String((err as Error)?.message ?? err));
      this.detach();
      socket.destroy();
      this.onConnectFailed(e);
      throw e;
    }
    if (this.state !== 'setup') {
      const e = new NutError('SERVER-DISCONNECTED', 'Server disconnected');
      if (this.state !== 'closed') this.onConnectFailed(e);
      throw e;
    }
    this.state = 'open';
    this.attempts = 0;
    this.emit('connect');
    const queued = this.backlog;
    this.backlog = [];
    for (const q of queued) q.send();
  }

  private async openTcp(): Promise<net.Socket> {
    let addresses: { address: string; family: number }[];
    if (net.isIP(this.host)) {
      addresses = [{ address: this.host, family: net.isIP(this.host) }];
    } else {
      try {
        addresses = await lookup(this.host, { all: true, family: this.opts.family ?? 0, verbatim: true });
      } catch (err) {
        throw connectError(err);
      }
    }
    if (this.opts.family) addresses = addresses.filter((a) => a.family === this.opts.family);
    if (addresses.length === 0) throw new NutError('NO-SUCH-HOST', 'No such host');
    let last: unknown;
    for (const a of addresses) {
      try {
        return await this.tryAddress(a.address, a.family);
      } catch (err) {
        last = err;
      }
    }
    throw connectError(last);
  }

  private tryAddress(address: string, family: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: address, port: this.port, family });
      const t = setTimeout(() => {
        s.destroy();
        reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
      }, this.opts.connectTimeout ?? 10_000);
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(t);
        s.destroy();
        reject(err);
      });
    });
  }

  private async startTls(): Promise<void> {
    const answer = await this.command('STARTTLS');
    if (!answer.startsWith('OK STARTTLS')) {
      if (this.opts.tls === 'require') throw new NutError('SSL-UNAVAILABLE', 'SSL is not available', { reply: answer });
      return;
    }
    const plain = this.socket!;
    this.detach();
    const servername = this.opts.servername ?? (net.isIP(this.host) ? undefined : this.host);
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const t = tls.connect({
        ...this.opts.tlsOptions,
        socket: plain,
        ca: this.opts.ca ?? this.opts.tlsOptions?.ca,
        host: this.host, // identity check against an IP literal (no SNI is sent for one)
        servername,
        rejectUnauthorized: this.opts.verify ?? false,
      });
      t.once('secureConnect', () => {
        t.removeAllListeners('error');
        resolve(t);
      });
      t.once('error', (err) => {
        t.destroy();
        reject(new NutError('SSL-ERROR', `SSL error: ${strerror(err)}`, { cause: err }));
      });
    });
    this.attach(secure);
    this.secure = true;
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.buffer = '';
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', this.onData);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onClose);
  }

  private detach(): void {
    const s = this.socket;
    if (!s) return;
    s.off('data', this.onData);
    s.off('error', this.onSocketError);
    s.off('close', this.onClose);
    this.socket = undefined;
  }

  private onSocketError = (err: Error): void => {
    this.lastSocketError = err;
  };

  private lastSocketError?: Error;

  private onClose = (): void => {
    this.detach();
    this.secure = false;
    const err = this.lastSocketError
      ? new NutError('SERVER-DISCONNECTED', `Read error: ${strerror(this.lastSocketError)}`, { cause: this.lastSocketError })
      : new NutError('SERVER-DISCONNECTED', 'Server disconnected');
    this.lastSocketError = undefined;
    this.failPending(err);
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    if (this.state === 'setup' || this.state === 'connecting') {
      // establish() notices and reports the failure
      this.state = 'connecting';
      return;
    }
    this.emit('disconnect', err);
    if (wasOpen && this.reconnectOptions()) this.scheduleReconnect();
    else {
      this.state = 'idle';
      this.failBacklog(err);
    }
  };

  private reconnectOptions(): ReconnectOptions | undefined {
    const r = this.opts.reconnect;
    if (!r) return undefined;
    return r === true ? {} : r;
  }

  private onConnectFailed(err: NutError): void {
    if (this.state === 'closed') return;
    const r = this.reconnectOptions();
    if (r && (this.attempts > 0 || this.backlog.length > 0)) {
      this.scheduleReconnect();
      return;
    }
    this.state = 'idle';
    this.failBacklog(err);
  }

  private scheduleReconnect(): void {
    const r = this.reconnectOptions()!;
    if (r.maxAttempts !== undefined && this.attempts >= r.maxAttempts) {
      this.state = 'idle';
      this.emit('giveup');
      this.failBacklog(new NutError('NOT-CONNECTED', 'Not connected'));
      return;
    }
    const delay = Math.min(r.maxDelay ?? 30_000, (r.initialDelay ?? 500) * Math.pow(r.factor ?? 2, this.attempts));
    this.attempts++;
    this.state = 'waiting';
    this.emit('reconnecting', { attempt: this.attempts, delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.state = 'idle';
      this.connect().catch((err: NutError) => this.emit('connectError', err));
    }, delay);
  }

  // ---- requests ----------------------------------------------------------------------

  private enqueue(kind: 'line' | 'list', line: string, query?: string[]): Promise<string | string[][]> {
    return new Promise((resolve, reject) => {
      const p: Pending = { kind, line, items: [], began: false, resolve, reject };
      const send = (): void => {
        const s = this.socket;
        if (!s || s.destroyed) {
          reject(new NutError('NOT-CONNECTED', 'Not connected'));
          return;
        }
        this.pending.push(p);
        if (query) (p as Pending & { query?: string[] }).query = query;
        this.write(s, line + '\n');
        this.armTimer();
      };
      if (this.state === 'open' || this.state === 'setup') send();
      else if (this.state === 'connecting' || this.state === 'waiting') this.backlog.push({ send, reject });
      else reject(new NutError('NOT-CONNECTED', 'Not connected'));
    });
  }

  /** (Re)starts the answer timeout while requests are pending; `progress` = data arrived. */
  private armTimer(progress = false): void {
    if (this.pending.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer) {
      if (progress) this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const err = new NutError('TIMEOUT', 'Server disconnected');
      this.failPending(err);
      this.socket?.destroy();
    }, this.opts.timeout ?? 5000);
  }

  private onData = (chunk: string): void => {
    const text = this.buffer + chunk;
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      let line = text.slice(start, nl);
      start = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.onLine(line);
      if (this.socket === undefined) return; // a handler closed the connection
    }
    this.buffer = start === 0 ? text : text.slice(start);
    if (this.buffer.length > MAX_LINE) {
      this.failPending(new NutError('PROTOCOL', 'Protocol error'));
      this.socket?.destroy();
      return;
    }
    this.armTimer(true);
  };

  private onLine(line: string): void {
    const p = this.pending[0];
    if (!p) {
      this.emit('unsolicited', line);
      return;
    }
    if (p.kind === 'line') {
      this.pending.shift();
      p.resolve(line);
      return;
    }
    const query = (p as Pending & { query?: string[] }).query ?? [];
    if (!p.began) {
      if (line.startsWith('ERR')) return this.finish(p, errorFromReply(line));
      const parsed = this.parse(line);
      const w = parsed.words;
      if (parsed.error) return this.finish(p, new NutError('PARSE', `Parse error: ${parsed.error}`));
      if (w.length < 2 || w[0].toUpperCase() !== 'BEGIN' || w[1].toUpperCase() !== 'LIST' || !echoes(query, w.slice(2))) {
        return this.finish(p, new NutError('PROTOCOL', 'Protocol error', { reply: line }));
      }
      p.began = true;
      return;
    }
    if (line.startsWith('ERR')) {
      p.failure ??= errorFromReply(line);
      return this.finish(p, p.failure);
    }
    const parsed = this.parse(line);
    const w = parsed.words;
    if (w.length >= 2 && w[0] === 'END' && w[1] === 'LIST') {
      this.pending.shift();
      if (p.failure) p.reject(withPartial(p, p.failure));
      else p.resolve(p.items);
      return;
    }
    if (p.failure) return;
    if (parsed.error) p.failure = new NutError('PARSE', `Parse error: ${parsed.error}`);
    else if (!echoes(query, w)) p.failure = new NutError('PROTOCOL', 'Protocol error', { reply: line });
    else p.items.push(w);
  }

  private parse(line: string): ParsedLine {
    const parsed = splitLine(line);
    if (this.opts.onDroppedChar) for (const b of parsed.dropped) this.opts.onDroppedChar(b);
    return parsed;
  }

  private finish(p: Pending, err: NutError): void {
    this.pending.shift();
    p.reject(withPartial(p, err));
  }

  /** Requests issued in the same tick leave in one write (pipelining without a write per line). */
  private write(s: net.Socket, text: string): void {
    if (this.outgoingSocket !== s) this.flush();
    this.outgoingSocket = s;
    this.outgoing += text;
    if (this.outgoing.length === text.length) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const s = this.outgoingSocket;
    const data = this.outgoing;
    this.outgoing = '';
    this.outgoingSocket = undefined;
    if (s && data && !s.destroyed) s.write(data, 'latin1');
  }

  private outgoing = '';
  private outgoingSocket?: net.Socket;

  private failPending(err: NutError): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = this.pending;
    this.pending = [];
    for (const p of all) p.reject(withPartial(p, err));
  }

  private failBacklog(err: NutError): void {
    const all = this.backlog;
    this.backlog = [];
    for (const q of all) q.reject(err);
  }

  private failAll(err: NutError): void {
    this.failPending(err);
    this.failBacklog(err);
  }
}

export interface NameValue {
  name: string;
  value: string;
}

function encode(value: string): string {
  return value.replace(/[\\"#]/g, (c) => '\\' + c);
}

function trackingId(answer: string): string | undefined {
  const m = /^OK TRACKING (\S+)/.exec(answer);
  return m ? m[1] : undefined;
}

/** C atoi as glibc returns it: the long strtol reads, cut to int's 32 bits. */
export function atoi(s: string): number {
  return cAtoi(s) | 0;
}

/** `VERB arg arg…` with arguments quoted and escaped as libupsclient's build_cmd does. */
export function buildCommand(verb: string, args: string[]): string {
  return [verb, ...args.map(quoteArg)].join(' ');
}

/** A list that failed after BEGIN LIST carries the items read before the failure. */
function withPartial(p: Pending, err: NutError): NutError {
  if (p.kind !== 'list' || !p.began) return err;
  return new NutError(err.code, err.message, { fromServer: err.fromServer, reply: err.reply, cause: err, partial: p.items });
}

/** Case-insensitive echo check of the query words (libupsclient's verify_resp). */
function echoes(query: string[], words: string[]): boolean {
  if (words.length < query.length) return false;
  return query.every((q, i) => q.toLowerCase() === words[i].toLowerCase());
}

