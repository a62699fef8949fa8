/**
 * Closed-loop load: `clients` connections, each sending the next request as soon as the
 * previous answer is complete. Bounded by duration and by a total request count.
 */
import { NutConn, listedNames } from './nutclient.mjs';
import { percentile } from './stats.mjs';
import { sumCpuSeconds } from './proc.mjs';

/**
 * Opens n connections in small batches, each batch answered once before the next opens: a
 * server with a short listen backlog (NUT's upsd uses 16) would otherwise drop SYNs and the
 * client would wait for the 1 s, 3 s, ... retransmissions.
 */
async function openAll(conns, port, n, line, check, batch = 10) {
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    const opened = await Promise.all(Array.from({ length: k }, () => NutConn.connect(port, '127.0.0.1', 15_000)));
    conns.push(...opened);
    await Promise.all(
      opened.map(async (c) => {
        const a = await c.request(line, 30_000);
        if (check && !check(a)) throw new Error(`unexpected answer to "${line}": ${a.slice(0, 120)}`);
      }),
    );
  }
}

/**
 * @param {{port:number, clients:number, line:string, durationMs:number, maxRequests?:number,
 *          check?:(answer:string)=>boolean, serverPids?:number[]}} o
 * @returns {Promise<{p50:number, p99:number, rps:number, count:number, errors:number}>}
 */
export async function closedLoop(o) {
  const maxRequests = o.maxRequests ?? 2_000_000;
  const conns = [];
  let errors = 0;
  try {
    await openAll(conns, o.port, o.clients, o.line, o.check);
    const lat = new Float64Array(maxRequests);
    let count = 0;
    const pids = o.serverPids ?? [];
    const cpu0 = sumCpuSeconds(pids);
    const t0 = performance.now();
    const stopAt = t0 + o.durationMs;
    const loop = async (c) => {
      while (count < maxRequests) {
        const s = performance.now();
        if (s >= stopAt) return;
        try {
          await c.request(o.line, 30_000);
        } catch {
          errors++;
          return;
        }
        const e = performance.now();
        if (count < maxRequests) lat[count++] = e - s;
      }
    };
    await Promise.all(conns.map(loop));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = sumCpuSeconds(pids) - cpu0;
    const got = lat.subarray(0, count);
    return {
      p50: percentile(got, 50),
      p99: percentile(got, 99),
      rps: count / elapsed,
      count,
      errors,
      // server CPU per answered request (µs): independent of how fast this client can drive it
      cpuUsPerReq: pids.length && count ? (cpu * 1e6) / count : NaN,
    };
  } finally {
    for (const c of conns) c.close();
  }
}

/**
 * One Prometheus-exporter-style scrape (what go.nut-based exporters do): new connection,
 * LIST VAR, then GET TYPE and GET DESC for every variable. Returns ms and request count.
 */
export async function scrapeOnce(port, ups) {
  const t0 = performance.now();
  const c = await NutConn.connect(port, '127.0.0.1', 10_000);
  let requests = 1;
  try {
    const list = await c.request(`LIST VAR ${ups}`);
    const names = listedNames(list);
    if (!names.length) throw new Error(`LIST VAR ${ups} gave no variables: ${list.slice(0, 120)}`);
    for (const n of names) {
      const t = await c.request(`GET TYPE ${ups} ${n}`);
      const d = await c.request(`GET DESC ${ups} ${n}`);
      if (!t.startsWith('TYPE ') || !d.startsWith('DESC ')) throw new Error(`scrape: ${t.trim()} / ${d.trim()}`);
      requests += 2;
    }
  } finally {
    c.close();
  }
  return { ms: performance.now() - t0, requests };
}

/** `count` scrapes back to back (bounded by maxMs); p50 and p99 of the scrape time. */
export async function scrapes(port, ups, count, maxMs) {
  const times = [];
  const deadline = performance.now() + maxMs;
  let requests = 0;
  while (times.length < count && performance.now() < deadline) {
    const r = await scrapeOnce(port, ups);
    times.push(r.ms);
    requests = r.requests;
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), count: times.length, requests };
}
