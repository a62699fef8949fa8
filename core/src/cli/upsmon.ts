#!/usr/bin/env node
/**
 * upsmon: NUT 2.8.0's command line (`+DFBhic:P:f:pu:VK46`), pid file, privileged parent and
 * unprivileged child joined by a pipe (when started as root without -p), and the monitor.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { UpsmonConfig, UpsmonConfResult } from '../config/upsmon-conf.js';
import { readCheckedUpsmonConf } from '../config/monitor-conf-schema.js';
import { systemClock } from '../monitor/clock.js';
import { clearPowerDownFlag, createNotifier, powerDownFlagState, runShutdown, wall } from '../monitor/deliver.js';
import { clientLink } from '../monitor/client-link.js';
import {
  confPath,
  DEFAULT_USER,
  getopt,
  isAlive,
  lookupUser,
  unreadableFor,
  makeStderrLogger,
  NUT_VERSION,
  pidFile,
  readPid,
  removePid,
  signalPidFile,
  writePid,
} from '../monitor/process.js';
import { Upsmon, type LogLevel } from '../monitor/upsmon.js';

const CHILD_ENV = 'NUT_TS_UPSMON_CHILD';
const BACKGROUND_ENV = 'NUT_TS_UPSMON_BACKGROUND';
const PIPE_FD = 3;

function help(): never {
  process.stdout.write(
    [
      'Monitors UPS servers and may initiate shutdown if necessary.',
      '',
      'usage: upsmon [OPTIONS]',
      '',
      '  -c <cmd>\tsend command to running process',
      '\t\tcommands:',
      '\t\t - fsd: shutdown all primary-mode UPSes (use with caution)',
      '\t\t - reload: reread configuration',
      '\t\t - stop: stop monitoring and exit',
      '  -P <pid>\tsend the signal above to specified PID (bypassing PID file)',
      '  -D\t\traise debugging level (and stay foreground by default)',
      '  -F\t\tstay foregrounded even if no debugging is enabled',
      '  -B\t\tstay backgrounded even if debugging is bumped',
      '  -h\t\tdisplay this help',
      '  -K\t\tchecks POWERDOWNFLAG, sets exit code to 0 if set',
      '  -p\t\talways run privileged (disable privileged parent)',
      '  -u <user>\trun child as user <user> (ignored when using -p)',
      '  -4\t\tIPv4 only',
      '  -6\t\tIPv6 only',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

interface Options {
  command?: 'fsd' | 'stop' | 'reload';
  targetPid?: number;
  debug: number;
  foreground?: boolean;
  configFile: string;
  checkFlag: boolean;
  usePipe: boolean;
  user?: string;
}

function parseArgs(argv: string[]): Options {
  const { opts, error } = getopt(argv, '+DFBhic:P:f:pu:VK46');
  if (error) {
    process.stderr.write(`upsmon: ${error}\n`);
    help();
  }
  const o: Options = { debug: 0, configFile: join(confPath(), 'upsmon.conf'), checkFlag: false, usePipe: true };
  for (const [flag, value = ''] of opts) {
    switch (flag) {
      case 'c': {
        const cmd = (['fsd', 'stop', 'reload'] as const).find((c) => value !== '' && c.startsWith(value));
        if (!cmd) help();
        o.command = cmd;
        break;
      }
      case 'P':
        o.targetPid = Number.parseInt(value, 10);
        break;
      case 'D':
        o.debug++;
        break;
      case 'F':
        o.foreground = true;
        break;
      case 'B':
        o.foreground = false;
        break;
      case 'f':
        o.configFile = value;
        break;
      case 'K':
        o.checkFlag = true;
        break;
      case 'p':
        o.usePipe = false;
        break;
      case 'u':
        o.user = value;
        break;
      case 'V':
        process.exit(0);
      // falls through (never reached)
      case '4':
      case '6':
        break;
      default:
        help();
    }
  }
  return o;
}

const SIGNALS = { fsd: 'SIGUSR1', stop: 'SIGTERM', reload: 'SIGHUP' } as const;

function main(): void {
  const isChild = process.env[CHILD_ENV] === '1';
  const daemonized = process.env[BACKGROUND_ENV] === '1';
  if (!isChild) process.stdout.write(`Network UPS Tools upsmon ${NUT_VERSION}\n`);
  const o = parseArgs(process.argv.slice(2));
  const pidfile = pidFile('upsmon');

  if (o.command) {
    const signal = SIGNALS[o.command];
    if (o.targetPid !== undefined) {
      try {
        process.kill(o.targetPid, signal);
        process.exit(0);
      } catch (err) {
        process.stderr.write(`Signaling pid ${o.targetPid} failed: ${(err as Error).message}\n`);
        process.exit(1);
      }
    }
    const failure = signalPidFile(pidfile, signal);
    if (failure) {
      process.stderr.write(`${failure}\n`);
      process.exit(1);
    }
    process.exit(0);
  }

  const foreground = o.foreground ?? o.debug > 0;
  const stderrLine = makeStderrLogger();
  const log = (level: LogLevel, message: string) => {
    if (level === 'debug') {
      if (o.debug > 0) stderrLine(`[D1] ${message}`);
      return;
    }
    // like NUT: stderr until the process is in the background, syslog after
    if (daemonized) syslog(level, message);
    else if (o.debug > 0) stderrLine(message);
    else process.stderr.write(`${message}\n`);
  };

  const load = (): UpsmonConfResult => readCheckedUpsmonConf(o.configFile);
  const { config, problems } = load();
  if (!isChild) for (const p of problems) process.stderr.write(`${p.message}${p.suggestion ? ` (did you mean ${p.suggestion}?)` : ''}\n`);
  const fatal = problems.find((p) => p.severity === 'fatal');
  if (fatal) {
    process.stderr.write('Fatal error: unusable configuration\n');
    process.exit(1);
  }

  if (!isChild) {
    for (const m of config.monitors) {
      log('info', m.powerValue ? `UPS: ${m.system} (${m.primary ? 'primary' : 'secondary'}) (power value ${m.powerValue})` : `UPS: ${m.system} (monitoring only)`);
    }
    if (config.powerDownFlag) log('info', `Using power down flag file ${config.powerDownFlag}`);
  }

  if (o.checkFlag) {
    const state = powerDownFlagState(config.powerDownFlag);
    if (state === 'set') {
      log('info', 'Power down flag is set');
      process.exit(0);
    }
    if (state === 'foreign') log('error', `POWERDOWNFLAG (${config.powerDownFlag}) does not contain the upsmon magic string`);
    else log('error', 'Power down flag is not set');
    process.exit(1);
  }

  if (!isChild) {
    const running = readPid(pidfile);
    if (running !== undefined && running !== process.pid && isAlive(running)) {
      process.stdout.write('Fatal error: A previous upsmon instance is already running!\n');
      process.stdout.write("Either stop the previous instance first, or use the 'reload' command.\n");
      process.exit(1);
    }
    if (config.shutdownCmd === undefined) process.stdout.write('Warning: no shutdown command defined!\n');
    if (config.totalPowerValue < config.minSupplies) {
      process.stdout.write('\nFatal error: insufficient power configured!\n\n');
      process.stdout.write(`Sum of power values........: ${config.totalPowerValue}\n`);
      process.stdout.write(`Minimum value (MINSUPPLIES): ${config.minSupplies}\n`);
      process.stdout.write('\nEdit your upsmon.conf and change the values.\n');
      process.exit(1);
    }
  }
  config.powerDownFlag = isChild ? config.powerDownFlag : clearPowerDownFlag(config.powerDownFlag, log);

  if (!isChild && !foreground && !daemonized) {
    // NUT forks into the background; Node re-runs itself detached instead
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, [BACKGROUND_ENV]: '1' },
    });
    child.unref();
    process.exit(0);
  }

  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isChild && o.usePipe && root) {
    runParent(o, config.powerDownFlag, config.shutdownCmd, config.runAsUser, pidfile, log);
    return;
  }
  if (!isChild) {
    if (!o.usePipe) log('info', 'Warning: running as one big root process by request (upsmon -p)');
    writePid(pidfile);
  }
  void runMonitor(isChild, config, load, pidfile, log);
}

function syslog(level: LogLevel, message: string): void {
  if (!existsSync('/dev/log')) return;
  const priority = { debug: 'debug', info: 'info', notice: 'notice', warning: 'warning', error: 'err', crit: 'crit', alert: 'alert' }[level];
  spawnSync('logger', ['-t', `upsmon[${process.pid}]`, '-p', `daemon.${priority}`, '--', message], { stdio: 'ignore' });
}

/** The privileged parent: waits for the child's one-byte request, then flag + SHUTDOWNCMD. */
function runParent(o: Options, flag: string | undefined, shutdownCmd: string | undefined, confUser: string | undefined, pidfile: string, log: (l: LogLevel, m: string) => void): void {
  const userName = o.user ?? confUser ?? DEFAULT_USER;
  const user = lookupUser(userName);
  if (!user) {
    process.stderr.write(`user ${userName} not found\n`);
    process.exit(1);
  }
  const program = fileURLToPath(import.meta.url);
  const unreadable = unreadableFor(user, program);
  if (unreadable) {
    process.stderr.write(
      `upsmon: the monitoring process runs as user ${userName} (RUN_AS_USER or -u), who cannot read ${program} (${unreadable}).\n` +
        `Install nut-ts where ${userName} can read it (every folder above it searchable by others, e.g. mode 0755), or name another user with -u.\n`,
    );
    process.exit(1);
  }
  for (const s of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) process.on(s, () => undefined);
  const child = spawn(process.execPath, [program, ...process.argv.slice(2)], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    uid: user.uid,
    gid: user.gid,
  });
  // the pid file names the monitoring child: that is who `upsmon -c` signals
  if (child.pid) writePid(pidfile, child.pid);
  for (const s of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(s, () => child.kill(s));
  const pipe = child.stdio[PIPE_FD];
  let requested = false;
  pipe?.on('data', (chunk: Buffer) => {
    if (requested) return;
    if (chunk[0] !== 1) {
      log('error', `upsmon parent: got bogus pipe command ${chunk[0]}`);
      process.exit(1);
    }
    requested = true;
    void runShutdown(flag, shutdownCmd, log, 'parent: ').then(() => process.exit(0));
  });
  child.on('exit', () => {
    if (requested) return;
    try {
      if (readPid(pidfile) === child.pid) removePid(pidfile);
    } catch {
      // best effort
    }
    log('error', 'upsmon parent: exiting (child exited)');
    process.exit(1);
  });
}

