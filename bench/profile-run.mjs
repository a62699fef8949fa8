#!/usr/bin/env node
/**
 * Profiles our side under one load: starts our stack with --cpu-prof, drives it, stops it
 * cleanly so the profile is written, and prints where the time went.
 *   node bench/profile-run.mjs [--line "GET VAR ups ups.status"] [--clients 10] [--seconds 5]
 *                              [--scrapes N] [--mode host|host-split|upsd-only]
 *                              [--dir bench/results/profiles]
 * --seconds 0 profiles the start alone; --scrapes N runs N exporter scrapes instead.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { FIXTURES, REPO } from './lib/sandbox.mjs';
import { startOurs } from './lib/ours-side.mjs';
import { closedLoop, scrapes } from './lib/load.mjs';
import { DDL } from './figures/upsd.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const line = opt('line', 'GET VAR ups ups.status');
const clients = Number(opt('clients', '10'));
const seconds = Number(opt('seconds', '5'));
const dir = resolve(opt('dir', join(REPO, 'bench/results/profiles')));
const modes = opt('mode', null) ? [opt('mode')] : undefined;

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
process.env.NUTBENCH_PROFILE_DIR = dir;
const devices = [{ name: 'ups', port: 'device.dev', src: join(FIXTURES, 'ddl', DDL) }];
const o = await startOurs(devices, modes);
if (!o.stack) {
  console.error(`our side cannot run: ${o.reason}`);
  process.exit(1);
}
const nScrapes = Number(opt('scrapes', '0'));
if (nScrapes) {
  console.log(`ours = ${o.stack.mode}; ${nScrapes} exporter scrapes`);
  const s = await scrapes(o.stack.port, 'ups', nScrapes, 120_000);
  console.log(`scrape p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${s.requests} requests each)`);
} else {
  console.log(`ours = ${o.stack.mode}; ${clients} clients sending "${line}" for ${seconds} s`);
  const m = await closedLoop({ port: o.stack.port, clients, line, durationMs: seconds * 1000, serverPids: o.stack.pids() });
  console.log(`p50 ${m.p50.toFixed(3)} ms, p99 ${m.p99.toFixed(3)} ms, ${m.rps.toFixed(0)} req/s, server CPU ${m.cpuUsPerReq.toFixed(1)} us/req`);
}
if (seconds === 0) {
  console.log(`\nstart-up timeline (ms since spawn; first answer at ${(performance.now() - o.stack.t0).toFixed(0)} ms or earlier):`);
  for (const { ms, line } of o.stack.log.timeline.slice(0, 40)) console.log(`  ${ms.toFixed(0).padStart(6)}  ${line}`);
}
await o.stack.stop();
execFileSync(process.execPath, [join(REPO, 'bench/profile-summary.mjs'), dir, '--top', '30'], { stdio: 'inherit', cwd: REPO });
