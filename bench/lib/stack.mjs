/**
 * A running server stack (NUT's or ours) in a sandbox: which processes belong to it, how to
 * stop it. Processes are found through their environment (the sandbox path), so daemons
 * that fork away are accounted and stopped too; nothing outside the sandbox is touched.
 */
import { spawn } from 'node:child_process';
import { sandboxPids } from './proc.mjs';
import { sleep } from './sandbox.mjs';
import { oneShot } from './nutclient.mjs';

export function spawnLogged(cmd, args, env, log, cwd) {
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d) => {
    const text = d.toString('latin1');
    if (log.text.length < 20_000) log.text += text;
    // when each line arrived, relative to the stack's creation (for start-up timelines)
    if (log.timeline && log.timeline.length < 400) {
      const ms = performance.now() - log.since;
      for (const line of text.split('\n')) if (line.trim()) log.timeline.push({ ms, line });
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('error', (e) => keep(`spawn error: ${e.message}\n`));
  return child;
}

/** Stacks not yet stopped: an interrupted run (Ctrl-C) still stops their processes. */
const live = new Set();

export function killAllLive() {
  for (const st of live) {
    for (const pid of st.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    st.sb.cleanup();
  }
  live.clear();
}

export class Stack {
  constructor({ side, mode, sb, port }) {
    live.add(this);
    this.side = side;
    this.mode = mode;
    this.sb = sb;
    this.port = port;
    this.log = { text: '', timeline: [], since: performance.now() };
    this.children = [];
  }

  spawn(cmd, args) {
    // --profile: our Node processes write V8 CPU profiles (on a clean exit) for the analysis.
    const profDir = process.env.NUTBENCH_PROFILE_DIR;
    if (profDir && this.side === 'ours' && cmd === process.execPath) {
      args = ['--cpu-prof', `--cpu-prof-dir=${profDir}`, ...args];
    }
    // cwd = the sandbox: host settings (cosmiconfig searches from the cwd) come from there only.
    const c = spawnLogged(cmd, args, this.sb.env, this.log, this.sb.dir);
    this.children.push(c);
    return c;
  }

  pids() {
    return sandboxPids(this.sb.dir);
  }

  /** True once GET VAR <ups> ups.status gets a VAR answer. */
  async answers(ups, timeoutMs = 2000) {
    try {
      const a = await oneShot(this.port, `GET VAR ${ups} ups.status`, timeoutMs);
      return a.startsWith('VAR ');
    } catch {
      return false;
    }
  }

  logTail(n = 600) {
    return this.log.text.slice(-n).replace(/\s+/g, ' ').trim();
  }

  async stop() {
    for (let round = 0; round < 3; round++) {
      const pids = this.pids();
      if (!pids.length) break;
      const sig = round === 0 ? 'SIGTERM' : 'SIGKILL';
      for (const pid of pids) {
        try {
          process.kill(pid, sig);
        } catch {
          /* already gone */
        }
      }
      const deadline = Date.now() + (round === 0 ? 5000 : 2000);
      while (Date.now() < deadline && this.pids().length) await sleep(50);
    }
    live.delete(this);
    this.sb.cleanup();
  }
}
