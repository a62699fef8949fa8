#!/usr/bin/env node
/**
 * upsd: NUT 2.8.0's flags and messages.
 *   upsd [-F|-FF|-B] [-D…] [-c reload|stop] [-P pid] [-u user] [-4|-6] [-q] [-V] [-h]
 *
 * Host mode (the default): the nut-ts host for this state path (started when none runs) opens
 * the listeners from upsd.conf and serves its driver instances; `upsd` returns once they
 * listen, `-c reload|stop` go through the host's control socket. With -F and no host running,
 * or with NUT_TS_UPSD_STANDALONE=1, upsd runs the server in this process instead and serves
 * one NUT driver socket per ups.conf section (<statepath>/<driver>-<ups>), like NUT's upsd;
 * without -F that standalone server goes to the background once listening.
 */
import { startWhenMain } from './main-module.js';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHost, findHost, type ControlClient } from '../host/control-client.js';
import type { ControlReply } from '../host/control-protocol.js';
import { nutPaths } from '../host/paths.js';
import { switchProcessUser } from '../host/privileges.js';
import {
  DriverSocketDirectory,
  UpsdService,
  parseUpsConfForUpsd,
  readFileText,
  SERVER_VERSION,
  type LogLevel,
} from '../upsd/index.js';

const BANNER = `Network UPS Tools upsd ${SERVER_VERSION}`;

const HELP = `${BANNER}
Network server for UPS data.

usage: upsd [OPTIONS]

  -c <command>	send <command> via signal to background process
		commands:
		 - reload: reread configuration files
		 - stop: stop process and exit
  -P <pid>	send the signal above to specified PID (bypassing PID file)
  -D		raise debugging level (and stay foreground by default)
  -F		stay foregrounded even if no debugging is enabled
  -FF		stay foregrounded and still save the PID file
  -B		stay backgrounded even if debugging is bumped
  -h		display this help
  -r <dir>	chroots to <dir>
  -q		raise log level threshold
  -u <user>	switch to <user> (if started as root)
  -V		display the version of this software
  -4		IPv4 only
  -6		IPv6 only
`;

/** Set in the environment of the background copy. */
const DAEMON_ENV = 'NUT_TS_UPSD_DAEMON';
/** Seconds of client inactivity before the drop (NUT: 60). */
const IDLE_ENV = 'NUT_TS_UPSD_IDLE_TIMEOUT';
/** Serve NUT driver sockets in this process even when a host could do it. */
const STANDALONE_ENV = 'NUT_TS_UPSD_STANDALONE';

interface Options {
  command: string | undefined;
  pid: number | undefined;
  debug: number;
  foreground: number;
  background: boolean;
  user: string | undefined;
  family: 4 | 6 | undefined;
  quiet: number;
}

class UsageExit extends Error {
  constructor(readonly code: number) {
    super('exit');
  }
}

function parseArgs(argv: string[], out: (s: string) => void): Options {
  const o: Options = { command: undefined, pid: undefined, debug: 0, foreground: 0, background: false, user: undefined, family: undefined, quiet: 0 };
  const withArg = new Set(['c', 'P', 'r', 'u']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j];
      let value: string | undefined;
      if (withArg.has(f)) {
        value = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
        if (value === undefined) {
          out(`upsd: option requires an argument -- '${f}'\n`);
          out(HELP);
          throw new UsageExit(1);
        }
      }
      switch (f) {
        case 'c':
          o.command = value;
          break;
        case 'P':
          o.pid = Number.parseInt(value!, 10);
          break;
        case 'D':
          o.debug++;
          break;
        case 'F':
          o.foreground++;
          break;
        case 'B':
          o.background = true;
          break;
        case 'u':
          o.user = value;
          break;
        case 'r':
          break;
        case 'q':
          o.quiet++;
          break;
        case '4':
          o.family = 4;
          break;
        case '6':
          o.family = 6;
          break;
        case 'V':
          throw new UsageExit(0);
        case 'h':
          process.stdout.write(HELP);
          throw new UsageExit(0);
        default:
          out(`upsd: invalid option -- '${f}'\n`);
          out(HELP);
          throw new UsageExit(1);
      }
      if (value !== undefined) break;
    }
  }
  return o;
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  return (e as Error).message;
}

