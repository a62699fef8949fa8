/**
 * The background host (started by ensureHost): serves the control socket for
 * NUT_STATEPATH, runs what the CLIs ask for, and exits once nothing runs after a stop.
 */
import { LogFile } from './log-file.js';
import { hostLogPath, nutPaths } from './paths.js';
import { dropRoot, reservePrivilegedPorts } from './privileges.js';
import { exitCodeAfterStop, fileLogger, runHost } from './run.js';

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
    await reservePrivilegedPorts(running, log);
    if (!dropRoot(running, paths, logFile, log)) {
      await running.stop();
      process.exit(exitCodeAfterStop(running, log, 1));
    }
    await running.done;
    process.exit(exitCodeAfterStop(running, log));
  } catch (e) {
    log('error', (e as Error).message);
    process.exit(1);
  }
}

void main();