async function runMonitor(isChild: boolean, config: UpsmonConfig, load: () => UpsmonConfResult, pidfile: string, log: (l: LogLevel, m: string) => void): Promise<void> {
  let current = config;
  const startPpid = process.ppid;
  const monitor = new Upsmon({
    config,
    link: clientLink,
    clock: systemClock,
    hooks: {
      log,
      notify: createNotifier({ log, notifyCmd: () => current.notifyCmd }),
      wall: (text) => wall(text, log),
      shutdown: async () => {
        if (isChild) {
          try {
            writeSync(PIPE_FD, Buffer.from([1]));
            closeSync(PIPE_FD);
          } catch {
            log('error', 'Unable to call parent pipe for shutdown');
          }
          return;
        }
        if (typeof process.geteuid === 'function' && process.geteuid() !== 0) log('warning', 'Not root, shutdown may fail');
        await runShutdown(current.powerDownFlag, current.shutdownCmd, log);
      },
      parentAlive: isChild ? () => process.ppid === startPpid && isAlive(startPpid) : undefined,
      loadConfig: () => {
        const r = load();
        current = { ...r.config, powerDownFlag: current.powerDownFlag, shutdownCmd: current.shutdownCmd };
        return r;
      },
    },
  });
  process.on('SIGUSR1', () => monitor.requestFsd());
  process.on('SIGHUP', () => monitor.requestReload());
  for (const s of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(s, () => monitor.requestStop(String(signalNumber(s))));
  process.on('SIGPIPE', () => log('debug', 'SIGPIPE: dazed and confused, but continuing...'));
  const exit = await monitor.run();
  if (!isChild) removePid(pidfile);
  if (exit.reason === 'fatal') {
    log('crit', exit.message);
    process.exit(1);
  }
  process.exit(0);
}

function signalNumber(s: string): number {
  return { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGTERM: 15 }[s] ?? 0;
}

main();
