#!/usr/bin/env node
/**
 * Where the native device modules should run: round trip of a 1-byte serial write + read
 * (an echo device: socat joining a pty to `cat`) and memory, for
 *   - in-process: SerialBackend called directly (the standalone driver's path);
 *   - main-thread: plugin worker → MessagePort → TransportService running the backends on
 *     the host's main thread;
 *   - process: plugin worker → MessagePort → host → IPC → transport process (the default).
 * Memory: RSS and PSS of the transport process with the port open, and what loading
 * serialport adds to the host's own process in main-thread mode.
 *
 *   npm run build && node bench/transport.mjs [--rounds 2000]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const dist = new URL('../core/dist/', import.meta.url);
const { SerialBackend } = await import(new URL('transport/serial-backend.js', dist).href);
const { TransportService } = await import(new URL('transport/service.js', dist).href);

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 2000;
const warmup = Math.min(200, Math.floor(rounds / 10));

function memory(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMb: kb('Rss') / 1024, pssMb: kb('Pss') / 1024 };
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), n: s.length };
}

async function echoDevice(dir) {
  const link = join(dir, 'ttyECHO');
  const child = spawn('socat', [`pty,raw,echo=0,link=${link}`, 'SYSTEM:cat'], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 10));
  if (!existsSync(link)) throw new Error('socat did not create the pty (is socat installed?)');
  return { link, stop: () => child.kill('SIGTERM') };
}

async function measureInProcess(path) {
  const h = await new SerialBackend().openSerial(path, { baudRate: 9600 });
  const out = [];
  for (let i = 0; i < rounds + warmup; i++) {
    const t = process.hrtime.bigint();
    await h.write(Uint8Array.of(0x41));
    await h.read({ maxBytes: 1, timeoutMs: 1000 });
    if (i >= warmup) out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  await h.close();
  return stats(out);
}

/** The same loop in a worker thread talking through the broker, as a plugin does. */
const WORKER = `
  import { parentPort, workerData } from 'node:worker_threads';
  const { createDeviceClient } = await import(workerData.client);
  const devices = createDeviceClient(workerData.port);
  const h = await devices.openSerial(workerData.path, { baudRate: 9600 });
  const out = [];
  for (let i = 0; i < workerData.rounds + workerData.warmup; i++) {
    const t = process.hrtime.bigint();
    await h.write(Uint8Array.of(0x41));
    await h.read({ maxBytes: 1, timeoutMs: 1000 });
    if (i >= workerData.warmup) out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  parentPort.postMessage(out);
  await new Promise((r) => parentPort.once('message', r));
  await h.close();
  parentPort.postMessage('closed');
`;

async function measureBroker(mode, path) {
  const service = new TransportService({ mode });
  const port = service.attach('bench#1', 'bench');
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER)}`), {
    workerData: { port, path, rounds, warmup, client: new URL('transport/client.js', dist).href },
    transferList: [port],
  });
  const samples = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const mem = mode === 'process' ? memory(service.pid) : undefined;
  worker.postMessage('close');
  await new Promise((r) => worker.once('message', r));
  await worker.terminate();
  service.detach('bench#1');
  await service.close();
  return { ...stats(samples), transport: mem };
}

/** What the serial backend adds to a bare Node process (the host's cost in main-thread mode). */
async function backendCost(path) {
  const code = `
    const { readFileSync } = await import('node:fs');
    const pss = () => Number(/^Pss:\\s+(\\d+)/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]) / 1024;
    const before = pss();
    const { SerialBackend } = await import(${JSON.stringify(new URL('transport/serial-backend.js', dist).href)});
    const h = await new SerialBackend().openSerial(${JSON.stringify(path)});
    await h.write('A'); await h.read({ maxBytes: 1 });
    const after = pss();
    await h.close();
    console.log(JSON.stringify({ bareMb: before, withBackendMb: after }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(out);
}

const dir = mkdtempSync(join(tmpdir(), 'nut-ts-bench-transport-'));
const echo = await echoDevice(dir);
try {
  const results = {};
  results['process'] = await measureBroker('process', echo.link);
  results['main-thread'] = await measureBroker('main-thread', echo.link);
  results['in-process'] = await measureInProcess(echo.link);
  const cost = await backendCost(echo.link);
  const fmt = (n) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
  console.log(`1-byte serial write + read through an echo pty, ${rounds} rounds (ms)`);
  console.log('| where the backends run | p50 | p99 |');
  console.log('|---|---|---|');
  for (const [k, v] of Object.entries(results)) console.log(`| ${k} | ${fmt(v.p50)} | ${fmt(v.p99)} |`);
  const t = results.process.transport;
  console.log(`\ntransport process with one port open: RSS ${fmt(t.rssMb)} MB, PSS ${fmt(t.pssMb)} MB`);
  console.log(`a bare Node process: PSS ${fmt(cost.bareMb)} MB; with serialport loaded and a port used: ${fmt(cost.withBackendMb)} MB (the host's cost in main-thread mode: ${fmt(cost.withBackendMb - cost.bareMb)} MB)`);
  console.log(JSON.stringify({ ...results, backendCost: cost }));
} finally {
  echo.stop();
  rmSync(dir, { recursive: true, force: true });
}
