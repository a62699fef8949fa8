/**
 * Closed-loop load: `clients` connections, each sending the next request as soon as the
 * previous answer is complete. Bounded by duration and by a total request count.
 */
import { NutConn, listedNames } from './nutclient.mjs';
import { percentile } from './stats.mjs';

async function openAll(port, n, batch = 50) {
  const conns = [];
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    conns.push(...(await Promise.all(Array.from({ length: k }, () => NutConn.connect(port, '127.0.0.1', 15_000)))));
  }
  return conns;
}

/**
 * @param {{port:number, clients:number, line:string, durationMs:number, maxRequests?:number,
 *          check?:(answer:string)=>boolean}} o
 * @returns {Promise<{p50:number, p99:number, rps:number, count:number, errors:number}>}
 */
export async function closedLoop(o) {
  const maxRequests = o.maxRequests ?? 2_000_000;
  const conns = await openAll(o.port, o.clients);
  let errors = 0;
  try {
    // Warm-up: one answered request per connection, so every connection has been accepted.
    await Promise.all(
      conns.map((c) =>
        c.request(o.line, 30_000).then(
          (a) => {
            if (o.check && !o.check(a)) throw new Error(`unexpected answer to "${o.line}": ${a.slice(0, 120)}`);
          },
        ),
      ),
    );
    const lat = new Float64Array(maxRequests);
    let count = 0;
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
    const got = lat.subarray(0, count);
    return { p50: percentile(got, 50), p99: percentile(got, 99), rps: count / elapsed, count, errors };
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
