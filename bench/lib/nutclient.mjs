/**
 * A minimal NUT network-protocol client for load generation: one request in flight per
 * connection, answers framed by the protocol (one line, or BEGIN LIST … END LIST), every wait
 * bounded by a timeout.
 */
import net from 'node:net';

export class NutConn {
  /** @param {net.Socket} sock */
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.pending = null;
    this.closed = false;
    sock.setEncoding('latin1');
    sock.setNoDelay(true);
    sock.on('data', (d) => this.#onData(d));
    sock.on('error', (e) => this.#fail(e));
    sock.on('close', () => {
      this.closed = true;
      this.#fail(new Error('connection closed'));
    });
  }

  static connect(port, host = '127.0.0.1', timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect ${host}:${port} timed out`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        resolve(new NutConn(sock));
      });
      sock.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  /** Sends one command line; resolves with the whole answer text (all lines). */
  request(line, timeoutMs = 10_000) {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    if (this.pending) return Promise.reject(new Error('request already in flight'));
    const isList = /^LIST\s/i.test(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new Error(`no answer to "${line}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { isList, resolve, reject, timer, scanFrom: 0 };
      this.sock.write(line + '\n');
      if (this.buf) this.#onData('');
    });
  }

  #onData(chunk) {
    this.buf += chunk;
    const p = this.pending;
    if (!p) return;
    let end = -1;
    if (!p.isList || this.buf.startsWith('ERR')) {
      end = this.buf.indexOf('\n');
      if (end >= 0) end += 1;
    } else {
      const i = this.buf.indexOf('\nEND LIST', p.scanFrom);
      if (i >= 0) {
        const nl = this.buf.indexOf('\n', i + 1);
        if (nl >= 0) end = nl + 1;
      } else {
        p.scanFrom = Math.max(0, this.buf.length - 9);
      }
    }
    if (end < 0) return;
    const answer = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(answer);
  }

  #fail(err) {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(err);
  }

  close() {
    this.closed = true;
    this.sock.destroy();
  }
}

/** Opens a connection, sends one command, closes; resolves with the answer. */
export async function oneShot(port, line, timeoutMs = 5000) {
  const c = await NutConn.connect(port, '127.0.0.1', timeoutMs);
  try {
    return await c.request(line, timeoutMs);
  } finally {
    c.close();
  }
}

/** Parses `VAR ups name "value"` lines of a LIST VAR answer into names. */
export function listedNames(answer) {
  const names = [];
  for (const line of answer.split('\n')) {
    const m = /^VAR \S+ (\S+) /.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

/** Waits until LIST VAR <ups> gives the same non-empty set twice in a row (the driver's dump is complete). */
export async function settledNames(port, ups, { timeoutMs = 20_000, gapMs = 300 } = {}) {
  const deadline = performance.now() + timeoutMs;
  let prev = '';
  for (;;) {
    let names = [];
    try {
      names = listedNames(await oneShot(port, `LIST VAR ${ups}`));
    } catch {
      /* not yet */
    }
    const key = names.join(',');
    if (names.length > 1 && key === prev) return names;
    if (performance.now() > deadline) return names;
    prev = key;
    await new Promise((r) => setTimeout(r, gapMs));
  }
}
