#!/usr/bin/env node
/**
 * Cold start of two builds of nut-ts, alternating on the same machine in the same minutes (a
 * loaded machine shifts both alike): `nut start` with one dummy-ups device until the first
 * answered GET VAR, the host's CPU time at that moment, and the start-up timeline from its log.
 *   node bench/coldstart-ab.mjs <checkout A> <checkout B> [runs]
 * A checkout is a directory with a built core/dist (e.g. `git archive <commit> | tar -x -C dir`,
 * a node_modules symlink, `npx tsc -b core`).
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { FIXTURES, waitUntil } from './lib/sandbox.mjs';
import { prepareSandbox } from './lib/nut-side.mjs';
import { Stack } from './lib/stack.mjs';
import { DDL } from './figures/upsd.mjs';

const [a, b, runsArg] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node bench/coldstart-ab.mjs <checkout A> <checkout B> [runs]');
  process.exit(2);
}
const builds = { A: resolve(a), B: resolve(b) };
const devices = [{ name: 'ups', port: 'device.dev', src: join(FIXTURES, 'ddl', DDL) }];
const results = { A: [], B: [] };
const cpuMs = (pid) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const phase = (line) => (/listening/.test(line) ? 'listen' : /host running/.test(line) ? 'host' : /running as/.test(line) ? 'user' : /\] running/.test(line) ? 'instance' : null);
const runs = Number(runsArg ?? 5);
for (let i = 0; i < runs; i++) {
  for (const name of i % 2 ? ['B', 'A'] : ['A', 'B']) {
    const { sb, port } = await prepareSandbox('coldab', devices);
    const st = new Stack({ side: 'ours', mode: name, sb, port });
    try {
      st.t0 = performance.now();
      const child = st.spawn(process.execPath, [join(builds[name], 'core/dist/cli/nut.js'), 'start']);
      await waitUntil(() => st.answers('ups', 1000), { timeoutMs: 30_000, intervalMs: 2, what: `${name}: first answer` });
      const ms = performance.now() - st.t0;
      const cpu = cpuMs(child.pid);
      results[name].push({ ms, cpu });
      const timeline = st.log.timeline.map((t) => [t.ms, phase(t.line)]).filter(([, p]) => p).map(([ms, p]) => `${p} ${ms.toFixed(0)}`);
      console.log(`${name} ${ms.toFixed(0)} ms, host CPU ${cpu} ms | ${timeline.join(', ')}`);
    } finally {
      await st.stop();
    }
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const k of ['A', 'B']) {
  console.log(`${k} (${builds[k]}): median ${median(results[k].map((r) => r.ms)).toFixed(0)} ms to the first answer, host CPU ${median(results[k].map((r) => r.cpu))} ms`);
}
