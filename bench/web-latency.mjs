/**
 * A change in a driver reaching a client: our host's push paths (SSE, MQTT through mosquitto)
 * next to the polling path a NUT user has today (NUT 2.8.0 dummy-ups + upsd + a client polling
 * GET VAR), and the same pollers against our upsd.
 *
 *   node bench/web-latency.mjs [--flips 12] [--slow-poll-ms 2000]
 *
 * dummy-ups replays a .seq that flips ups.status OL/OB every 3 s (TIMER 3). A subscriber on
 * the driver socket (NUT's driver-to-upsd protocol; our host exports one per instance) gives
 * the moment each flip is published: t0. Each path records when it first shows the new value.
 * Pollers: one every 10 ms (best case, heavy load) and one every --slow-poll-ms (nut_webgui
 * polls ups.status every 2 s). On our side the driver socket is fed from the host's state tree,
 * like SSE and MQTT, so the worker-to-host hop is before t0; on NUT's side the driver-to-upsd
 * hop is after it (the socket broadcast reaches upsd and the subscriber together).
 * Needs: npm run build, NUT 2.8.0 (/lib/nut), mosquitto (/usr/sbin/mosquitto), root.
 * Output: a table on stdout and bench/results/web-latency.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { REPO, makeSandbox, freePort, waitUntil, sleep } from './lib/sandbox.mjs';
import { NutConn } from './lib/nutclient.mjs';
import { findDriverSocket, watchVar } from './lib/sockwatch.mjs';
import { median, percentile } from './lib/stats.mjs';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const FLIPS = arg('--flips', 12);
const SLOW_POLL = arg('--slow-poll-ms', 2000);
const TIMER_S = 3;
const MOSQUITTO = '/usr/sbin/mosquitto';
const SEQ = `ups.status: OL\nbattery.charge: 100\nTIMER ${TIMER_S}\nups.status: OB\nTIMER ${TIMER_S}\n`;
const children = [];

function spawnChild(cmd, argv, env, cwd) {
  const c = spawn(cmd, argv, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  c.stderrText = '';
  c.stderr.on('data', (d) => (c.stderrText = (c.stderrText + d).slice(-4000)));
  children.push(c);
  return c;
}

async function stopAll() {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null) continue;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([gone, sleep(5000)]);
    if (c.exitCode === null) c.kill('SIGKILL');
  }
}

function sandbox(label, extra = {}) {
  const sb = makeSandbox(label);
  sb.write('ups.conf', 'user = root\n[ups]\n\tdriver = dummy-ups\n\tport = ups.seq\n');
  sb.write('ups.seq', SEQ);
  sb.write('upsd.users', '[admin]\n\tpassword = secret\n');
  for (const [k, v] of Object.entries(extra)) sb.write(k, v);
  return sb;
}

/** A client polling GET VAR every `everyMs`; records {t, value} when the answer changes. */
function poller(conn, everyMs) {
  const events = [];
  let last = '';
  let stopped = false;
  (async () => {
    while (!stopped) {
      const t = performance.now();
      let a;
      try {
        a = await conn.request('GET VAR ups ups.status', 5000);
      } catch {
        break;
      }
      const m = /^VAR ups ups\.status "(.*)"/.exec(a);
      if (m && m[1] !== last) {
        last = m[1];
        events.push({ t: performance.now(), value: last });
      }
      const rest = everyMs - (performance.now() - t);
      if (rest > 0) await sleep(rest);
    }
  })();
  return { events, stop: () => ((stopped = true), conn.close()) };
}

