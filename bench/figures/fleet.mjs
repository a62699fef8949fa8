/**
 * Many dummy-ups devices started the two ways users start them, NUT 2.8.0 and nut-ts side by
 * side: `nut start` (one host process) against NUT's drivers spawned all at once plus upsd
 * (NUT's best case), and our `upsdrvctl start` + `upsd` against NUT's (one driver after the
 * other). Per size: time from the first spawn until every device answers GET VAR, PSS summed
 * over the stack, CPU while a client reads every device's ups.status once a second. Then, for
 * 100 devices, our host with 1, 10, 50 and 100 instances per worker (how the default was
 * chosen: core/src/host/pool-policy.ts).
 *
 * Bounded: each start has a timeout; NUT's upsdrvctl (about 1 s per driver) only runs for the
 * smallest size and only outside --quick. NUTBENCH_FLEET_SIZES=1000 measures one size alone.
 */
import { join } from 'node:path';
import { FIXTURES, sleep } from '../lib/sandbox.mjs';
import { startNut, startNutClassic } from '../lib/nut-side.mjs';
import { startOursMode } from '../lib/ours-side.mjs';
import { timeToAllServed, startPoller } from '../lib/poll.mjs';
import { sumPssKb, cpuPerSecond } from '../lib/proc.mjs';
import { DDL } from './upsd.mjs';

export const id = 'fleet';
export const title = 'device fleets: nut start and upsdrvctl start + upsd, 100 and 1,000 dummy-ups';

/** Start, then PSS and CPU at one poll per device per second. */
async function measure(ctx, start, names, { settleMs, windowMs, timeoutMs }) {
  let st;
  try {
    st = await start();
    const ready = await timeToAllServed(st, names, timeoutMs);
    await sleep(settleMs);
    const stopPoll = await startPoller(st.port, names);
    const pids = st.pids();
    const cpu = await cpuPerSecond(pids, windowMs);
    await stopPoll();
    const pss = sumPssKb(pids) / 1024;
    return { ready: ready / 1000, pss, cpu: cpu * 100, procs: pids.length };
  } finally {
    await st?.stop();
  }
}

