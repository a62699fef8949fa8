/**
 * upssched (reference/clients.md §6): rules evaluated in file order against UPSNAME and
 * NOTIFYTYPE, a timer daemon listening on PIPEFN (started under LOCKFN), CMDSCRIPT runs.
 * Unlike NUT 2.8.0 the daemon sleeps between events (no busy loop) and really waits 15 idle
 * seconds before it exits.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { closeSync, openSync, unlinkSync } from 'node:fs';
import type { UpsschedConfig } from '../config/upssched-conf.js';
import { splitLine } from '../client/words.js';
import { quoteArg } from '../client/words.js';
import { cAtoiInt as atoi } from '../config/c-numbers.js';
import { systemClock, type Clock } from './clock.js';

export const DAEMON_IDLE_SECONDS = 15;
export const CLIENT_RETRIES = 30;
export const CLIENT_RETRY_MS = 250;

export class UpsschedError extends Error {}

/** Pending timers in start order; CANCEL removes the first of a name. */
export class TimerQueue {
  private timers: Array<{ name: string; due: number }> = [];

  start(name: string, seconds: number, now: number): void {
    this.timers.push({ name, due: now + seconds * 1000 });
  }

  cancel(name: string): boolean {
    const i = this.timers.findIndex((t) => t.name === name);
    if (i < 0) return false;
    this.timers.splice(i, 1);
    return true;
  }

  /** Removes and returns the timers due at `now`, in queue order. */
  takeDue(now: number): string[] {
    const due = this.timers.filter((t) => t.due <= now).map((t) => t.name);
    this.timers = this.timers.filter((t) => t.due > now);
    return due;
  }

  nextDue(): number | undefined {
    return this.timers.length ? Math.min(...this.timers.map((t) => t.due)) : undefined;
  }

  get size(): number {
    return this.timers.length;
  }
}

export interface DaemonOptions {
  pipeFn: string;
  /** Runs `CMDSCRIPT <arg>`. */
  run: (arg: string) => void;
  clock?: Clock;
  idleSeconds?: number;
  log?: (message: string) => void;
}

/** The timer daemon. Resolves once it has been idle long enough and has closed PIPEFN. */
export function runTimerDaemon(opts: DaemonOptions): { listening: Promise<void>; done: Promise<void>; server: Server } {
  const clock = opts.clock ?? systemClock;
  const idleMs = (opts.idleSeconds ?? DAEMON_IDLE_SECONDS) * 1000;
  const queue = new TimerQueue();
  const log = opts.log ?? (() => undefined);
  let wake: NodeJS.Timeout | undefined;
  let idleSince = clock.now();
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => (finish = r));
  const server = createServer();
  const clients = new Set<Socket>();

  const schedule = () => {
    if (wake) clearTimeout(wake);
    const next = queue.nextDue();
    const now = clock.now();
    const at = next ?? idleSince + idleMs;
    wake = setTimeout(tick, Math.max(0, at - now));
  };
  const runDue = (now: number) => {
    for (const name of queue.takeDue(now)) {
      log(`Event: ${name} `);
      opts.run(name);
    }
  };
  const tick = () => {
    const now = clock.now();
    runDue(now);
    if (queue.size === 0 && clients.size === 0 && now - idleSince >= idleMs) {
      log('Timer queue empty, exiting');
      server.close();
      try {
        unlinkSync(opts.pipeFn);
      } catch {
        // gone already
      }
      finish();
      return;
    }
    if (queue.size > 0) idleSince = now;
    schedule();
  };
  const handle = (line: string): string => {
    const words = splitLine(line).words;
    const now = clock.now();
    if (words[0] === 'START' && words.length >= 3) {
      const seconds = atoi(words[2]);
      if (seconds < 0) return 'OK';
      log(`New timer: ${words[1]} (${seconds} seconds)`);
      queue.start(words[1], seconds, now);
      idleSince = now;
      schedule();
      return 'OK';
    }
    if (words[0] === 'CANCEL' && words.length >= 2) {
      if (queue.cancel(words[1])) log(`Cancelling timer: ${words[1]}`);
      else if (words[2] !== undefined) opts.run(words[2]);
      idleSince = now;
      schedule();
      return 'OK';
    }
    return 'ERR UNKNOWN';
  };
  server.on('connection', (sock) => {
    clients.add(sock);
    let buffer = '';
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        sock.write(handle(line) + '\n');
      }
      // As NUT's daemon checks its timers after every round of requests: a timer already due
      // (START t 0) fires before the next request is read, never after a later CANCEL.
      runDue(clock.now());
    });
    const gone = () => {
      if (!clients.delete(sock)) return;
      idleSince = clock.now();
      schedule();
    };
    sock.on('close', gone);
    sock.on('error', gone);
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.pipeFn, () => {
        server.removeListener('error', reject);
        schedule();
        resolve();
      });
    });
  // a socket file left by a dead daemon is taken over; a live daemon keeps its socket
  const listening = listen().catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' || (await daemonRunning(opts.pipeFn))) throw err;
    unlinkSync(opts.pipeFn);
    await listen();
  });
  return { listening, done, server };
}

