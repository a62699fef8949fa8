#!/usr/bin/env node
/**
 * SNMP sweep of 127.0.0.0/24: a few live snmpsim agents (127.0.0.41-43, recordings from
 * test/fixtures/snmprec), every other address silent. NUT 2.8.0's nut-scanner and ours, the
 * same arguments, timeout and thread cap, alternating, several runs; wall time and whether
 * both print the same devices.
 *
 * A figure of `npm run bench` (`node bench/run.mjs --only scanner`), or alone:
 *   npm run build && node bench/scanner.mjs [--runs 3] [--timeout 2] [--threads 512] [--out bench/results/scanner.json]
 *
 * Loopback only. The agents' port goes to both scanners through SNMPCONFPATH's snmp.conf.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rows } from './lib/rows.mjs';

export const id = 'scanner';
export const title = 'nut-scanner SNMP sweep of 127.0.0.0/24 (3 live agents, the rest silent)';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OURS = join(REPO, 'core/dist/cli/nut-scanner.js');
const NUT = '/usr/bin/nut-scanner';
const SNMPSIMD = '/usr/bin/snmpsimd';
const RANGE = '127.0.0.0/24';
const AGENTS = ['127.0.0.41', '127.0.0.42', '127.0.0.43'];
const RECORDINGS = ['cyberpower', 'apc_smx750i', 'eaton-mgeups_9px'];
/** NUT's default thread cap; the timeout is the same for both sides. */
const DEFAULTS = { timeout: '2', threads: '512' };

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function timed(cmd, args, env, limitMs) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    const kill = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (status, signal) => {
      clearTimeout(kill);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status, signal, stdout });
    });
  });
}

/** snmpsimd serving the recordings on the agents' addresses; resolves once the first one answers. */
async function startAgents() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scanner-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  mkdirSync(join(dir, 'cache'));
  mkdirSync(join(dir, 'conf'));
  for (const r of RECORDINGS) copyFileSync(join(REPO, 'test/fixtures/snmprec', `${r}.snmprec`), join(data, `${r}.snmprec`));
  spawnSync('chmod', ['-R', 'a+rwX', dir]);
  chmodSync(dir, 0o777);
  const port = await freeUdpPort();
  writeFileSync(join(dir, 'conf', 'snmp.conf'), `defaultPort ${port}\nmibs :\n`);
  const env = { ...process.env, SNMPCONFPATH: join(dir, 'conf') };
  const sim = spawn(
    SNMPSIMD,
    [`--data-dir=${data}`, `--cache-dir=${join(dir, 'cache')}`, ...AGENTS.map((a) => `--agent-udpv4-endpoint=${a}:${port}`), '--process-user=nobody', '--process-group=nogroup', '--logging-method=null'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => sim.once('exit', resolve));
  const stop = async () => {
    if (sim.exitCode === null && sim.signalCode === null) {
      sim.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (sim.exitCode === null && sim.signalCode === null) sim.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      if (sim.exitCode !== null) throw new Error(`snmpsimd exited (${sim.exitCode})`);
      const r = await timed(process.execPath, [OURS, '-S', '-q', '-P', '-t', '1', '-s', AGENTS[0], '-c', 'cyberpower'], env, 10_000);
      if (r.stdout.includes('SNMP:')) break;
      if (i >= 60) throw new Error('snmpsimd did not answer');
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { env, stop };
}

const sortedLines = (s) => s.split('\n').filter(Boolean).sort().join('\n');

/**
 * The figure: rows `scanner.snmp_sweep` (wall time per sweep, each side) and
 * `scanner.devices` (devices printed); a note when the two sides print different devices.
 */
export async function run(ctx, { timeout = DEFAULTS.timeout, threads = DEFAULTS.threads } = {}) {
  const { rows } = ctx;
  const wall = rows.get('scanner.snmp_sweep', `SNMP sweep ${RANGE}, -t ${timeout} -T ${threads} (wall time)`, 'ms', 'lower');
  const found = rows.get('scanner.devices', 'devices printed by the sweep', 'devices', 'higher');
  for (const [p, what] of [[NUT, 'apt-get install nut-server'], [OURS, 'npm run build'], [SNMPSIMD, 'apt-get install snmpsim']]) {
    if (!existsSync(p)) throw new Error(`${p} is missing (${what})`);
  }
  const agents = await startAgents();
  const args = ['-S', '-q', '-P', '-t', timeout, '-T', threads, '-m', RANGE, '-c', 'cyberpower'];
  // a sweep is bounded: every address costs at most 28 GETs of -t each, all in parallel
  const limitMs = (Number(timeout) * 28 + 30) * 1000;
  const outputs = { nut: new Set(), ours: new Set() };
  try {
    for (let r = 0; r < ctx.runs && !ctx.overBudget(); r++) {
      for (const side of r % 2 ? ['ours', 'nut'] : ['nut', 'ours']) {
        const res = side === 'nut' ? await timed(NUT, args, agents.env, limitMs) : await timed(process.execPath, [OURS, ...args], agents.env, limitMs);
        if (res.status !== 0) {
          ctx.notes.push(`${id}: ${side} run ${r + 1} ended with ${res.signal ?? `status ${res.status}`}`);
          continue;
        }
        wall.add(side, res.ms);
        found.add(side, res.stdout.split('\n').filter(Boolean).length);
        outputs[side].add(sortedLines(res.stdout));
        ctx.log(`  ${id} ${side} run ${r + 1}: ${res.ms.toFixed(0)} ms`);
      }
    }
  } finally {
    await agents.stop();
  }
  const same = outputs.nut.size === 1 && outputs.ours.size === 1 && [...outputs.nut][0] === [...outputs.ours][0];
  ctx.modes[id] = `${process.execPath} ${OURS} (built nut-scanner), same arguments as NUT's`;
  ctx.notes.push(`${id}: ${same ? 'both sides printed the same devices in every run' : 'the two sides printed different devices (or varied between runs)'}`);
  return { same, outputs };
}

async function standalone() {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const runs = Number(arg('--runs', '3'));
  const timeout = arg('--timeout', DEFAULTS.timeout);
  const threads = arg('--threads', DEFAULTS.threads);
  const out = arg('--out', undefined);
  const rows = new Rows();
  const ctx = { rows, runs, modes: {}, notes: [], log: () => {}, overBudget: () => false };
  const { same } = await run(ctx, { timeout, threads });
  const [wall, found] = rows.list().map((r) => r.toJSON());
  console.log(`SNMP sweep of ${RANGE}, ${AGENTS.length} live agents, -t ${timeout} -T ${threads}, ${runs} runs (median ms):`);
  console.log(`  NUT 2.8.0 nut-scanner  ${wall.nut} (${wall.nutRuns.join(', ')})`);
  console.log(`  nut-ts nut-scanner     ${wall.ours} (${wall.oursRuns.join(', ')})  ratio ours/NUT ${wall.ratio}`);
  console.log(`  devices: ${found.nut}, same on both sides: ${same}`);
  for (const n of ctx.notes) console.log(`note: ${n}`);
  if (out) writeFileSync(out, JSON.stringify({ figure: id, range: RANGE, liveAgents: AGENTS.length, timeoutS: Number(timeout), threads: Number(threads), runs, rows: [wall, found], sameDevices: same }, null, 2) + '\n');
  process.exit(same ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await standalone();
