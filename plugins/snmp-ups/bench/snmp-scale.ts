/**
 * N SNMP devices on one host: NUT 2.8.0 (one snmp-ups process per device) against nut-ts (all
 * instances in one process). snmpsim serves N copies of one recording (one community each).
 * Measures resident memory (sum of VmRSS) and CPU time per device per poll over a window.
 * Usage: npx jiti plugins/snmp-ups/bench/snmp-scale.ts [N ...] [--seconds S] [--pollfreq P] [--ours-only]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSnmpsim } from '../test/helpers/snmpsim.js';

const RECORDING = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'snmprec', 'generex-ups_cs141.snmprec');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : dflt;
};
const seconds = opt('--seconds', 30);
const pollfreq = opt('--pollfreq', 5);
const oursOnly = args.includes('--ours-only');
if (oursOnly) args.splice(args.indexOf('--ours-only'), 1);
const sizes = args.length ? args.map(Number) : [10, 100];
const TICK = 100; // clock ticks per second on Linux

function procStats(pid: number): { cpuMs: number; rssKb: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICK;
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuMs, rssKb: rss ? Number(rss[1]) : 0 };
  } catch {
    return { cpuMs: 0, rssKb: 0 };
  }
}

function sum(pids: number[]): { cpuMs: number; rssKb: number } {
  return pids.map(procStats).reduce((a, b) => ({ cpuMs: a.cpuMs + b.cpuMs, rssKb: a.rssKb + b.rssKb }), { cpuMs: 0, rssKb: 0 });
}

async function measure(pids: number[]): Promise<{ cpuMsPerDevicePoll: number; rssMbPerDevice: number; rssMbTotal: number }> {
  const a = sum(pids);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = sum(pids);
  const n = Number(process.env.BENCH_N);
  const polls = seconds / pollfreq;
  return { cpuMsPerDevicePoll: (b.cpuMs - a.cpuMs) / n / polls, rssMbPerDevice: b.rssKb / 1024 / n, rssMbTotal: b.rssKb / 1024 };
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 5000);
        }),
    ),
  );
}

async function run(n: number): Promise<void> {
  process.env.BENCH_N = String(n);
  const sim = await startSnmpsim([RECORDING], [], (data) => {
    for (let i = 0; i < n; i++) copyFileSync(RECORDING, join(data, `dev${String(i).padStart(4, '0')}.snmprec`));
  });
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-bench-snmp-'));
  try {
    let nutResult = { cpuMsPerDevicePoll: NaN, rssMbPerDevice: NaN, rssMbTotal: NaN };
    if (!oursOnly) {
      // NUT: one process per device.
      mkdirSync(join(dir, 'conf'));
      mkdirSync(join(dir, 'state'));
      const sections = Array.from(
        { length: n },
        (_, i) =>
          `[dev${i}]\n  driver = snmp-ups\n  port = 127.0.0.1:${sim.port}\n  community = dev${String(i).padStart(4, '0')}\n  snmp_retries = 1\n  pollfreq = ${pollfreq}\n`,
      );
      writeFileSync(join(dir, 'conf', 'ups.conf'), sections.join(''));
      const env = { ...process.env, NUT_CONFPATH: join(dir, 'conf'), NUT_STATEPATH: join(dir, 'state') };
      // Started ten at a time (a single snmpsim answers slowly under a burst of detections);
      // a driver that gives up during detection is started again.
      const nut: ChildProcess[] = [];
      const socket = (i: number) => join(dir, 'state', `snmp-ups-dev${i}`);
      for (let first = 0; first < n; first += 10) {
        const batch = Array.from({ length: Math.min(10, n - first) }, (_, k) => first + k);
        for (let attempt = 0; attempt < 5 && batch.some((i) => !existsSync(socket(i))); attempt++) {
          for (const i of batch) {
            if (existsSync(socket(i)) || (nut[i] && nut[i].exitCode === null)) continue;
            nut[i] = spawn('/lib/nut/snmp-ups', ['-a', `dev${i}`, '-F', '-u', 'root'], { env, stdio: 'ignore' });
          }
          const until = Date.now() + 120_000;
          while (batch.some((i) => !existsSync(socket(i)) && nut[i].exitCode === null) && Date.now() < until) {
            await new Promise((r) => setTimeout(r, 250));
          }
        }
        if (batch.some((i) => !existsSync(socket(i)))) throw new Error(`NUT drivers ${batch.join(',')} did not all start`);
      }
      nutResult = await measure(nut.map((c) => c.pid!));
      await stopAll(nut);

    }
    // nut-ts: every instance in one process.
    const ours = spawn(process.execPath, [join(__dirname, '..', '..', '..', 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs'), join(__dirname, 'instances.ts'), String(sim.port), 'dev', String(n), String(pollfreq)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      ours.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
      ours.once('exit', (c) => reject(new Error(`instances exited ${c}`)));
    });
    const oursResult = await measure([ours.pid!]);
    await stopAll([ours]);

    const r = (x: number) => x.toFixed(2);
    console.log(
      `N=${n}: RSS total NUT ${r(nutResult.rssMbTotal)} MB, nut-ts ${r(oursResult.rssMbTotal)} MB (per device ${r(nutResult.rssMbPerDevice)} / ${r(oursResult.rssMbPerDevice)} MB, ratio nut-ts/NUT ${r(oursResult.rssMbTotal / nutResult.rssMbTotal)}); ` +
        `CPU per device per poll NUT ${r(nutResult.cpuMsPerDevicePoll)} ms, nut-ts ${r(oursResult.cpuMsPerDevicePoll)} ms (ratio ${r(oursResult.cpuMsPerDevicePoll / nutResult.cpuMsPerDevicePoll)})`,
    );
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const n of sizes) await run(n);
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
