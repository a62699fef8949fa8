/**
 * Figure 4 — cold start: from launching the stack to the first answered GET VAR.
 * NUT: `upsdrvctl start` then `upsd` (both fork into the background, as NUT's users run them).
 * Ours: `nut start` (host in the foreground), else our `upsdrvctl start` + `upsd`.
 */
import { join } from 'node:path';
import { FIXTURES } from '../lib/sandbox.mjs';
import { existsSync } from 'node:fs';
import { startNutClassic, startUpsdOverNutDriver, UPSD } from '../lib/nut-side.mjs';
import { startOurs, cli } from '../lib/ours-side.mjs';
import { DDL } from './upsd.mjs';

export const id = 'coldstart';
export const title = 'cold start to first answered request';

export async function run(ctx) {
  const { rows } = ctx;
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
  const rowUpsd = rows.get('coldstart.upsd_alone', 'upsd alone -> first answered GET VAR (NUT driver already up)', 'ms', 'lower');
  const upsdStarters = {
    nut: () => startUpsdOverNutDriver('nut', 'NUT upsd', devices, [UPSD, '-F', '-u', 'root']),
    ours: () => {
      if (!existsSync(cli('upsd'))) throw new Error('missing core/dist/cli/upsd.js');
      return startUpsdOverNutDriver('ours', 'our upsd', devices, [process.execPath, cli('upsd'), '-F', '-u', 'root']);
    },
  };
  await measure(ctx, row, starters);
  await measure(ctx, rowUpsd, upsdStarters);
}

async function measure(ctx, row, starters) {
  const dead = {};
  for (let r = 0; r < ctx.runs && !ctx.overBudget(); r++) {
    for (const side of r % 2 ? ['ours', 'nut'] : ['nut', 'ours']) {
      if (dead[side]) continue;
      let st;
      try {
        st = await starters[side]();
        const ms = performance.now() - st.t0;
        row.add(side, ms);
        ctx.log(`  ${row.id} ${side} run ${r + 1}: ${ms.toFixed(0)} ms`);
      } catch (e) {
        row.na(side, e.message);
        dead[side] = true;
        ctx.log(`  ${row.id} ${side}: ${e.message}`);
      } finally {
        await st?.stop();
      }
    }
  }
}
