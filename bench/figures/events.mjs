/**
 * Figure 3 — event latency. A .seq flips ups.status OL/OB with `TIMER 1` between flips.
 * A client polls GET VAR ups.status every 10 ms; a subscriber on the driver socket (NUT's, or
 * ours if the host exposes one) timestamps each publication. Per flip k, the flip is due one
 * TIMER after the previous one; the figures are (mean over the flips of a run, then the
 * median over runs; an even number of flips per run, as NUT's loop alternates short and long):
 *   flip → polling client   seen_k − seen_{k−1} − TIMER
 *   flip → push subscriber  pub_k − pub_{k−1} − TIMER
 *   driver → polling client seen_k − pub_k   (upsd's propagation + half a poll interval)
 */
import { startNut } from '../lib/nut-side.mjs';
import { startOurs } from '../lib/ours-side.mjs';
import { NutConn } from '../lib/nutclient.mjs';
import { findDriverSocket, watchVar } from '../lib/sockwatch.mjs';
import { median, mean } from '../lib/stats.mjs';
import { sleep } from '../lib/sandbox.mjs';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export const id = 'events';
export const title = 'event latency: .seq TIMER flip to client';

const TIMER_S = 1;
const POLL_MS = 10;

function seqText() {
  return [
    'ups.mfr: Bench',
    'ups.model: Flipper',
    'battery.charge: 100',
    'ups.status: OL',
    `TIMER ${TIMER_S}`,
    'ups.status: OB',
    `TIMER ${TIMER_S}`,
    '',
  ].join('\n');
}

/** Polls until `flips` status changes were seen (bounded by maxMs); returns their times. */
async function pollFlips(port, ups, flips, maxMs) {
  const c = await NutConn.connect(port);
  const seen = [];
  let last = null;
  const deadline = performance.now() + maxMs;
  try {
    while (seen.length < flips + 1 && performance.now() < deadline) {
      const a = await c.request(`GET VAR ${ups} ups.status`, 5000);
      const now = performance.now();
      const m = /^VAR \S+ \S+ "(.*)"/.exec(a);
      const v = m ? m[1] : null;
      if (v !== null && last !== null && v !== last) seen.push({ t: now, value: v });
      if (v !== null) last = v;
      await sleep(POLL_MS);
    }
  } finally {
    c.close();
  }
  return seen;
}

export async function run(ctx) {
  const { rows, runs, quick, log } = ctx;
  const flipsPerRun = quick ? 2 : 4;
  const rPoll = rows.get('events.flip_to_poll', `flip -> polling client (${POLL_MS} ms polls), TIMER ${TIMER_S}`, 'ms', 'lower');
  const rPush = rows.get('events.flip_to_push', 'flip -> push subscriber (driver socket)', 'ms', 'lower');
  const rProp = rows.get('events.driver_to_poll', 'driver publish -> polling client', 'ms', 'lower');
  const tmp = mkdtempSync(join(tmpdir(), 'nutbench-seq-'));
  const src = join(tmp, 'flip.seq');
  writeFileSync(src, seqText());
  const devices = [{ name: 'ev', port: 'flip.seq', src }];
  const stacks = {};
  try {
    stacks.nut = await startNut(devices);
    const o = await startOurs(devices);
    if (o.stack) {
      stacks.ours = o.stack;
      ctx.modes.events = o.stack.mode;
    } else {
      rows.naAll('ours', o.reason);
    }
    for (let r = 0; r < runs && !ctx.overBudget(); r++) {
      // Both sides at once: the polls are light, and this halves the wall time.
      await Promise.all(
        Object.entries(stacks).map(async ([side, st]) => {
          const sock = findDriverSocket(st.sb.statePath, 'ev');
          const sub = sock ? await watchVar(sock, 'ups.status').catch(() => null) : null;
          if (!sub) rPush.na(side, 'no driver socket / push interface found');
          if (!sub) rProp.na(side, 'no driver socket / push interface found');
          const maxMs = flipsPerRun * (TIMER_S * 1000 + 4000) + 5000;
          const seen = await pollFlips(st.port, 'ev', flipsPerRun, maxMs);
          sub?.close();
          if (seen.length < 2) {
            rPoll.na(side, `saw ${seen.length} flips in ${maxMs} ms`);
            return;
          }
          const lat = seen.slice(1).map((s, i) => s.t - seen[i].t - TIMER_S * 1000);
          rPoll.add(side, mean(lat));
          if (sub) {
            const pubs = sub.events.filter((e, i, a) => i === 0 || e.value !== a[i - 1].value);
            const inWindow = pubs.filter((p) => p.t >= seen[0].t - 1000);
            if (inWindow.length >= 2) rPush.add(side, mean(inWindow.slice(1).map((p, i) => p.t - inWindow[i].t - TIMER_S * 1000)));
            const prop = seen
              .map((s) => {
                const p = [...pubs].reverse().find((x) => x.value === s.value && x.t <= s.t);
                return p ? s.t - p.t : NaN;
              })
              .filter(Number.isFinite);
            if (prop.length) rProp.add(side, median(prop));
          }
          log(`  ${side} run ${r + 1}: flips ${seen.map((s) => s.value).join(',')} lateness ${lat.map((x) => x.toFixed(0)).join(',')} ms`);
        }),
      );
    }
  } finally {
    for (const st of Object.values(stacks)) await st.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
