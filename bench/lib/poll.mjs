/** Asking many devices at once through a small pool of connections. */
import { NutConn } from './nutclient.mjs';

export class Pool {
  static async open(port, size) {
    const p = new Pool();
    p.conns = await Promise.all(Array.from({ length: size }, () => NutConn.connect(port)));
    return p;
  }

  /** GET VAR <ups> ups.status for each name; resolves with the set of names that answered VAR. */
  async statusOf(names, timeoutMs = 5000) {
    const ok = new Set();
    let next = 0;
    const worker = async (c) => {
      while (next < names.length && !c.closed) {
        const n = names[next++];
        try {
          const a = await c.request(`GET VAR ${n} ups.status`, timeoutMs);
          if (a.startsWith('VAR ')) ok.add(n);
        } catch {
          return;
        }
      }
    };
    await Promise.all(this.conns.map(worker));
    return ok;
  }

  close() {
    for (const c of this.conns) c.close();
  }
}

/** Waits until every device answers GET VAR; resolves with ms since stack.t0. */
export async function timeToAllServed(stack, names, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  let left = names;
  let pool = null;
  try {
    while (left.length) {
      if (performance.now() > deadline) throw new Error(`${left.length}/${names.length} devices still not served after ${timeoutMs} ms`);
      try {
        pool ??= await Pool.open(stack.port, Math.min(20, names.length));
        const ok = await pool.statusOf(left);
        left = left.filter((n) => !ok.has(n));
        if (pool.conns.some((c) => c.closed)) {
          pool.close();
          pool = null;
        }
      } catch {
        pool?.close();
        pool = null;
      }
      if (left.length) await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now() - stack.t0;
  } finally {
    pool?.close();
  }
}

/** Reads every device's ups.status once per second until stopped (a monitoring client). */
export async function startPoller(port, names) {
  const pool = await Pool.open(port, Math.min(10, names.length));
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const t = performance.now();
      await pool.statusOf(names);
      const wait = 1000 - (performance.now() - t);
      if (wait > 0 && !stop) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return async () => {
    stop = true;
    await done;
    pool.close();
  };
}
