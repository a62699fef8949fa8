#!/usr/bin/env node
/**
 * Many event-stream clients at once must not stall upsd.
 *
 *   node bench/sse-storm.mjs [--clients 10000]
 *
 * `nut start` (dummy-ups, upsd, the HTTP service). A NUT client (in its own thread, so the
 * bench's own work does not delay it) keeps asking upsd `GET VAR ups ups.status` in a closed
 * loop the whole time. Phases: 3 s quiet; then
 * --clients SSE connections opened at once (each its own TCP connection) until every one has
 * its first event; then one SET VAR, until every client has seen the change. Per phase:
 * upsd's answer latency (p50, p99, max) and how many answers; the host's RSS.
 * Output: stdout and bench/results/sse-storm.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { REPO, makeSandbox, freePort, waitUntil, sleep } from './lib/sandbox.mjs';
import { NutConn } from './lib/nutclient.mjs';
import { percentile } from './lib/stats.mjs';

const i = process.argv.indexOf('--clients');
const CLIENTS = i > 0 ? Number(process.argv[i + 1]) : 10_000;
const http = await freePort();
const upsd = await freePort();
const sb = makeSandbox('sse-storm');
sb.write('ups.conf', '[ups]\n\tdriver = dummy-ups\n\tport = ups.dev\n');
sb.write('ups.dev', 'ups.status: OL\nbattery.charge: 100\nups.load: 20\n');
sb.write('upsd.conf', `LISTEN 127.0.0.1 ${upsd}\n`);
sb.write('upsd.users', '[admin]\n\tpassword = secret\n\tactions = SET\n');
sb.write('nut-ts.config.json', JSON.stringify({ http: { listen: `127.0.0.1:${http}` } }));
const host = spawn(process.execPath, [join(REPO, 'core/dist/cli/nut.js'), 'start'], { env: sb.env, cwd: sb.dir, stdio: 'ignore' });
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${host.pid}/status`, 'utf8'))[1]) / 1024;
const answersUp = async () => {
  try {
    const c = await NutConn.connect(upsd);
    const a = await c.request('GET VAR ups ups.status');
    c.close();
    return a.startsWith('VAR');
  } catch {
    return false;
  }
};

try {
  await waitUntil(answersUp, { timeoutMs: 60_000, what: 'our upsd' });
  // the poller runs in its own thread: opening 10,000 requests here must not delay it
  const poller = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(workerData.client).then(async ({ NutConn }) => {
       const c = await NutConn.connect(workerData.port);
       const out = [];
       let stop = false;
       parentPort.on('message', () => (stop = true));
       while (!stop) {
         const t = performance.timeOrigin + performance.now();
         await c.request('GET VAR ups ups.status', 60000);
         out.push([t, performance.timeOrigin + performance.now() - t]);
       }
       c.close();
       parentPort.postMessage(out);
     });`,
    { eval: true, workerData: { port: upsd, client: new URL('./lib/nutclient.mjs', import.meta.url).href } },
  );
  const now = () => performance.timeOrigin + performance.now();
  const marks = { quiet: now() };
  await sleep(3000);
  const rssQuiet = rss();
  marks.connect = now();
  const t0 = performance.now();
  const auth = `Basic ${Buffer.from('admin:secret').toString('base64')}`;
  let opened = 0;
  let failed = 0;
  let sawChange = 0;
  const reqs = [];
  for (let k = 0; k < CLIENTS; k++) {
    const req = request({ host: '127.0.0.1', port: http, path: '/api/v1/events', headers: { authorization: auth }, agent: false });
    let first = true;
    let seen = false;
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d) => {
        if (first && d.includes('event: hello')) {
          first = false;
          opened++;
        }
        if (!seen && d.includes('"ups.load","value":"77"')) {
          seen = true;
          sawChange++;
        }
      });
    });
    req.on('error', () => failed++);
    req.end();
    reqs.push(req);
  }
  await waitUntil(() => opened + failed >= CLIENTS, { timeoutMs: 300_000, intervalMs: 50, what: 'every stream open' });
  const connectMs = performance.now() - t0;
  const rssStreams = rss();
  marks.broadcast = now();
  const setter = await NutConn.connect(upsd);
  await setter.request('USERNAME admin');
  await setter.request('PASSWORD secret');
  const t1 = performance.now();
  await setter.request('SET VAR ups ups.load 77');
  await waitUntil(() => sawChange >= opened, { timeoutMs: 120_000, intervalMs: 20, what: 'every client saw the change' });
  const broadcastMs = performance.now() - t1;
  marks.done = now();
  const samples = await new Promise((resolve) => {
    poller.once('message', resolve);
    poller.postMessage('stop');
  });
  await poller.terminate();
  const lat = { quiet: [], connect: [], broadcast: [] };
  for (const [t, ms] of samples) {
    const phase = t < marks.connect ? 'quiet' : t < marks.broadcast ? 'connect' : t < marks.done ? 'broadcast' : undefined;
    if (phase) lat[phase].push(ms);
  }
  for (const r of reqs) r.destroy();
  setter.close();
  const f = (a) => ({ answers: a.length, p50: percentile(a, 50), p99: percentile(a, 99), max: a.reduce((m, x) => (x > m ? x : m), -Infinity) });
  const result = {
    generated: new Date().toISOString(),
    clients: CLIENTS,
    opened,
    failed,
    connectAllMs: connectMs,
    broadcastAllMs: broadcastMs,
    rssMiB: { quiet: rssQuiet, withStreams: rssStreams },
    upsdLatencyMs: { quiet: f(lat.quiet), connect: f(lat.connect), broadcast: f(lat.broadcast) },
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(join(REPO, 'bench/results/sse-storm.json'), JSON.stringify(result, null, 2) + '\n');
} finally {
  host.kill('SIGTERM');
  await Promise.race([new Promise((r) => host.once('exit', r)), sleep(10_000)]);
  if (host.exitCode === null) host.kill('SIGKILL');
  sb.cleanup();
}
