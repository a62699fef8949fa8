#!/usr/bin/env node
/**
 * Device plugins pooled or not: N sections of apcsmart (Smart-UPS simulators) or nutdrv_qx
 * (Q1 simulators), each on its own pseudo-terminal, or of usbhid-ups (N identical virtual APC
 * Back-UPS CS 500 units on one umockdev testbed, told apart by busport), run by `nut start`
 * with a given number of instances per worker. Reports the time from launch until every section answers
 * GET VAR ups.status with a value, the PSS summed over our processes (host with its workers,
 * transport process; the simulators are not counted), and our CPU while a client reads every
 * section's ups.status once a second (the sections poll every 2 s, NUT's default).
 *
 *   node bench/pooled-devices.mjs [--devices 10] [--caps 1,10] [--plugins apcsmart,nutdrv_qx,usbhid-ups] [--window 10]
 *
 * Needs socat (the simulators' pseudo-terminals), umockdev with python3-gi for usbhid-ups
 * (test/virtual-usb/README.md) and a built core (npm run build).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startPoller } from './lib/poll.mjs';
import { cpuPerSecond, sumPssKb } from './lib/proc.mjs';
import { FIXTURES, freePort, makeSandbox, REPO, waitUntil } from './lib/sandbox.mjs';
import { Stack } from './lib/stack.mjs';
import { oneShot } from './lib/nutclient.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const DEVICES = Number(arg('devices', '10'));
const CAPS = arg('caps', `1,${DEVICES}`).split(',').map(Number);
const PLUGINS = arg('plugins', 'apcsmart,nutdrv_qx,usbhid-ups').split(',');
const WINDOW_MS = Number(arg('window', '10')) * 1000;
const NUT = join(REPO, 'core/dist/cli/nut.js');

const KINDS = {
  apcsmart: { simulator: 'apcsmart', dump: 'APC__Smart-UPS_DP_8000_XL__apcsmart__2.0.0__01.dev', portArgs: (p) => ['--port', p], options: '' },
  nutdrv_qx: { simulator: 'qx', dump: 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev', portArgs: (p) => ['--link', p], options: ' protocol = megatec\n' },
};

/** One simulator process; resolves once it printed its terminal's path. */
async function simulator(kind, path) {
  const k = KINDS[kind];
  const child = spawn(process.execPath, [NUT, 'simulate', k.simulator, '--from', join(FIXTURES, 'ddl', k.dump), ...k.portArgs(path)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} simulator exited (${code}): ${err}`)));
  });
  return child;
}

/**
 * N identical virtual USB units (test/virtual-usb/server.py under umockdev); resolves with the
 * server and the environment under which a process sees them.
 */
async function virtualUsb(count, dir) {
  const modelFile = join(dir, 'one.json');
  const made = spawnSync(join(REPO, 'node_modules/.bin/jiti'), [join(REPO, 'test/virtual-usb/model-from-log.ts'), join(FIXTURES, 'hid', 'APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev'), modelFile], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`model-from-log failed: ${made.stderr}`);
  const one = JSON.parse(readFileSync(modelFile, 'utf8'));
  writeFileSync(join(dir, 'models.json'), JSON.stringify(Array.from({ length: count }, () => one)));
  const child = spawn('/usr/bin/umockdev-wrapper', ['/usr/bin/python3', join(REPO, 'test/virtual-usb/server.py'), join(dir, 'models.json'), join(dir, 'out.jsonl')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`virtual USB server exited (${code}): ${err}`)));
  });
  child.stopGently = () => child.stdin.end(`${JSON.stringify({ cmd: 'stop' })}\n`);
  return { child, env: { LD_PRELOAD: 'libumockdev-preload.so.0', UMOCKDEV_DIR: JSON.parse(first).root } };
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  if (child.stopGently) child.stopGently();
  else child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

async function measure(kind, cap, ttys, env) {
  const sb = makeSandbox(`pooled-${kind}-${cap}`);
  Object.assign(sb.env, env);
  const port = await freePort();
  const names = ttys.map((_, i) => `ups${i}`);
  const section = (t, i) => (kind === 'usbhid-ups' ? ` port = auto\n busport = 1-${i + 1}\n` : ` port = ${t}\n${KINDS[kind].options}`);
  sb.write('ups.conf', ttys.map((t, i) => `[${names[i]}]\n driver = ${kind}\n${section(t, i)}`).join(''));
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
  sb.write('upsd.users', '');
  writeFileSync(join(sb.dir, 'nut-ts.config.json'), JSON.stringify({ workersPerInstance: 'plugin', instancesPerWorker: cap }));
  const st = new Stack({ side: 'ours', mode: `nut start, ${cap} per worker`, sb, port });
  const t0 = performance.now();
  try {
    st.spawn(process.execPath, [NUT, 'start']);
    const served = async (n) => /^VAR \S+ ups\.status "O[LB]/.test(await oneShot(port, `GET VAR ${n} ups.status`, 2000).catch(() => ''));
    await waitUntil(async () => (await Promise.all(names.map(served))).every(Boolean), { timeoutMs: 120_000, intervalMs: 50, what: 'every section served' });
    const startMs = performance.now() - t0;
    const stopPoll = await startPoller(port, names);
    const pids = st.pids();
    const cpu = await cpuPerSecond(pids, WINDOW_MS);
    await stopPoll();
    const pssMb = sumPssKb(st.pids()) / 1024;
    return { startMs, pssMb, cpuPct: cpu * 100, processes: pids.length };
  } catch (e) {
    throw new Error(`${e.message} | log: ${st.logTail(400)}`);
  } finally {
    await st.stop();
  }
}

const rows = [];
for (const kind of PLUGINS) {
  const dir = mkdtempSync(join(tmpdir(), `nutbench-sims-${kind}-`));
  const ttys = Array.from({ length: DEVICES }, (_, i) => join(dir, `tty${i}`));
  const sims = [];
  let env = {};
  try {
    if (kind === 'usbhid-ups') {
      const usb = await virtualUsb(DEVICES, dir);
      sims.push(usb.child);
      env = usb.env;
    } else for (const t of ttys) sims.push(await simulator(kind, t));
    for (const cap of CAPS) {
      const r = await measure(kind, cap, ttys, env);
      rows.push({ kind, cap, ...r });
      console.error(`${kind} ${DEVICES} devices, ${cap} per worker: ${JSON.stringify(r)}`);
    }
  } finally {
    for (const s of sims) await stopChild(s);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`| plugin | devices | instances per worker | until all answer | PSS (sum) | CPU at 1 read/s/device |`);
console.log(`|---|---:|---:|---:|---:|---:|`);
for (const r of rows) {
  console.log(`| ${r.kind} | ${DEVICES} | ${r.cap} | ${(r.startMs / 1000).toFixed(2)} s | ${r.pssMb.toFixed(1)} MB | ${r.cpuPct.toFixed(1)} % |`);
}
