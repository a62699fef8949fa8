/**
 * Figure 2 — many devices: N dummy-ups instances. NUT: one driver process per device plus
 * upsd; ours: one host. Time from start until every device answers, resident memory, and CPU
 * while a client reads every device's ups.status once a second.
 *
 * Bounded: each (side, size) cell gets a wall-time budget; the number of runs in a cell is cut
 * to what fits (at least one), and a size is not tried when the previous size projects past
 * twice the start timeout or past half the machine's available memory (the projection is the reason
 * printed as n/a).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { FIXTURES, sleep } from '../lib/sandbox.mjs';
import { startNut, startNutClassic } from '../lib/nut-side.mjs';
import { startOurs } from '../lib/ours-side.mjs';
import { timeToAllServed, startPoller } from '../lib/poll.mjs';
import { sumRssKb, sumPssKb, cpuPerSecond } from '../lib/proc.mjs';
import { median } from '../lib/stats.mjs';
import { DDL } from './upsd.mjs';

export const id = 'devices';
export const title = 'many devices: one process per device (NUT) vs one host (ours)';

function memAvailableMb() {
  const m = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : Infinity;
}

export async function run(ctx) {
  const { rows, runs, quick, log } = ctx;
  const sizes = quick ? [10, 50] : [10, 100, 1000];
  const settleMs = quick ? 1500 : 3000;
  const windowMs = quick ? 2000 : 5000;
  const readyTimeoutMs = quick ? 60_000 : 150_000;
  const cellBudgetMs = quick ? 60_000 : 100_000;
  const src = join(FIXTURES, 'ddl', DDL);
  for (const n of sizes) {
    rows.get(`devices.${n}.ready`, `${n} devices: start until all answer`, 's', 'lower');
    rows.get(`devices.${n}.rss`, `${n} devices: RSS (sum)`, 'MB', 'lower');
    rows.get(`devices.${n}.pss`, `${n} devices: PSS (sum)`, 'MB', 'lower');
    if (n === sizes[0]) rows.get(`devices.${n}.ready_seq`, `${n} devices: start until all answer, NUT by upsdrvctl (one by one)`, 's', 'lower');
    rows.get(`devices.${n}.cpu`, `${n} devices: CPU at 1 poll/s/device`, '% core', 'lower');
  }
  const seqN = sizes[0];
  const seqRow = rows.get(`devices.${seqN}.ready_seq`);
  const starters = {
    nut: (devices) => startNut(devices, { timeoutMs: readyTimeoutMs }),
    ours: async (devices) => {
      // The mode that served the first size serves every size (a slow start is not a reason to
      // measure another mode instead).
      const allowed = ctx.devicesModeId ? [ctx.devicesModeId] : ['host', 'host-split'];
      const r = await startOurs(devices, allowed, { timeoutMs: readyTimeoutMs, needPlugin: true });
      if (!r.stack) throw new Error(/no answer within/.test(r.reason) ? r.reason : `needs our host with our dummy-ups plugin: ${r.reason}`);
      ctx.devicesModeId = r.stack.modeId;
      ctx.modes.devices = r.stack.mode;
      return r.stack;
    },
  };
  const dead = {};
  const last = {}; // side -> { n, readyS, pssMb }
  const naCell = (side, n, why) => {
    for (const k of ['ready', 'rss', 'pss', 'cpu']) rows.get(`devices.${n}.${k}`).na(side, why);
  };
  for (const n of sizes) {
    const devices = Array.from({ length: n }, (_, i) => ({ name: `ups${i + 1}`, port: 'device.dev', src }));
    const names = devices.map((d) => d.name);
    const cellRuns = { nut: n >= 1000 ? ctx.runsLarge : runs, ours: n >= 1000 ? ctx.runsLarge : runs };
    for (const side of ['nut', 'ours']) {
      const p = last[side];
      if (!p || dead[side]) continue;
      const readyS = (p.readyS * n) / p.n;
      const pssMb = (p.pssMb * n) / p.n;
      const avail = memAvailableMb();
      if (pssMb > avail / 2) {
        dead[side] = true;
        naCell(side, n, `not run: ${p.n} devices took ${p.pssMb.toFixed(0)} MB, so ${n} project to ${(pssMb / 1024).toFixed(1)} GB (> half of ${(avail / 1024).toFixed(1)} GB available)`);
      } else if (readyS * 1000 > 2 * readyTimeoutMs) {
        // Twice the bound: a start that grows less than linearly still gets its try.
        dead[side] = true;
        naCell(side, n, `not run: ${p.n} devices took ${p.readyS.toFixed(1)} s to start, so ${n} project to ${readyS.toFixed(0)} s (bound ${readyTimeoutMs / 1000} s)`);
      }
    }
    const spent = { nut: 0, ours: 0 };
    const doneRuns = { nut: 0, ours: 0 };
    const cut = { nut: false, ours: false };
    for (let r = 0; r < Math.max(cellRuns.nut, cellRuns.ours); r++) {
      const order = r % 2 ? ['ours', 'nut'] : ['nut', 'ours'];
      for (const side of order) {
        if (dead[side] || r >= cellRuns[side] || ctx.overBudget()) continue;
        // Cut the runs of a cell to its budget, judging by the runs so far.
        const done = doneRuns[side];
        if (cut[side] || (done > 0 && (spent[side] / done) * (done + 1) > cellBudgetMs)) {
          if (!cut[side]) ctx.notes.push(`devices: ${side} ${n} devices: ${done} run(s) only (one run takes ${(spent[side] / done / 1000).toFixed(0)} s; cell budget ${cellBudgetMs / 1000} s)`);
          cut[side] = true;
          continue;
        }
        const cellStart = performance.now();
        let st;
        try {
          st = await starters[side](devices);
          const ready = await timeToAllServed(st, names, readyTimeoutMs);
          rows.get(`devices.${n}.ready`).add(side, ready / 1000);
          await sleep(settleMs);
          const stopPoll = await startPoller(st.port, names);
          const pids = st.pids();
          const cpu = await cpuPerSecond(pids, windowMs);
          await stopPoll();
          const rssMb = sumRssKb(pids) / 1024;
          const pssMb = sumPssKb(pids) / 1024;
          rows.get(`devices.${n}.cpu`).add(side, cpu * 100);
          rows.get(`devices.${n}.rss`).add(side, rssMb);
          rows.get(`devices.${n}.pss`).add(side, pssMb);
          if (r === 0) ctx.notes.push(`devices: ${side} ${n} devices = ${pids.length} processes`);
          log(`  ${side} n=${n} run ${r + 1}: ready ${(ready / 1000).toFixed(2)} s, ${pids.length} procs, cpu ${(cpu * 100).toFixed(1)} %, rss ${rssMb.toFixed(0)} MB`);
        } catch (e) {
          log(`  ${side} n=${n}: ${e.message}`);
          naCell(side, n, e.message);
          dead[side] = true;
        } finally {
          await st?.stop();
        }
        spent[side] += performance.now() - cellStart;
        doneRuns[side]++;
      }
    }
    if (n === seqN) await sequentialNut(ctx, devices, names, seqRow, rows.get(`devices.${n}.ready`), readyTimeoutMs);
    for (const side of ['nut', 'ours']) {
      const ready = rows.get(`devices.${n}.ready`)[`${side}Runs`];
      const pss = rows.get(`devices.${n}.pss`)[`${side}Runs`];
      if (ready.length && pss.length) last[side] = { n, readyS: median(ready), pssMb: median(pss) };
    }
  }
}

/**
 * NUT started the packaged way: `upsdrvctl start` launches drivers one after another (each
 * dummy-ups sleeps 1 s before its socket exists), then upsd. Our side of this row is the same
 * `nut start` measurement as the main row (our host also starts instances one by one).
 */
async function sequentialNut(ctx, devices, names, row, oursFrom, readyTimeoutMs) {
  const budgetMs = ctx.quick ? 30_000 : 60_000;
  const t0 = performance.now();
  for (let r = 0; r < ctx.runs && !ctx.overBudget(); r++) {
    if (r > 0 && ((performance.now() - t0) / r) * (r + 1) > budgetMs) break;
    let st;
    try {
      st = await startNutClassic(devices, { timeoutMs: readyTimeoutMs });
      const ms = await timeToAllServed(st, names, readyTimeoutMs);
      row.add('nut', ms / 1000);
      ctx.log(`  nut upsdrvctl n=${devices.length} run ${r + 1}: ready ${(ms / 1000).toFixed(2)} s`);
    } catch (e) {
      row.na('nut', e.message);
      break;
    } finally {
      await st?.stop();
    }
  }
  for (const v of oursFrom.oursRuns) row.add('ours', v);
  if (oursFrom.oursNa) row.na('ours', oursFrom.oursNa);
}