/** Sends one line to the daemon and reads its answer; rejects when nothing listens. */
export function sendToDaemon(pipeFn: string, line: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(pipeFn);
    let buffer = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write(line + '\n'));
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        resolve(buffer.slice(0, nl));
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export interface ClientDeps {
  /** Starts a daemon process listening on PIPEFN (detached; it outlives this run). */
  spawnDaemon: () => void;
  runScript: (arg: string) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  log: (message: string) => void;
}

/**
 * sendcmd(): talk to the daemon, starting it under LOCKFN when nobody listens. Gives up after
 * 30 attempts like NUT ("Unable to connect to daemon and unable to start daemon").
 */
export async function sendCommand(pipeFn: string, lockFn: string, line: string, deps: ClientDeps): Promise<void> {
  for (let attempt = 0; attempt < CLIENT_RETRIES; attempt++) {
    try {
      const answer = await sendToDaemon(pipeFn, line);
      if (answer.startsWith('OK')) return;
      deps.log(`Daemon answered ${answer} to ${line}`);
    } catch {
      let fd: number | undefined;
      try {
        fd = openSync(lockFn, 'wx', 0o600);
      } catch {
        // someone else is starting the daemon: wait for it
      }
      if (fd !== undefined) {
        closeSync(fd);
        try {
          deps.spawnDaemon();
          // a loaded machine may take seconds to start it; the lock keeps others waiting
          for (let i = 0; i < 150; i++) {
            await deps.sleep(100);
            const up = await sendToDaemon(pipeFn, line).then(
              (a) => a,
              () => undefined,
            );
            if (up?.startsWith('OK')) return;
            if (up !== undefined) break;
          }
        } finally {
          try {
            unlinkSync(lockFn);
          } catch {
            // removed already
          }
        }
      }
    }
    await deps.sleep(CLIENT_RETRY_MS);
  }
  throw new UpsschedError('Unable to connect to daemon and unable to start daemon');
}

/** Whether a daemon listens on PIPEFN (a slow answer still counts as alive). */
export async function daemonRunning(pipeFn: string): Promise<boolean> {
  try {
    await sendToDaemon(pipeFn, 'PING', 5000);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return !(code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK');
  }
}

/**
 * One upssched run: every AT whose type matches NOTIFYTYPE (any case) and whose UPS is `*`
 * or exactly UPSNAME is carried out, in file order.
 */
export async function runRules(config: UpsschedConfig, env: { UPSNAME: string; NOTIFYTYPE: string }, deps: ClientDeps): Promise<void> {
  let cmdScript: string | undefined;
  let pipeFn: string | undefined;
  let lockFn: string | undefined;
  for (const d of config.directives) {
    if (d.key === 'CMDSCRIPT') cmdScript = d.value;
    else if (d.key === 'PIPEFN') pipeFn = d.value;
    else if (d.key === 'LOCKFN') lockFn = d.value;
    else if (d.key === 'AT') {
      if (!cmdScript) throw new UpsschedError('CMDSCRIPT must be set before any ATs in the config file!');
      if (d.notifyType.toUpperCase() !== env.NOTIFYTYPE.toUpperCase()) continue;
      if (d.upsname !== '*' && d.upsname !== env.UPSNAME) continue;
      const a = d.action;
      if (a.kind === 'EXECUTE') {
        if (!a.command) throw new UpsschedError('Empty EXECUTE command argument');
        await deps.runScript(a.command);
        continue;
      }
      if (!pipeFn) throw new UpsschedError('PIPEFN must be set before any ATs in the config file!');
      if (!lockFn) throw new UpsschedError('LOCKFN must be set before any ATs in the config file!');
      if (a.kind === 'START-TIMER') {
        const line = a.seconds === undefined ? `START ${quoteArg(a.name)}` : `START ${quoteArg(a.name)} ${quoteArg(a.seconds)}`;
        await sendCommand(pipeFn, lockFn, line, deps);
      } else if (await daemonRunning(pipeFn)) {
        await sendCommand(pipeFn, lockFn, a.command === undefined ? `CANCEL ${quoteArg(a.name)}` : `CANCEL ${quoteArg(a.name)} ${quoteArg(a.command)}`, deps);
      } else if (a.command !== undefined) {
        // no daemon means no timer to cancel: the fallback command runs now
        await deps.runScript(a.command);
      }
    }
  }
}
