/**
 * Figure 2 — many devices: N dummy-ups instances. NUT: one driver process per device plus
 * upsd; ours: one host. Time from start until every device answers, resident memory, and CPU
 * while a client reads every device's ups.status once a second.
 */
import { join } from 'node:path';
import { FIXTURES, sleep } from '../lib/sandbox.mjs';
import { startNut } from '../lib/nut-side.mjs';
import { startOurs } from '../lib/ours-side.mjs';
import { timeToAllServed, startPoller } from '../lib/poll.mjs';
import { sumRssKb, sumPssKb, cpuPerSecond } from '../lib/proc.mjs';
import { DDL } from './upsd.mjs';

export const id = 'devices';
export const title = 'many devices: one process per device (NUT) vs one host (ours)';

export async function run(ctx) {
  const { rows, runs, quick, log } = ctx;
  const sizes = quick ? [10, 50] : [10, 100, 1000];
  const settleMs = quick ? 1500 : 3000;
  const windowMs = quick ? 2000 : 5000;
  const src = join(FIXTURES, 'ddl', DDL);
  for (const n of sizes) {
    rows.get(`devices.${n}.ready`, `${n} devices: start until all answer`, 's', 'lower');
    rows.get(`devices.${n}.rss`, `${n} devices: RSS (sum)`, 'MB', 'lower');
    rows.get(`devices.${n}.pss`, `${n} devices: PSS (sum)`, 'MB', 'lower');
    rows.get(`devices.${n}.cpu`, `${n} devices: CPU at 1 poll/s/device`, '% core', 'lower');
  }
  const starters = {
    nut: (devices) => startNut(devices, { timeoutMs: 180_000 }),
    ours: async (devices) => {
      const r = await startOurs(devices, ['host', 'host-split'], { timeoutMs: 180_000, needPlugin: true });
      if (!r.stack) throw new Error(`needs our host: ${r.reason}`);
      ctx.modes.devices = r.stack.mode;
      return r.stack;
    },
  };
  const dead = {};
  for (const n of sizes) {
    const devices = Array.from({ length: n }, (_, i) => ({ name: `ups${i + 1}`, port: 'device.dev', src }));
    const names = devices.map((d) => d.name);
    const nRuns = n >= 1000 ? ctx.runsLarge : runs;
    for (let r = 0; r < nRuns; r++) {
      const order = r % 2 ? ['ours', 'nut'] : ['nut', 'ours'];
      for (const side of order) {
        if (dead[side] || ctx.overBudget()) continue;
        let st;
        try {
          st = await starters[side](devices);
          const ready = await timeToAllServed(st, names, 180_000);
          rows.get(`devices.${n}.ready`).add(side, ready / 1000);
          await sleep(settleMs);
          const stopPoll = await startPoller(st.port, names);
          const pids = st.pids();
          const cpu = await cpuPerSecond(pids, windowMs);
          await stopPoll();
          rows.get(`devices.${n}.cpu`).add(side, cpu * 100);
          rows.get(`devices.${n}.rss`).add(side, sumRssKb(pids) / 1024);
          rows.get(`devices.${n}.pss`).add(side, sumPssKb(pids) / 1024);
          if (r === 0) ctx.notes.push(`devices: ${side} ${n} devices = ${pids.length} processes`);
          log(`  ${side} n=${n} run ${r + 1}: ready ${(ready / 1000).toFixed(2)} s, ${pids.length} procs, cpu ${(cpu * 100).toFixed(1)} %`);
        } catch (e) {
          log(`  ${side} n=${n}: ${e.message}`);
          for (const k of ['ready', 'rss', 'pss', 'cpu']) rows.get(`devices.${n}.${k}`).na(side, e.message);
          if (side === 'ours' && /needs our host/.test(e.message)) dead.ours = true;
        } finally {
          await st?.stop();
        }
      }
    }
  }
  if (dead.ours) for (const r of rows.list()) r.na('ours', r.oursNa ?? 'needs our host');
}
