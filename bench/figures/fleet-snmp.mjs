/**
 * SNMP device fleets: N snmp-ups devices against snmpsim on loopback (one recording, one
 * community per device, spread over a few snmpsimd processes). NUT 2.8.0: one snmp-ups
 * process per device, all spawned at once, then upsd once every driver socket exists (NUT's
 * best case). nut-ts: `nut start`, instances pooled by the host's policy. Per size: time from
 * the first spawn until every device answers GET VAR, PSS summed over the stack (snmpsim
 * excluded), CPU over a fixed window at the drivers' normal poll rate (pollinterval 2 s,
 * pollfreq 30 s, both defaults) while a client reads every device's ups.status once a second.
 * At the first size, a slow agent (its answers delayed, a walk outlasting the call watchdog) among
 * its worker-mates; at 1,000 devices, our host with other instances-per-worker caps.
 *
 * Sizes: 100 by default; --fleet-large (or NUTBENCH_SNMP_SIZES=100,1000) adds 1,000.
 */
import { join } from 'node:path';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { FIXTURES, makeSandbox, freePort, waitUntil, sleep } from '../lib/sandbox.mjs';
import { Stack } from '../lib/stack.mjs';
import { NUT_BIN, UPSD } from '../lib/nut-side.mjs';
import { cli } from '../lib/ours-side.mjs';
import { timeToAllServed, startPoller } from '../lib/poll.mjs';
import { sumPssKb, cpuPerSecond, exeOf } from '../lib/proc.mjs';
import { startSnmpFleet, snmpsimBinary } from '../lib/snmpsim.mjs';
import { startSlowProxy } from '../lib/udp-delay.mjs';

export const id = 'fleet-snmp';
export const title = 'SNMP device fleets (snmpsim): NUT snmp-ups processes vs nut start, 100 and 1,000 devices';

const RECORDING = join(FIXTURES, 'snmprec', 'generex-ups_cs141.snmprec');
const SNMP_UPS = join(NUT_BIN, 'snmp-ups');
/**
 * snmp_timeout for every device, both sides. With the default 1 s, a thousand drivers starting
 * at once queue more than a second of requests at snmpsim; every request then times out and is
 * sent again (5 retries), and the agent spends its time on answers nobody waits for any more.
 */
const SNMP_TIMEOUT_S = 5;

/**
 * maxstartdelay for both sides (NUT's drivers spawned directly do not read it). Our host gives
 * up on an instance whose initups/initinfo outlasts it (45 s by default) and starts it again;
 * with a thousand detections queued at one agent host, most outlast 45 s, and each restart
 * queues its requests anew: the fleet never comes up. See bench/README.md, SNMP fleets.
 */
const MAXSTARTDELAY_S = Number(process.env.NUTBENCH_SNMP_MAXSTARTDELAY ?? 600);

function upsConf(devices) {
  return (
    `user = root\nmaxstartdelay = ${MAXSTARTDELAY_S}\n` +
    devices
      .map((d) => `[${d.name}]\n\tdriver = snmp-ups\n\tport = 127.0.0.1:${d.port}\n\tcommunity = ${d.community}\n\tsnmp_timeout = ${SNMP_TIMEOUT_S}\n\tdesc = "bench ${d.name}"\n`)
      .join('')
  );
}

async function sandbox(label, devices, settings) {
  const sb = makeSandbox(label);
  sb.write('ups.conf', upsConf(devices));
  const port = await freePort();
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
  sb.write('upsd.users', '');
  if (settings) writeFileSync(join(sb.dir, 'nut-ts.config.json'), JSON.stringify(settings));
  return { sb, port };
}

