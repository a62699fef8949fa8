#!/usr/bin/env node
/**
 * nut-ts vs NUT 2.8.0 side by side. Usage:
 *   node bench/run.mjs [--quick] [--runs N] [--only upsd,devices,events,coldstart,fleet,fleet-snmp,upsd-lean,scanner]
 *                      [--fleet-large]   (fleet-snmp also at 1,000 devices, about 25 min more)
 *                      [--runs-large N] [--budget-min M] [--out bench/results/latest.json] [--no-merge]
 *                      [--profile DIR]   (our Node processes run with --cpu-prof into DIR)
 *                      [--pin CPU]       (upsd-lean: client and measured server on that one CPU)
 *                      [--floor]         (upsd-lean: also a Node server doing no protocol work)
 * Each figure is a separate module: a figure (or one side of it) that cannot run prints
 * "n/a (reason)" and the rest goes on. Results merge into the output JSON by figure id.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO } from './lib/sandbox.mjs';
import { Rows } from './lib/rows.mjs';
import { machine, printTable, markdownTable } from './lib/report.mjs';
import { nutMissing } from './lib/nut-side.mjs';
import { killAllLive } from './lib/stack.mjs';
import { killSnmpsims } from './lib/snmpsim.mjs';

const FIGURES = ['upsd', 'devices', 'events', 'coldstart', 'fleet', 'fleet-snmp', 'upsd-lean', 'scanner'];
/** Figure modules outside figures/. */
const MODULES = { 'upsd-lean': './upsd-lean.mjs', scanner: './scanner.mjs' };

function parseArgs(argv) {
  const o = { quick: false, runs: null, only: FIGURES, budgetMin: 30, out: join(REPO, 'bench/results/latest.json'), merge: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--pin') o.pin = argv[++i];
    else if (a === '--floor') o.floor = true;
    else if (a === '--runs-large') o.runsLarge = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--budget-min') o.budgetMin = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--no-merge') o.merge = false;
    else if (a === '--fleet-large') o.large = true;
    else if (a === '--profile') o.profile = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(2, 9).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const f of o.only) if (!FIGURES.includes(f)) throw new Error(`unknown figure ${f} (have: ${FIGURES.join(', ')})`);
  o.runs ??= o.quick ? 2 : 5;
  o.runsLarge ??= o.runs;
  return o;
}

function gitCommit() {
  try {
    return execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function markdown(result) {
  const m = result.machine;
  const out = [
    `Generated ${result.generated} at commit ${result.commit ?? '?'}; ${result.runsPerFigure} runs per figure, medians.`,
    '',
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}, ${m.nut}.`,
    '',
  ];
  for (const [name, f] of Object.entries(result.figures)) {
    out.push(`### ${f.title}`, '');
    if (result.modes?.[name]) out.push(`ours = ${result.modes[name]}`, '');
    out.push(markdownTable(f.rows), '');
  }
  return out.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.profile) {
    mkdirSync(opts.profile, { recursive: true });
    process.env.NUTBENCH_PROFILE_DIR = resolve(opts.profile);
  }
  const started = Date.now();
  const budgetEnd = started + opts.budgetMin * 60_000;
  const missing = nutMissing();
  const figures = {};
  const modes = {};
  const notes = [];
  for (const name of opts.only) {
    const mod = await import(MODULES[name] ?? `./figures/${name}.mjs`);
    const rows = new Rows();
    const t0 = Date.now();
    console.log(`\n== ${name}: ${mod.title} (runs=${opts.runs}${opts.quick ? ', quick' : ''})`);
    const ctx = {
      rows,
      runs: opts.runs,
      pin: opts.pin,
      floor: Boolean(opts.floor),
      runsLarge: opts.runsLarge,
      quick: opts.quick,
      large: Boolean(opts.large),
      modes,
      notes,
      log: (s) => console.log(s),
      overBudget: () => Date.now() > budgetEnd,
    };
    if (missing) {
      rows.naAll('nut', missing);
    }
    try {
      await mod.run(ctx);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      console.log(`  ${name} failed: ${why}`);
      notes.push(`${name}: ${why}`);
      rows.naAll('nut', why);
      rows.naAll('ours', why);
    }
    figures[name] = { title: mod.title, runs: opts.runs, quick: opts.quick, seconds: Math.round((Date.now() - t0) / 1000), rows: rows.list().map((r) => r.toJSON()) };
    console.log(printTable(figures[name].rows));
    const reasons = new Set(figures[name].rows.flatMap((r) => [r.oursNa && `ours n/a: ${r.oursNa}`, r.nutNa && `NUT n/a: ${r.nutNa}`]).filter(Boolean));
    for (const why of reasons) console.log(`  ${why}`);
  }

  let merged = { figures: {} };
  if (opts.merge && existsSync(opts.out)) {
    try {
      merged = JSON.parse(readFileSync(opts.out, 'utf8'));
    } catch {
      /* start afresh */
    }
  }
  const result = {
    ...merged,
    generated: new Date().toISOString(),
    commit: gitCommit(),
    machine: machine(),
    runsPerFigure: opts.runs,
    quick: opts.quick,
    modes: { ...(merged.modes ?? {}), ...modes },
    notes: { ...(merged.notes ?? {}) },
    figures: { ...(merged.figures ?? {}), ...figures },
  };
  for (const name of opts.only) result.notes[name] = notes.filter((n) => n.startsWith(name));
  for (const name of opts.only) result.figures[name].generated = result.generated;
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(opts.out.replace(/\.json$/, '') + '.md', markdown(result));
  console.log(`\nmodes: ${JSON.stringify(modes)}`);
  for (const n of notes) console.log(`note: ${n}`);
  console.log(`wrote ${opts.out}`);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping every process this run started`);
    killAllLive();
    killSnmpsims();
    process.exit(130);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
