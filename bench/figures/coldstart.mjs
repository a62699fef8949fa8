/**
 * Figure 4 — cold start: from launching the stack to the first answered GET VAR.
 * NUT: `upsdrvctl start` then `upsd` (both fork into the background, as NUT's users run them).
 * Ours: `nut start` (host in the foreground), else our `upsdrvctl start` + `upsd`.
 */
import { join } from 'node:path';
import { FIXTURES } from '../lib/sandbox.mjs';
import { startNutClassic } from '../lib/nut-side.mjs';
import { startOurs } from '../lib/ours-side.mjs';
import { DDL } from './upsd.mjs';

export const id = 'coldstart';
export const title = 'cold start to first answered request';

export async function run(ctx) {
  const { rows, runs, log } = ctx;
  const row = rows.get('coldstart.first_answer', 'start -> first answered GET VAR (1 device)', 'ms', 'lower');
  const devices = [{ name: 'ups', port: 'device.dev', src: join(FIXTURES, 'ddl', DDL) }];
  const starters = {
    nut: () => startNutClassic(devices),
    ours: async () => {
      const r = await startOurs(devices, ['host', 'host-split'], { timeoutMs: 60_000 });
      if (!r.stack) throw new Error(r.reason);
      ctx.modes.coldstart = r.stack.mode;
      return r.stack;
    },
  };
  const dead = {};
  for (let r = 0; r < runs && !ctx.overBudget(); r++) {
    for (const side of r % 2 ? ['ours', 'nut'] : ['nut', 'ours']) {
      if (dead[side]) continue;
      let st;
      try {
        st = await starters[side]();
        const ms = performance.now() - st.t0;
        row.add(side, ms);
        log(`  ${side} run ${r + 1}: ${ms.toFixed(0)} ms`);
      } catch (e) {
        row.na(side, e.message);
        dead[side] = true;
        log(`  ${side}: ${e.message}`);
      } finally {
        await st?.stop();
      }
    }
  }
}