/** NUT: every snmp-ups at once (a driver that gives up during detection is spawned again), then upsd. */
async function startNutSnmpFleet(devices, { timeoutMs }) {
  const { sb, port } = await sandbox('nut-snmp', devices);
  const st = new Stack({ side: 'nut', mode: 'NUT 2.8.0 snmp-ups (one process each) + upsd', sb, port });
  st.respawned = 0;
  st.t0 = performance.now();
  try {
    const children = new Map();
    const spawnOne = (d) => children.set(d.name, st.spawn(SNMP_UPS, ['-a', d.name, '-F', '-u', 'root']));
    for (const d of devices) spawnOne(d);
    await waitUntil(
      () => {
        if (performance.now() - st.t0 > timeoutMs) return true;
        const have = new Set(readdirSync(sb.statePath));
        let all = true;
        for (const d of devices) {
          if (have.has(`snmp-ups-${d.name}`)) continue;
          all = false;
          const c = children.get(d.name);
          if (c.exitCode !== null || c.signalCode !== null) {
            st.respawned++;
            spawnOne(d);
          }
        }
        return all;
      },
      { timeoutMs, intervalMs: 50, what: `NUT snmp-ups sockets for ${devices.length} devices` },
    );
    st.spawn(UPSD, ['-F', '-u', 'root']);
    const have = new Set(readdirSync(sb.statePath));
    const first = devices.find((d) => have.has(`snmp-ups-${d.name}`)) ?? devices[0];
    await waitUntil(() => st.answers(first.name), { timeoutMs, intervalMs: 10, what: 'NUT upsd answer' });
    return st;
  } catch (e) {
    e.message += ` | log: ${st.logTail()}`;
    await st.stop();
    throw e;
  }
}

/** Ours: `nut start` in the sandbox (host settings from nut-ts.config.json there). */
async function startOursSnmpFleet(devices, { timeoutMs, settings }) {
  if (!existsSync(cli('nut'))) throw new Error('missing core/dist/cli/nut.js (npm run build)');
  const { sb, port } = await sandbox('ours-snmp', devices, settings);
  const st = new Stack({ side: 'ours', mode: 'nut-ts host (`nut start`), our snmp-ups plugin', sb, port });
  st.t0 = performance.now();
  try {
    st.spawn(process.execPath, [cli('nut'), 'start']);
    await waitUntil(() => st.answers(devices[0].name), { timeoutMs, intervalMs: 20, what: 'nut start: GET VAR answered' });
    if (st.pids().some((p) => exeOf(p).endsWith('/snmp-ups'))) throw new Error("the host ran NUT's C snmp-ups, not our plugin");
    return st;
  } catch (e) {
    e.message += ` | log: ${st.logTail()}`;
    await st.stop();
    throw e;
  }
}

