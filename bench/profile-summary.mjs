#!/usr/bin/env node
/**
 * Where the time goes in V8 CPU profiles (.cpuprofile from `node --cpu-prof`):
 *   node bench/profile-summary.mjs <file-or-dir>... [--top N]
 * Prints self time per function (and per file), largest first.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
let top = 25;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (statSync(args[i]).isDirectory()) files.push(...readdirSync(args[i]).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(args[i], f)));
  else files.push(args[i]);
}
const root = process.cwd();
const short = (url) => (url ? relative(root, url.replace(/^file:\/\//, '')) || url : '(native)');

for (const f of files) {
  const p = JSON.parse(readFileSync(f, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = p.timeDeltas;
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (dt[i] ?? 0));
  // Percentages are of busy time: samples in (idle) are dropped.
  for (const [id] of self) if (byId.get(id).callFrame.functionName === '(idle)') self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  const byFile = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const fn = `${cf.functionName || '(anonymous)'}  ${short(cf.url)}:${cf.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    const file = short(cf.url);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
  console.log(`\n${f}: ${(total / 1e6).toFixed(2)} s busy`);
  console.log('  by function (self time):');
  for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
  console.log('  by file (self time):');
  for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, Math.min(top, 12))) console.log(`  ${pct(us)}  ${k}`);
}
