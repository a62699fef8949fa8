/**
 * upsd per request, measured from a lean C client (bench/upsd-lean.c, compiled here with cc):
 * GET VAR latency on one TCP_NODELAY connection (2,000 requests, one at a time), throughput
 * with 64 connections × 300 requests and 1,000 connections × 50 requests all at once, and the
 * server process's CPU per request (/proc/<pid>/stat utime+stime, and the schedstat
 * nanoseconds of all its threads). NUT 2.8.0 (dummy-ups + upsd) and ours in both start modes
 * (`upsdrvctl start` + `upsd`, which runs upsd in the background host; and `nut start`) serve
 * the same dummy-ups device at once; after one unrecorded warm-up pass, every round measures
 * each server in turn, in a rotating order, and the table gives medians over rounds.
 *   node bench/run.mjs --only upsd-lean [--runs 5]
 *   node bench/upsd-lean.mjs [--runs 3] [--modes host-split,host] [--quick] [--json]
 *                            [--profile DIR]   (alone; --profile: our processes run with
 *                            --cpu-prof into DIR, summarised at the end)
 *                            [--pin CPU]  (client and every thread of the measured server on one
 *                            CPU: no cross-CPU wake-ups, see bench/README.md)
 *                            [--floor]    (also measures bench/bare-node-server.mjs, a Node server
 *                            that answers every line with one constant line: Node's own floor)
 */
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES, REPO, freePort, waitUntil } from './lib/sandbox.mjs';
import { startNut } from './lib/nut-side.mjs';
import { startOursMode } from './lib/ours-side.mjs';
import { Rows } from './lib/rows.mjs';
import { printTable } from './lib/report.mjs';
import { killAllLive } from './lib/stack.mjs';

export const id = 'upsd-lean';
export const title = 'upsd per request, lean C client (GET VAR)';

const DDL = 'APC__Silcon_120kW_3-3__snmp-ups__2.1.0__01.dev';
const LINE = 'GET VAR ups ups.status';
const SETSID = existsSync('/usr/bin/setsid') ? '/usr/bin/setsid' : 'setsid';

/** Compiles the client into a temp dir; returns its path and a cleanup. */
export function buildClient() {
  const dir = mkdtempSync(join(tmpdir(), 'upsd-lean-'));
  const exe = join(dir, 'upsd-lean');
  execFileSync('cc', ['-O2', '-Wall', '-o', exe, join(REPO, 'bench/upsd-lean.c')], { stdio: 'pipe' });
  return { exe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function listeningInodes(port) {
  const inodes = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(f, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const w = line.trim().split(/\s+/);
      if (w.length < 10 || w[3] !== '0A') continue;
      if (Number.parseInt(w[1].split(':')[1], 16) === port) inodes.add(w[9]);
    }
  }
  return inodes;
}

/** The process (of the stack) that holds the listening socket on `port`: the server. */
export function serverPid(stack) {
  const inodes = listeningInodes(stack.port);
  for (const pid of stack.pids()) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return pid;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  throw new Error(`no process of the stack listens on ${stack.port}`);
}

function parse(out) {
  const r = {};
  for (const kv of out.trim().split(/\s+/)) {
    const [k, v] = kv.split('=');
    r[k] = Number(v);
  }
  return r;
}

/**
 * Runs the client once; returns its figures plus server CPU µs per request. The client runs in
 * a session of its own (setsid): with the kernel's autogroup scheduling every session is a
 * group sharing the CPUs, and a client in the same group as a server (a server started in the
 * foreground by this harness) trades wake-ups with it cheaper than with a daemon in its own
 * session (our `upsdrvctl start` + `upsd`), which skewed the comparison. Like this every
 * server is in another group than its client, as a deployed upsd and its clients are.
 */
export function measure(exe, args, pid, pin) {
  const client = [SETSID, '-w', exe, ...args.map(String), String(pid)];
  if (pin != null) execFileSync('taskset', ['-a', '-p', '-c', String(pin), String(pid)], { stdio: 'ignore' });
  let out;
  try {
    out = pin == null ? execFileSync(client[0], client.slice(1), { encoding: 'utf8', timeout: 120_000 }) : execFileSync('taskset', ['-c', String(pin), ...client], { encoding: 'utf8', timeout: 120_000 });
  } finally {
    if (pin != null) execFileSync('taskset', ['-a', '-p', '-c', `0-${availableParallelism() - 1}`, String(pid)], { stdio: 'ignore' });
  }
  const r = parse(out);
  r.cpuUsPerReq = r.server_cpu_ns / 1e3 / r.requests;
  r.cpuTicksUsPerReq = (r.server_cpu_ticks * (1e6 / r.ticks_per_s)) / r.requests;
  r.clientUsPerReq = r.client_cpu_ns / 1e3 / r.requests;
  return r;
}

export function loads(quick) {
  return [
    { key: 'lat', label: 'GET VAR latency, 1 connection (2,000 sequential)', args: ['lat', null, quick ? 500 : 2000, LINE] },
    { key: 'c64', label: '64 connections × 300 GET VAR', args: ['load', null, 64, quick ? 100 : 300, LINE] },
    { key: 'c1000', label: '1,000 connections × 50 GET VAR', args: ['load', null, 1000, quick ? 10 : 50, LINE] },
  ];
}

function defineRows(rows, modes, quick) {
  for (const m of modes)
    for (const l of loads(quick)) {
      const p = `upsd-lean.${m}.${l.key}`;
      const tag = `[${m}] ${l.label}`;
      if (l.key === 'lat') rows.get(`${p}.p50`, `${tag}: p50`, 'us', 'lower');
      else rows.get(`${p}.rps`, `${tag}: throughput`, 'req/s', 'higher');
      rows.get(`${p}.cpu`, `${tag}: server CPU per request (schedstat)`, 'us', 'lower');
      rows.get(`${p}.cpuTicks`, `${tag}: server CPU per request (/proc stat ticks)`, 'us', 'lower');
    }
}

const FLOOR = 'node-floor';

/** bench/bare-node-server.mjs on a free port, as a stack of one process. */
async function startFloor() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO, 'bench/bare-node-server.mjs'), String(port)], { stdio: 'ignore' });
  const answers = () =>
    new Promise((res) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
  await waitUntil(answers, { timeoutMs: 10_000, what: 'bare Node server listening' });
  return { port, mode: 'bench/bare-node-server.mjs (no protocol work)', pids: () => [child.pid], stop: async () => void child.kill('SIGKILL') };
}

