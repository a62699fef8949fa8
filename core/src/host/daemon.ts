/**
 * The background host (started by ensureHost): serves the control socket for
 * NUT_STATEPATH, runs what the CLIs ask for, and exits once nothing runs after a stop.
 */
import { nutPaths } from './paths.js';
import { consoleLogger, exitCodeAfterStop, runHost } from './run.js';

async function main(): Promise<void> {
  const log = consoleLogger();
  // One misbehaving part must not take every UPS down with it.
  process.on('uncaughtException', (err) => log('error', `uncaught: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log('error', `unhandled rejection: ${String(err)}`));
  try {
    const running = await runHost({ paths: nutPaths(), cwd: process.cwd(), log, exitWhenIdle: true, handleSignals: true });
    await running.done;
    process.exit(exitCodeAfterStop(running, log));
  } catch (e) {
    log('error', (e as Error).message);
    process.exit(1);
  }
}

void main();
