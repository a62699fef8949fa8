/**
 * Delivery of upsmon notifications and the shutdown side: SYSLOG (the logger), WALL (`wall`),
 * EXEC (`<NOTIFYCMD> "<message>"` through the shell, with UPSNAME and NOTIFYTYPE), IGNORE;
 * POWERDOWNFLAG with NUT's magic content and SHUTDOWNCMD.
 */
import { spawn } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { LogLevel, Notification } from './upsmon.js';
import { NOTIFY_EXEC, NOTIFY_IGNORE, NOTIFY_SYSLOG, NOTIFY_WALL } from '../config/notify-types.js';

/** Required content of the power-down flag file. */
export const SDMAGIC = 'upsmon-shutdown-file';

export type Logger = (level: LogLevel, message: string) => void;

export function wall(text: string, log: Logger): void {
  try {
    const child = spawn('wall', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', (err) => log('notice', `Can't invoke wall: ${err.message}`));
    child.stdin.on('error', () => undefined);
    child.stdin.end(text.endsWith('\n') ? text : text + '\n');
  } catch (err) {
    log('notice', `Can't invoke wall: ${(err as Error).message}`);
  }
}

/** Runs `cmd` with /bin/sh like system(3); resolves with the exit status (-1 if it could not run). */
export function system(cmd: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', cmd], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => resolve(-1));
    child.on('exit', (code, signal) => resolve(signal ? 128 : (code ?? -1)));
  });
}

export interface NotifierOptions {
  log: Logger;
  notifyCmd: () => string | undefined;
  wall?: (text: string) => void;
  /** Where EXEC's exit statuses go (tests wait on them). */
  onExecDone?: (n: Notification, status: number) => void;
}

/** upsmon's notify(): syslog at once, then WALL and EXEC without blocking the monitor. */
export function createNotifier(opts: NotifierOptions): (n: Notification) => void {
  const doWall = opts.wall ?? ((text: string) => wall(text, opts.log));
  return (n) => {
    if (n.flags & NOTIFY_IGNORE) return;
    if (n.flags & NOTIFY_SYSLOG) opts.log('notice', n.message);
    if (n.flags & NOTIFY_WALL) doWall(n.message);
    if (n.flags & NOTIFY_EXEC) {
      const cmd = opts.notifyCmd();
      if (cmd === undefined) return;
      const env = { ...process.env, UPSNAME: n.upsname, NOTIFYTYPE: n.type };
      void system(`${cmd} "${n.message}"`, env).then((status) => opts.onExecDone?.(n, status));
    }
  };
}

export type FlagState = 'absent' | 'set' | 'foreign';

/** pdflag_status(): is the flag there, and does it start with the magic? */
export function powerDownFlagState(path: string | undefined): FlagState {
  if (!path) return 'absent';
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return 'absent';
  }
  return text.startsWith(SDMAGIC) ? 'set' : 'foreign';
}

export function writePowerDownFlag(path: string | undefined, log: Logger): void {
  if (!path) return;
  try {
    writeFileSync(path, SDMAGIC);
  } catch {
    log('error', 'Failed to create power down flag!');
  }
}

/**
 * clear_pdflag() at start: removes a flag of ours; a file with other content is left alone and
 * the flag disabled (returns undefined).
 */
export function clearPowerDownFlag(path: string | undefined, log: Logger): string | undefined {
  const state = powerDownFlagState(path);
  if (state === 'foreign') {
    log('error', `POWERDOWNFLAG (${path}) does not contain the upsmon magic string - disabling!`);
    return undefined;
  }
  if (state === 'set' && path) {
    try {
      unlinkSync(path);
    } catch (err) {
      log('error', `Can't remove POWERDOWNFLAG ${path}: ${(err as Error).message}`);
    }
  }
  return path;
}

/** The privileged part of a shutdown: flag file, then SHUTDOWNCMD. */
export async function runShutdown(powerDownFlag: string | undefined, shutdownCmd: string | undefined, log: Logger, who = ''): Promise<void> {
  writePowerDownFlag(powerDownFlag, log);
  if (!shutdownCmd) {
    log('error', `${who}Unable to call shutdown command: (none defined)`);
    return;
  }
  const status = await system(shutdownCmd);
  if (status !== 0) log('error', `${who}Unable to call shutdown command: ${shutdownCmd}`);
}