export async function run(ctx) {
  const { rows, runs, quick, log } = ctx;
  const modes = [...(ctx.leanModes ?? ['host-split', 'host']), ...(ctx.floor ? [FLOOR] : [])];
  defineRows(rows, modes, quick);
  const devices = [{ name: 'ups', port: 'device.dev', src: join(FIXTURES, 'ddl', DDL) }];
  const client = buildClient();
  const stacks = {};
  const clientCost = [];
  try {
    stacks.nut = await startNut(devices);
    log(`  NUT: ${stacks.nut.mode} on :${stacks.nut.port} (pid ${serverPid(stacks.nut)})`);
    for (const m of modes) {
      try {
        stacks[m] = m === FLOOR ? await startFloor() : await startOursMode(m, devices);
        log(`  ours ${m}: ${stacks[m].mode} on :${stacks[m].port} (pid ${serverPid(stacks[m])})`);
      } catch (e) {
        for (const r of rows.list()) if (r.id.startsWith(`upsd-lean.${m}.`)) r.na('ours', e.message);
        log(`  ours ${m}: n/a (${e.message})`);
      }
    }
    ctx.modes[id] = modes.map((m) => `${m}: ${stacks[m]?.mode ?? 'n/a'}`).join('; ');
    const sides = ['nut', ...modes.filter((m) => stacks[m])];
    // one unrecorded pass per server first: a running daemon is warm (V8 has compiled its path)
    for (const side of sides)
      for (const l of loads(quick)) {
        const args = [...l.args];
        args[1] = stacks[side].port;
        try {
          measure(client.exe, args, serverPid(stacks[side]), ctx.pin);
        } catch (e) {
          log(`  warm-up ${side} ${l.key}: ${e.message}`);
        }
      }
    for (let r = 0; r < runs; r++) {
      const order = sides.map((_, i) => sides[(i + r) % sides.length]);
      for (const l of loads(quick))
        for (const side of order) {
          const st = stacks[side];
          const args = [...l.args];
          args[1] = st.port;
          try {
            const m = measure(client.exe, args, serverPid(st), ctx.pin);
            clientCost.push(m.clientUsPerReq);
            const targets = side === 'nut' ? modes.filter((x) => stacks[x]) : [side];
            for (const t of targets) {
              const p = `upsd-lean.${t}.${l.key}`;
              const who = side === 'nut' ? 'nut' : 'ours';
              if (l.key === 'lat') rows.get(`${p}.p50`).add(who, m.p50_us);
              else rows.get(`${p}.rps`).add(who, m.rps);
              rows.get(`${p}.cpu`).add(who, m.cpuUsPerReq);
              rows.get(`${p}.cpuTicks`).add(who, m.cpuTicksUsPerReq);
            }
          } catch (e) {
            log(`  ${side} ${l.key}: ${e.message}`);
            ctx.notes.push(`${id}: ${side} ${l.key} round ${r + 1}: ${e.message.split('\n')[0]}`);
          }
        }
      log(`  round ${r + 1}/${runs} done`);
    }
    clientCost.sort((a, b) => a - b);
    if (clientCost.length) ctx.notes.push(`${id}: the C client's own CPU per request, median over all measurements: ${clientCost[clientCost.length >> 1].toFixed(2)} us`);
  } finally {
    for (const st of Object.values(stacks)) await st.stop();
    client.cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killAllLive();
      process.exit(130);
    });
  }
  const profDir = opt('profile', null);
  if (profDir) {
    rmSync(profDir, { recursive: true, force: true });
    process.env.NUTBENCH_PROFILE_DIR = profDir;
  }
  const rows = new Rows();
  const ctx = {
    rows,
    runs: Number(opt('runs', '3')),
    quick: argv.includes('--quick'),
    modes: {},
    notes: [],
    leanModes: opt('modes', 'host-split,host').split(','),
    pin: opt('pin', null),
    floor: argv.includes('--floor'),
    log: (s) => console.log(s),
  };
  await run(ctx);
  const list = rows.list().map((r) => r.toJSON());
  console.log(printTable(list));
  for (const n of ctx.notes) console.log(`note: ${n}`);
  if (argv.includes('--json')) console.log(JSON.stringify(list));
  if (profDir) execFileSync(process.execPath, [join(REPO, 'bench/profile-summary.mjs'), profDir, '--top', '40'], { stdio: 'inherit' });
}