async function measure(start, names, { settleMs, windowMs, timeoutMs }) {
  let st;
  try {
    st = await start();
    // a size the agents cannot bring up in time still gets its memory and CPU measured
    let ready = null;
    let notReady = null;
    try {
      ready = await timeToAllServed(st, names, Math.max(1000, timeoutMs - (performance.now() - st.t0)));
    } catch (e) {
      notReady = e.message;
    }
    if (process.env.NUTBENCH_SNMP_TIMELINE) for (const t of st.log.timeline.filter((t, i) => i < 8 || /running \(|terminated|watchdog/.test(t.line))) console.log(`    ${t.ms.toFixed(0)} ms ${t.line.slice(0, 160)}`);
    await sleep(settleMs);
    const stopPoll = await startPoller(st.port, names);
    const pids = st.pids();
    const cpu = await cpuPerSecond(pids, windowMs);
    // answered during the window's last poll: devices that went stale under load show here
    const served = await countServed(st, names);
    await stopPoll();
    const pss = sumPssKb(pids) / 1024;
    return { ready: ready === null ? null : ready / 1000, notReady, pss, cpu: cpu * 100, procs: pids.length, respawned: st.respawned ?? 0, served, log: st.log.text };
  } finally {
    await st?.stop();
  }
}

/** How many devices answer GET VAR ups.status with a value (not ERR DATA-STALE). */
async function countServed(st, names) {
  const { Pool } = await import('../lib/poll.mjs');
  const pool = await Pool.open(st.port, Math.min(10, names.length));
  try {
    return (await pool.statusOf(names)).size;
  } finally {
    pool.close();
  }
}

function sizesOf(ctx) {
  if (process.env.NUTBENCH_SNMP_SIZES) return process.env.NUTBENCH_SNMP_SIZES.split(',').map(Number);
  if (ctx.quick) return [20];
  return ctx.large ? [100, 1000] : [100];
}

export async function run(ctx) {
  const { rows, quick, log } = ctx;
  if (!snmpsimBinary()) throw new Error('snmpsim is missing (apt-get install snmpsim)');
  if (!existsSync(SNMP_UPS)) rows.naAll('nut', `${SNMP_UPS} missing (apt-get install nut-snmp)`);
  const sizes = sizesOf(ctx);
  const runs = quick ? 1 : Math.max(1, Math.min(ctx.runs, 2));
  const timing = { settleMs: quick ? 2000 : 5000, windowMs: quick ? 10_000 : 30_000, timeoutMs: 300_000, readyLargeMs: Number(process.env.NUTBENCH_SNMP_READY_S ?? 240) * 1000, slowWindowMs: quick ? 40_000 : 90_000 };
  for (const n of sizes) {
    // several snmpsimd processes past 100 agents: one Python thread cannot answer 1,000 drivers' start
    const sim = await startSnmpFleet(RECORDING, n, { processes: n > 100 ? 4 : 1 });
    try {
      const devices = sim.agents.map((a, i) => ({ name: `ups${i + 1}`, ...a }));
      const names = devices.map((d) => d.name);
      const row = (k, label, unit) => rows.get(`fleet-snmp.${n}.${k}`, `${n} SNMP devices: ${label}`, unit, 'lower');
      const r = {
        ready: row('ready', 'start until all answer (nut start; NUT: snmp-ups all at once + upsd)', 's'),
        pss: row('pss', 'PSS (sum, snmpsim excluded)', 'MB'),
        cpu: row('cpu', 'CPU, pollinterval 2 s / pollfreq 30 s + 1 client read/s/device', '% core'),
      };
      const sides = [
        ['nut', () => startNutSnmpFleet(devices, { timeoutMs: n > 100 ? timing.readyLargeMs : timing.timeoutMs })],
        ['ours', () => startOursSnmpFleet(devices, { timeoutMs: n > 100 ? timing.readyLargeMs : timing.timeoutMs })],
      ];
      const sizeTiming = { ...timing, timeoutMs: n > 100 ? timing.readyLargeMs : timing.timeoutMs };
      for (let k = 0; k < runs && !ctx.overBudget(); k++) {
        for (const [side, start] of k % 2 ? [...sides].reverse() : sides) {
          if (side === 'nut' && !existsSync(SNMP_UPS)) continue;
          try {
            const m = await measure(start, names, sizeTiming);
            if (m.ready === null) r.ready.na(side, m.notReady.slice(0, 120));
            else r.ready.add(side, m.ready);
            r.pss.add(side, m.pss);
            r.cpu.add(side, m.cpu);
            log(`  ${side} n=${n}: ready ${m.ready?.toFixed(2) ?? `n/a (${m.notReady})`} s, pss ${m.pss.toFixed(0)} MB, cpu ${m.cpu.toFixed(1)} %, ${m.procs} procs, ${m.served}/${n} served at the end${m.respawned ? `, ${m.respawned} drivers spawned again` : ''}`);
          } catch (e) {
            log(`  ${side} n=${n}: ${e.message.slice(0, 400)}`);
            for (const x of Object.values(r)) x.na(side, e.message.slice(0, 120));
          }
        }
      }
      if (n === sizes[0] && !ctx.overBudget() && process.env.NUTBENCH_SNMP_SLOW !== '0') await slowAgent(ctx, n, devices, timing);
      // the caps are compared where they matter, at 1,000 devices (or where NUTBENCH_SNMP_CAPS asks)
      if (n === sizes[sizes.length - 1] && (n >= 1000 || process.env.NUTBENCH_SNMP_CAPS || quick)) await caps(ctx, n, devices, sim, timing);
    } finally {
      await sim.stop();
    }
  }
}

/** Instances per worker at the largest size, ours only; then a slow agent among worker-mates. */
async function caps(ctx, n, devices, sim, timing) {
  const { rows, log, quick } = ctx;
  const names = devices.map((d) => d.name);
  const list = (process.env.NUTBENCH_SNMP_CAPS ?? (quick ? '10' : '25,200')).split(',').filter(Boolean).map(Number);
  for (const cap of list) {
    if (ctx.overBudget()) break;
    const row = (k, label, unit) => rows.get(`fleet-snmp.cap${cap}.${k}`, `${n} SNMP devices, ${cap} per worker: ${label} (ours only)`, unit, 'lower');
    const r = { ready: row('ready', 'start until all answer', 's'), pss: row('pss', 'PSS', 'MB'), cpu: row('cpu', 'CPU', '% core') };
    try {
      const settings = { workersPerInstance: 'plugin', instancesPerWorker: cap };
      const m = await measure(() => startOursSnmpFleet(devices, { timeoutMs: n > 100 ? timing.readyLargeMs : timing.timeoutMs, settings }), names, { ...timing, timeoutMs: n > 100 ? timing.readyLargeMs : timing.timeoutMs });
      if (m.ready === null) r.ready.na('ours', m.notReady.slice(0, 120));
      else r.ready.add('ours', m.ready);
      r.pss.add('ours', m.pss);
      r.cpu.add('ours', m.cpu);
      log(`  ours n=${n} cap=${cap}: ready ${m.ready?.toFixed(2) ?? `n/a (${m.notReady})`} s, pss ${m.pss.toFixed(0)} MB, cpu ${m.cpu.toFixed(1)} %, ${m.procs} procs, ${m.served}/${n} served at the end`);
    } catch (e) {
      log(`  ours n=${n} cap=${cap}: ${e.message.slice(0, 400)}`);
      for (const x of Object.values(r)) x.na('ours', e.message.slice(0, 120));
    }
    for (const x of Object.values(r)) x.na('nut', 'ours only');
  }
}

/**
 * One device's agent turns slow once everything answers: each answer is delayed (2 s by
 * default: under the 5 s snmp_timeout, so its requests succeed, but one walk of ~30 GETs takes
 * about a minute, twice the host's 30 s call watchdog). It shares a worker with the others: its mates must keep
 * answering and the host must not restart the worker (the heartbeat keeps "alive" apart from
 * "answering").
 */
export async function slowAgent(ctx, n, devices, timing) {
  const { rows, log } = ctx;
  const delayMs = Number(process.env.NUTBENCH_SNMP_SLOW_MS ?? 2000);
  const label = `${n} SNMP devices, one agent ${delayMs} ms late per answer`;
  const served = rows.get('fleet-snmp.slow.served', `${label}: the other devices served after ${timing.slowWindowMs / 1000} s (ours only)`, 'devices', 'higher');
  const restarts = rows.get('fleet-snmp.slow.restarts', `${label}: workers terminated (ours only)`, 'count', 'lower');
  const warned = rows.get('fleet-snmp.slow.warned', `${label}: "has not returned" warnings for it (ours only)`, 'count', 'higher');
  for (const x of [served, restarts, warned]) x.na('nut', 'ours only');
  const proxy = await startSlowProxy(devices[0].port);
  let st;
  try {
    const devs = devices.map((d, i) => (i === 0 ? { ...d, port: proxy.port } : d));
    const names = devs.map((d) => d.name);
    st = await startOursSnmpFleet(devs, { timeoutMs: timing.timeoutMs });
    await timeToAllServed(st, names, timing.timeoutMs);
    proxy.delayMs = delayMs;
    const stopPoll = await startPoller(st.port, names);
    await sleep(timing.slowWindowMs);
    const mates = await countServed(st, names.slice(1));
    const slowAnswers = await st.answers(names[0]);
    await stopPoll();
    const text = st.log.text;
    const terminated = (text.match(/terminated/g) ?? []).length;
    served.add('ours', mates);
    restarts.add('ours', terminated);
    warned.add('ours', (text.match(/has not returned after/g) ?? []).length);
    const slowLines = text.split('\n').filter((l) => /slow|watchdog|terminated|stale/i.test(l)).slice(0, 4);
    log(`  slow agent (${delayMs} ms): ${mates}/${n - 1} others served, the slow one ${slowAnswers ? 'answers' : 'stale'}, ${terminated} workers terminated, ${proxy.forwarded} requests delayed; log: ${slowLines.join(' | ').slice(0, 400)}`);
  } catch (e) {
    log(`  slow agent: ${e.message.slice(0, 300)}`);
    for (const x of [served, restarts, warned]) x.na('ours', e.message.slice(0, 120));
  } finally {
    await st?.stop();
    await proxy.stop();
  }
}
