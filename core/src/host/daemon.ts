/**
 * The background host (started by ensureHost): serves the control socket for
 * NUT_STATEPATH, runs what the CLIs ask for, and exits once nothing runs after a stop.
 */
import type { HostLogger } from './host.js';
import { LogFile } from './log-file.js';
import { controlSocketPath, hostLogPath, hostPidPath, nutPaths, type NutPaths } from './paths.js';
import { becomeUser, handOver, resolveRunAsUser, unreachableFor } from './privileges.js';
import { fileLogger, runHost, type RunningHost } from './run.js';

/** Switches to the configured user once the host holds what needs root; false: do not go on. */
function dropRoot(running: RunningHost, paths: NutPaths, logFile: LogFile, log: HostLogger): boolean {
  const confUser = running.host.upsConf?.global.get('user');
  let resolved;
  try {
    resolved = resolveRunAsUser({
      setting: running.settings.runAsUser,
      upsConfUser: typeof confUser === 'string' ? confUser : undefined,
      env: process.env.NUT_RUN_AS_USER || undefined,
    });
  } catch (e) {
    log('error', (e as Error).message);
    return false;
  }
  const { user, explicit } = resolved;
  if (!user) return true;
  const missing = unreachableFor(user, paths);
  if (missing.length) {
    const what = `user ${user.name} cannot ${missing.join(' or ')}`;
    if (explicit) {
      log('error', `${what}: not starting (the state path must belong to ${user.name}, the config be readable by its group)`);
      return false;
    }
    log('warn', `${what}: staying root; give ${paths.statePath} to ${user.name} (chown ${user.name}) to run as ${user.name}`);
    return true;
  }
  logFile.chown(user.uid, user.gid);
  handOver(user, [hostPidPath(paths.altPidPath), controlSocketPath(paths.statePath)]);
  becomeUser(user);
  log('info', `running as user ${user.name} (uid ${user.uid}, gid ${user.gid})`);
  return true;
}

async function main(): Promise<void> {
  const paths = nutPaths();
  let logFile: LogFile;
  try {
    logFile = new LogFile(hostLogPath(paths.statePath));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  const log = fileLogger(logFile);
  // One misbehaving part must not take every UPS down with it.
  process.on('uncaughtException', (err) => log('error', `uncaught: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log('error', `unhandled rejection: ${String(err)}`));
  try {
    const running = await runHost({ paths, cwd: process.cwd(), log, logFile, exitWhenIdle: true, handleSignals: true });
    if (!dropRoot(running, paths, logFile, log)) {
      await running.stop();
      process.exit(1);
    }
    await running.done;
    process.exit(0);
  } catch (e) {
    log('error', (e as Error).message);
    process.exit(1);
  }
}

void main();