function sseWatcher(port) {
  const events = [];
  let buf = '';
  const req = request({ host: '127.0.0.1', port, path: '/api/v1/events?ups=ups', headers: { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` }, agent: false });
  req.on('response', (res) => {
    res.setEncoding('utf8');
    res.on('data', (d) => {
      const now = performance.now();
      buf += d;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data && block.includes('event: status')) events.push({ t: now, value: JSON.parse(data.slice(6)).data.to });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return { events, stop: () => req.destroy() };
}

async function mqttWatcher(port) {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`);
  const events = [];
  let last;
  c.on('message', (_t, payload) => {
    const now = performance.now();
    try {
      const v = JSON.parse(payload.toString())['ups.status'];
      if (v !== last) events.push({ t: now, value: (last = v) });
    } catch {
      /* not JSON */
    }
  });
  await c.subscribeAsync('nut/ups/state');
  return { events, stop: () => c.endAsync(true) };
}

/** Waits for FLIPS publications on the driver socket, then matches each path's events to them. */
async function measure(statePath, paths) {
  const sockPath = await waitUntil(() => findDriverSocket(statePath, 'ups'), { timeoutMs: 30_000, what: 'driver socket' });
  const sock = await watchVar(sockPath, 'ups.status');
  await waitUntil(() => sock.events.length >= FLIPS + 2, { timeoutMs: (FLIPS + 4) * (TIMER_S + 2) * 1000, intervalMs: 200, what: `${FLIPS} flips` });
  await sleep(SLOW_POLL + 500);
  sock.close();
  // the first publication is the DUMPALL answer, not a flip
  const flips = sock.events.slice(1).filter((e, i, a) => i === 0 || e.value !== a[i - 1].value).slice(1, FLIPS + 1);
  const out = {};
  for (const [name, w] of Object.entries(paths)) {
    out[name] = [];
    for (let k = 0; k < flips.length; k++) {
      const prev = k ? flips[k - 1].t : flips[k].t - TIMER_S * 1000;
      const hit = w.events.find((e) => e.value === flips[k].value && e.t > prev + 200);
      if (hit) out[name].push(hit.t - flips[k].t);
    }
  }
  return out;
}

async function ours() {
  const http = await freePort();
  const mq = await freePort();
  const upsd = await freePort();
  const sb = sandbox('web-ours', {
    'upsd.conf': `LISTEN 127.0.0.1 ${upsd}\n`,
    'nut-ts.config.json': JSON.stringify({ http: { listen: `127.0.0.1:${http}` }, mqtt: { url: `mqtt://127.0.0.1:${mq}` } }),
  });
  writeFileSync(join(sb.dir, 'mosquitto.conf'), `listener ${mq} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  spawnChild(MOSQUITTO, ['-c', join(sb.dir, 'mosquitto.conf')], process.env);
  const host = spawnChild(process.execPath, [join(REPO, 'core/dist/cli/nut.js'), 'start'], sb.env, sb.dir);
  try {
    await waitUntil(async () => (await NutConn.connect(upsd).then((c) => c.request('GET VAR ups ups.status').finally(() => c.close()))).startsWith('VAR'), { timeoutMs: 60_000, what: 'our upsd' });
    const fast = poller(await NutConn.connect(upsd), 10);
    const slow = poller(await NutConn.connect(upsd), SLOW_POLL);
    const sse = sseWatcher(http);
    const mqtt = await mqttWatcher(mq);
    const r = await measure(sb.statePath, { sse, mqtt, 'upsd + poller 10 ms': fast, [`upsd + poller ${SLOW_POLL} ms`]: slow });
    fast.stop();
    slow.stop();
    sse.stop();
    await mqtt.stop();
    return r;
  } catch (e) {
    throw new Error(`${e.message} | host log: ${host.stderrText.slice(-600)}`);
  } finally {
    await stopAll();
    sb.cleanup();
  }
}

async function nut() {
  const upsd = await freePort();
  const sb = sandbox('web-nut', { 'upsd.conf': `LISTEN 127.0.0.1 ${upsd}\n` });
  spawnChild('/lib/nut/dummy-ups', ['-a', 'ups', '-F', '-u', 'root'], sb.env);
  await waitUntil(() => findDriverSocket(sb.statePath, 'ups'), { timeoutMs: 30_000, what: 'NUT driver socket' });
  spawnChild('/lib/nut/upsd', ['-F', '-u', 'root'], sb.env);
  try {
    await waitUntil(async () => (await NutConn.connect(upsd).then((c) => c.request('GET VAR ups ups.status').finally(() => c.close()))).startsWith('VAR'), { timeoutMs: 30_000, what: 'NUT upsd' });
    const fast = poller(await NutConn.connect(upsd), 10);
    const slow = poller(await NutConn.connect(upsd), SLOW_POLL);
    const r = await measure(sb.statePath, { 'upsd + poller 10 ms': fast, [`upsd + poller ${SLOW_POLL} ms`]: slow });
    fast.stop();
    slow.stop();
    return r;
  } finally {
    await stopAll();
    sb.cleanup();
  }
}

process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
const missing = [MOSQUITTO, '/lib/nut/dummy-ups', '/lib/nut/upsd', join(REPO, 'core/dist/cli/nut.js')].filter((f) => !existsSync(f));
if (missing.length) {
  console.error(`missing: ${missing.join(', ')}`);
  process.exit(2);
}
const result = { generated: new Date().toISOString(), flips: FLIPS, slowPollMs: SLOW_POLL, sides: {} };
result.sides['nut-ts host'] = await ours();
result.sides['NUT 2.8.0'] = await nut();
const rows = [];
for (const [side, paths] of Object.entries(result.sides)) {
  for (const [path, ms] of Object.entries(paths)) {
    rows.push({ side, path, n: `${ms.length}/${FLIPS}`, median: median(ms), p90: percentile(ms, 90) });
  }
}
const f = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${x.toFixed(1)} ms`);
console.log(`driver publishes a ups.status flip (driver socket) → client sees it; ${FLIPS} flips per side\n`);
console.log(['side'.padEnd(14), 'path'.padEnd(26), 'seen'.padEnd(7), 'median'.padStart(10), 'p90'.padStart(10)].join(' '));
for (const r of rows) console.log([r.side.padEnd(14), r.path.padEnd(26), r.n.padEnd(7), f(r.median).padStart(10), f(r.p90).padStart(10)].join(' '));
result.rows = rows;
mkdirSync(join(REPO, 'bench/results'), { recursive: true });
writeFileSync(join(REPO, 'bench/results/web-latency.json'), JSON.stringify(result, null, 2) + '\n');
