/**
 * A running host process: the Host, its control socket and pid file, signal handling. Used by
 * the detached daemon (daemon.ts) and by `nut start` in the foreground.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { ControlServer } from './control-server.js';
import { Host, type HostLogger, type HostOptions } from './host.js';
import type { LogFile } from './log-file.js';
import { controlSocketPath, hostPidPath } from './paths.js';
import { loadHostSettings, mergeSettings, type HostSettings } from './settings.js';
import { startHostServices } from './services.js';
import { secureStateDir, writePidFile } from './state-dir.js';

export interface RunningHost {
  host: Host;
  control: ControlServer;
  settings: HostSettings;
  /** Resolves when the host has stopped (host-stop, idle exit, signal). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export interface RunHostOptions extends Omit<HostOptions, 'log'> {
  log: HostLogger;
  /** Exit when nothing runs any more after a stop request (the daemon does). */
  exitWhenIdle?: boolean;
  handleSignals?: boolean;
  /** The log file the logger writes to (reopened on SIGHUP). */
  logFile?: LogFile;
}

export function consoleLogger(stream: NodeJS.WritableStream = process.stdout): HostLogger {
  return (level, message) => {
    const stamp = new Date().toISOString();
    stream.write(`${stamp} ${level.padEnd(5)} ${message}\n`);
  };
}

/** Lines as consoleLogger writes them, into a LogFile (rotated by size). */
export function fileLogger(file: LogFile): HostLogger {
  return (level, message) => {
    const stamp = new Date().toISOString();
    file.write(`${stamp} ${level.padEnd(5)} ${message}\n`);
  };
}

export async function runHost(options: RunHostOptions): Promise<RunningHost> {
  const log = options.log;
  let settings: HostSettings;
  if (options.settings) settings = mergeSettings(options.settings);
  else {
    const loaded = await loadHostSettings(options.cwd, options.paths.confPath);
    for (const p of loaded.problems) log('warn', p);
    if (loaded.file) log('info', `host settings from ${loaded.file}`);
    ({ settings } = loaded);
  }
  for (const m of secureStateDir(options.paths.statePath)) log('warn', m);
  const host = new Host({ ...options, settings, log });
  const first = host.loadConfig();
  for (const m of first.messages) log(first.ok ? 'warn' : 'error', m);
  const services = await startHostServices(host, settings, log);
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  const pidFile = hostPidPath(options.paths.altPidPath);
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log('info', 'host stopping');
      await services.close();
      await host.close();
      await control.close();
      try {
        if (existsSync(pidFile)) unlinkSync(pidFile);
      } catch {
        /* gone */
      }
      log('info', 'host stopped');
      resolveDone();
    })();
    return stopping;
  };
  const control = new ControlServer(host, controlSocketPath(options.paths.statePath), {
    onHostStop: () => void stop(),
    onIdle: options.exitWhenIdle ? () => void stop() : undefined,
  });
  await control.listen();
  try {
    writePidFile(pidFile);
  } catch (e) {
    log('warn', `cannot write ${pidFile}: ${(e as Error).message}`);
  }
  if (options.handleSignals) {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.once(sig, () => void stop());
    process.on('SIGHUP', () => {
      try {
        options.logFile?.reopen();
      } catch (e) {
        log('error', `cannot reopen the log: ${(e as Error).message}`);
      }
      const r = host.loadConfig();
      for (const m of r.messages) log('warn', m);
      if (host.upsd.running) void host.upsd.reload();
    });
  }
  log('info', `host running (pid ${process.pid}), control socket ${control.path}`);
  return { host, control, settings, done, stop };
}

/**
 * The exit status once the host has stopped. A worker thread blocked in a system call (a
 * plugin's, not ours) cannot be ended, and Node's exit waits for every thread: the process
 * ends itself with SIGKILL instead, after everything else was closed.
 */
export function exitCodeAfterStop(running: RunningHost, log: HostLogger, code = 0): number {
  const stuck = running.host.pool.wedgedThreads;
  if (stuck.length > 0) {
    log('error', `ending with SIGKILL: ${stuck.join('; ')} cannot be ended (blocked in a system call)`);
    process.kill(process.pid, 'SIGKILL');
  }
  return code;
}