function paths(env: NodeJS.ProcessEnv) {
  const statePath = env.NUT_STATEPATH || '/run/nut';
  return {
    confPath: env.NUT_CONFPATH || '/etc/nut',
    statePath,
    pidFile: join(env.NUT_ALTPIDPATH || statePath, 'upsd.pid'),
  };
}

function sendSignal(o: Options, pidFile: string, err: (s: string) => void): number {
  const signal = o.command === 'reload' ? 'SIGHUP' : o.command === 'stop' ? 'SIGTERM' : undefined;
  if (!signal) {
    err(HELP);
    return 1;
  }
  let pid = o.pid;
  if (pid === undefined) {
    try {
      pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    } catch (e) {
      err(`fopen ${pidFile}: ${errnoText(e)}\n`);
      return 1;
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    err(`Invalid PID in ${pidFile}\n`);
    return 1;
  }
  try {
    process.kill(pid, signal);
  } catch (e) {
    err(`kill ${pid}: ${errnoText(e)}\n`);
    return 1;
  }
  return 0;
}

/** ups.conf's sections for the standalone upsd; throws NUT's message when it cannot be read. */
function readUpsConf(confPath: string): ReturnType<typeof parseUpsConfForUpsd> {
  const file = join(confPath, 'ups.conf');
  try {
    return parseUpsConfForUpsd(readFileText(file));
  } catch (e) {
    throw new Error(`Can't open ${file}: ${errnoText(e)}`);
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let sink = (s: string) => void process.stderr.write(s);
  const err = (s: string) => sink(s);
  let o: Options;
  try {
    o = parseArgs(argv, err);
  } catch (e) {
    if (e instanceof UsageExit) {
      if (e.code === 0 && !argv.includes('-h')) process.stdout.write(BANNER + '\n');
      return e.code;
    }
    throw e;
  }
  const daemonChild = env[DAEMON_ENV] === '1';
  if (!daemonChild) process.stdout.write(BANNER + '\n');
  const p = paths(env);
  const foreground = (o.foreground > 0 || o.debug > 0) && !o.background;
  const standalone = daemonChild || /^(1|yes|true|on)$/i.test(env[STANDALONE_ENV] ?? '');
  if (!standalone) {
    const viaHost = await hostMode(o, foreground, env, err);
    if (viaHost !== undefined) return viaHost;
  }
  if (o.command !== undefined) return sendSignal(o, p.pidFile, err);

  if (!foreground && !daemonChild) return startInBackground(argv);

  const minLevel: LogLevel[] = o.debug > 0 ? ['debug', 'info', 'notice', 'warn', 'error'] : ['info', 'notice', 'warn', 'error'];
  const log = (level: LogLevel, message: string) => {
    if (minLevel.includes(level)) err(message + '\n');
  };
  // the same upsd service as the host's, over one NUT driver socket per ups.conf section
  const directory = new DriverSocketDirectory({ statePath: p.statePath, log: (level, m) => log(level, m) });
  const idle = Number.parseFloat(env[IDLE_ENV] ?? '');
  const service = new UpsdService(directory, {
    confPath: p.confPath,
    log,
    idleTimeoutMs: Number.isFinite(idle) && idle > 0 ? idle * 1000 : undefined,
    env,
    configure: (conf) => {
      const ups = readUpsConf(p.confPath);
      directory.setStatePath(conf.statePath ?? p.statePath);
      directory.setMaxAge(conf.maxAge);
      directory.update(ups.sections);
      return ups.warnings;
    },
  });
  const started = await service.start({ family: o.family });
  for (const m of started.messages) err(m + '\n');
  if (!started.ok) {
    directory.stop();
    const last = started.messages[started.messages.length - 1] ?? 'upsd failed to start';
    if (process.send) process.send({ t: 'failed', message: last });
    return 1;
  }

  // NUT's upsd switches to its build's user (nut) unless -u names another; so do we
  const switched = switchProcessUser({ env: o.user ?? (env.NUT_RUN_AS_USER || undefined) }, p);
  if (switched.ok && switched.warning) log('warn', switched.warning);
  if (!switched.ok) {
    err(`${switched.error}\n`);
    await service.stop();
    directory.stop();
    if (process.send) process.send({ t: 'failed', message: switched.error });
    return 1;
  }

  const savePid = daemonChild || o.foreground > 1;
  if (savePid) {
    try {
      writeFileSync(p.pidFile, `${process.pid}\n`);
    } catch (e) {
      err(`Can't write PID file ${p.pidFile}: ${errnoText(e)}\n`);
    }
  } else {
    err('Running as foreground process, not saving a PID file\n');
  }

  const reload = async () => {
    log('info', 'SIGHUP: reloading configuration');
    const r = await service.reload();
    for (const m of r.messages) log(r.ok ? 'warn' : 'error', m);
  };

  return new Promise<number>((resolve) => {
    const stop = async (signal: NodeJS.Signals, number: number) => {
      log('info', `Signal ${number}: exiting`);
      await service.stop();
      directory.stop();
      if (savePid && existsSync(p.pidFile)) {
        try {
          unlinkSync(p.pidFile);
        } catch {
          // someone else's now
        }
      }
      resolve(0);
    };
    process.on('SIGHUP', () => void reload());
    process.once('SIGTERM', () => void stop('SIGTERM', 15));
    process.once('SIGINT', () => void stop('SIGINT', 2));
    if (process.send) {
      process.send({ t: 'listening' });
      process.disconnect?.();
    }
    if (daemonChild) {
      // detached: the parent that showed our messages is gone
      process.stderr.on('error', () => {});
      sink = () => {};
    }
  });
}

function printReply(reply: ControlReply, err: (s: string) => void): void {
  for (const m of reply.messages) err(m + '\n');
}

/**
 * upsd through the nut-ts host. Returns the exit status, or undefined when this run is for
 * the standalone server (-F without a running host, or -c for a standalone upsd).
 */
async function hostMode(o: Options, foreground: boolean, env: NodeJS.ProcessEnv, err: (s: string) => void): Promise<number | undefined> {
  const hostPaths = nutPaths(env);
  if (o.command !== undefined) {
    if (o.command !== 'reload' && o.command !== 'stop') return undefined;
    const client = await findHost(hostPaths);
    if (!client) return undefined;
    try {
      const reply = await client.request({ cmd: o.command === 'reload' ? 'upsd-reload' : 'upsd-stop' });
      printReply(reply, err);
      return reply.ok ? 0 : 1;
    } finally {
      client.close();
    }
  }
  let client: ControlClient | undefined;
  if (foreground) {
    client = await findHost(hostPaths);
    if (!client) return undefined;
  } else {
    try {
      client = await ensureHost({ paths: hostPaths, env: o.user ? { ...env, NUT_RUN_AS_USER: o.user } : env });
    } catch (e) {
      err(`${(e as Error).message}\n`);
      return 1;
    }
  }
  const started = await client.request({ cmd: 'upsd-start', family: o.family, allowNoDevice: env.ALLOW_NO_DEVICE });
  printReply(started, err);
  if (!started.ok || !foreground) {
    client.close();
    return started.ok ? 0 : 1;
  }
  // -F with a host: stay until told to stop, then take the listeners down again
  const host = client;
  return new Promise<number>((resolve) => {
    const finish = async (code: number) => {
      try {
        printReply(await host.request({ cmd: 'upsd-stop' }), err);
      } catch {
        // the host went away with its listeners
      }
      host.close();
      resolve(code);
    };
    process.on('SIGHUP', () => {
      void host.request({ cmd: 'upsd-reload' }).then((r) => printReply(r, err), () => {});
    });
    process.once('SIGTERM', () => void finish(0));
    process.once('SIGINT', () => void finish(0));
  });
}

/** NUT forks and returns once the listeners are up; so do we. */
function startInBackground(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const script = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, [script, ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, [DAEMON_ENV]: '1' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    const done = (code: number) => {
      child.stderr!.removeAllListeners('data');
      child.stderr!.destroy();
      child.unref();
      resolve(code);
    };
    child.on('message', (m: { t?: string }) => {
      if (m.t === 'listening') done(0);
      else if (m.t === 'failed') done(1);
    });
    child.on('exit', (code) => done(code ?? 1));
    void stderr;
  });
}


startWhenMain(import.meta.url, 'upsd', main);