export async function run(ctx) {
  const { rows, quick, log } = ctx;
  // NUTBENCH_FLEET_SIZES=1000 runs one size alone (a run under ten minutes on 2 CPUs)
  const sizes = process.env.NUTBENCH_FLEET_SIZES ? process.env.NUTBENCH_FLEET_SIZES.split(',').map(Number) : quick ? [100] : [100, 1000];
  const runs = quick ? 1 : Math.max(1, Math.min(ctx.runs, 2));
  const timing = { settleMs: quick ? 1500 : 3000, windowMs: quick ? 3000 : 5000, timeoutMs: 180_000 };
  const src = join(FIXTURES, 'ddl', DDL);
  for (const n of sizes) {
    const devices = Array.from({ length: n }, (_, i) => ({ name: `ups${i + 1}`, port: 'device.dev', src }));
    const names = devices.map((d) => d.name);
    const row = (k, label, unit) => rows.get(`fleet.${n}.${k}`, `${n} devices: ${label}`, unit, 'lower');
    const r = {
      ready: row('ready', 'start until all answer — nut start | NUT drivers all at once + upsd', 's'),
      pss: row('pss', 'PSS (sum) — nut start | NUT drivers + upsd', 'MB'),
      cpu: row('cpu', 'CPU at 1 poll/s/device — nut start | NUT', '% core'),
      readySplit: row('ready_split', 'start until all answer — our upsdrvctl start + upsd | NUT drivers all at once + upsd', 's'),
      pssSplit: row('pss_split', 'PSS (sum) — our upsdrvctl start + upsd | NUT', 'MB'),
    };
    const sides = [
      ['nut', () => startNut(devices, { timeoutMs: timing.timeoutMs }), [r.ready, r.pss, r.cpu]],
      ['ours', () => startOursMode('host', devices, { timeoutMs: timing.timeoutMs, needPlugin: true }), [r.ready, r.pss, r.cpu]],
      ['ours', () => startOursMode('host-split', devices, { timeoutMs: timing.timeoutMs, needPlugin: true }), [r.readySplit, r.pssSplit, null]],
    ];
    for (let k = 0; k < runs && !ctx.overBudget(); k++) {
      for (const [side, start, [readyRow, pssRow, cpuRow]] of sides) {
        try {
          const m = await measure(ctx, start, names, timing);
          readyRow.add(side, m.ready);
          pssRow.add(side, m.pss);
          cpuRow?.add(side, m.cpu);
          // NUT's side is the same for both of our ways to start
          if (side === 'nut') {
            r.readySplit.add('nut', m.ready);
            r.pssSplit.add('nut', m.pss);
          }
          log(`  ${side} n=${n} ${readyRow.id}: ready ${m.ready.toFixed(2)} s, pss ${m.pss.toFixed(0)} MB, cpu ${m.cpu.toFixed(1)} %, ${m.procs} procs`);
        } catch (e) {
          log(`  ${side} n=${n} ${readyRow.id}: ${e.message.slice(0, 300)}`);
          readyRow.na(side, e.message.slice(0, 120));
          pssRow.na(side, e.message.slice(0, 120));
          cpuRow?.na(side, e.message.slice(0, 120));
        }
      }
    }
    if (n === sizes[0] && !quick && !ctx.overBudget()) {
      const classic = row('ready_classic', 'start until all answer — our upsdrvctl start + upsd | NUT upsdrvctl start + upsd', 's');
      for (const v of r.readySplit.oursRuns) classic.add('ours', v);
      try {
        const m = await measure(ctx, () => startNutClassic(devices, { timeoutMs: timing.timeoutMs * 2 }), names, { ...timing, timeoutMs: timing.timeoutMs * 2 });
        classic.add('nut', m.ready);
        log(`  nut upsdrvctl n=${n}: ready ${m.ready.toFixed(2)} s`);
      } catch (e) {
        classic.na('nut', e.message.slice(0, 120));
      }
    }
  }
  // instances per worker, 100 devices, nut start
  if (process.env.NUTBENCH_FLEET_SIZES && !process.env.NUTBENCH_FLEET_SIZES.split(',').includes('100')) return;
  const n = 100;
  const devices = Array.from({ length: n }, (_, i) => ({ name: `ups${i + 1}`, port: 'device.dev', src }));
  const names = devices.map((d) => d.name);
  for (const cap of [1, 10, 50, 100]) {
    if (ctx.overBudget()) break;
    const ready = rows.get(`fleet.cap${cap}.ready`, `100 devices, ${cap} per worker: start until all answer (ours only)`, 's', 'lower');
    const pss = rows.get(`fleet.cap${cap}.pss`, `100 devices, ${cap} per worker: PSS (ours only)`, 'MB', 'lower');
    const cpu = rows.get(`fleet.cap${cap}.cpu`, `100 devices, ${cap} per worker: CPU (ours only)`, '% core', 'lower');
    try {
      const m = await measure(
        ctx,
        () => startOursMode('host', devices, { timeoutMs: timing.timeoutMs, needPlugin: true, settings: { workersPerInstance: 'plugin', instancesPerWorker: cap } }),
        names,
        timing,
      );
      ready.add('ours', m.ready);
      pss.add('ours', m.pss);
      cpu.add('ours', m.cpu);
      log(`  ours cap=${cap}: ready ${m.ready.toFixed(2)} s, pss ${m.pss.toFixed(0)} MB, cpu ${m.cpu.toFixed(1)} %`);
    } catch (e) {
      log(`  ours cap=${cap}: ${e.message.slice(0, 300)}`);
      for (const x of [ready, pss, cpu]) x.na('ours', e.message.slice(0, 120));
    }
    for (const x of [ready, pss, cpu]) x.na('nut', 'ours only');
  }
}
