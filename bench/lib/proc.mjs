/** Process accounting from /proc: resident memory, CPU ticks, and the processes of a sandbox. */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* keep Linux's usual 100 */
}

function readOrNull(path) {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** Resident set size in kB (VmRSS), or 0 when the process is gone. */
export function rssKb(pid) {
  const s = readOrNull(`/proc/${pid}/status`);
  const m = s && /^VmRSS:\s+(\d+)/m.exec(s);
  return m ? Number(m[1]) : 0;
}

/** utime+stime of a process in seconds (its threads included), or 0 when it is gone. */
export function cpuSeconds(pid) {
  const s = readOrNull(`/proc/${pid}/stat`);
  if (!s) return 0;
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // fields after the command: state(3) ppid(4) ... utime(14) stime(15): index = field - 3
  return (Number(rest[11]) + Number(rest[12])) / clkTck;
}

function allPids() {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/**
 * Every live process whose environment names this sandbox directory (NUT_STATEPATH or
 * NUT_CONFPATH inside it). Daemons that fork away from us are found this way too.
 */
export function sandboxPids(sandboxDir) {
  const needle = Buffer.from(sandboxDir);
  const found = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    let env;
    try {
      env = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    if (env.includes(needle)) {
      const st = readOrNull(`/proc/${pid}/stat`);
      if (st && !/\) Z /.test(st)) found.push(pid);
    }
  }
  return found;
}

export function sumRssKb(pids) {
  return pids.reduce((a, p) => a + rssKb(p), 0);
}

/**
 * CPU seconds of a process from the scheduler's nanosecond counters of all its threads
 * (/proc/<pid>/task/<tid>/schedstat); falls back to the 10 ms ticks of /proc/<pid>/stat.
 */
export function cpuSecondsPrecise(pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let ns = 0;
  for (const tid of tids) {
    const s = readOrNull(`/proc/${pid}/task/${tid}/schedstat`);
    if (!s) return cpuSeconds(pid);
    ns += Number(s.split(' ')[0]);
  }
  return ns / 1e9;
}

export function sumCpuSeconds(pids) {
  return pids.reduce((a, p) => a + cpuSecondsPrecise(p), 0);
}

/** CPU seconds used per wall second by these processes over windowMs. */
export async function cpuPerSecond(pids, windowMs) {
  const c0 = sumCpuSeconds(pids);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const c1 = sumCpuSeconds(pids);
  return (c1 - c0) / ((performance.now() - t0) / 1000);
}

/** Proportional set size in kB (shared pages divided among their users), or 0. */
export function pssKb(pid) {
  const s = readOrNull(`/proc/${pid}/smaps_rollup`);
  const m = s && /^Pss:\s+(\d+)/m.exec(s);
  return m ? Number(m[1]) : 0;
}

export function sumPssKb(pids) {
  return pids.reduce((a, p) => a + pssKb(p), 0);
}

/** argv[0] of a process ('' when gone). */
export function exeOf(pid) {
  const s = readOrNull(`/proc/${pid}/cmdline`);
  return s ? s.split('\0')[0] : '';
}
