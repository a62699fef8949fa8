#!/usr/bin/env node
/**
 * upssched: called by upsmon as NOTIFYCMD (UPSNAME and NOTIFYTYPE in the environment); the
 * message argument is ignored. The same program, started with NUT_TS_UPSSCHED_DAEMON, is the
 * timer daemon on PIPEFN.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readUpsschedConf } from '../config/upssched-conf.js';
import { system } from '../monitor/deliver.js';
import { confPath } from '../monitor/process.js';
import { runRules, runTimerDaemon, UpsschedError } from '../monitor/upssched.js';

const DAEMON_ENV = 'NUT_TS_UPSSCHED_DAEMON';

function fatal(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function daemon(): Promise<void> {
  const pipeFn = process.env.NUT_TS_UPSSCHED_PIPEFN ?? '';
  const cmdScript = process.env.NUT_TS_UPSSCHED_CMDSCRIPT ?? '';
  const env = { ...process.env };
  for (const k of [DAEMON_ENV, 'NUT_TS_UPSSCHED_PIPEFN', 'NUT_TS_UPSSCHED_CMDSCRIPT']) delete env[k];
  const d = runTimerDaemon({
    pipeFn,
    run: (arg) => void system(`${cmdScript} ${arg}`, env),
  });
  try {
    await d.listening;
  } catch {
    // another daemon owns PIPEFN
    process.exit(0);
  }
  await d.done;
  process.exit(0);
}

async function main(): Promise<void> {
  if (process.env[DAEMON_ENV] === '1') return daemon();
  const { UPSNAME, NOTIFYTYPE } = process.env;
  if (UPSNAME === undefined || NOTIFYTYPE === undefined) {
    // NUT prints these two on stdout
    process.stdout.write('Error: UPSNAME and NOTIFYTYPE must be set.\nThis program should only be run from upsmon.\n');
    process.exit(1);
  }
  const file = join(confPath(), 'upssched.conf');
  const { config, problems } = readUpsschedConf(file);
  for (const p of problems) process.stderr.write(`${p.message}${p.suggestion ? ` (did you mean ${p.suggestion}?)` : ''}\n`);
  const fatalProblem = problems.find((p) => p.severity === 'fatal');
  if (fatalProblem) fatal(fatalProblem.message);

  let cmdScript = '';
  let pipeFn = '';
  for (const d of config.directives) {
    if (d.key === 'CMDSCRIPT') cmdScript = d.value;
    if (d.key === 'PIPEFN') pipeFn = d.value;
  }
  try {
    await runRules(
      config,
      { UPSNAME, NOTIFYTYPE },
      {
        spawnDaemon: () => {
          const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
            detached: true,
            stdio: 'ignore',
            env: { ...process.env, [DAEMON_ENV]: '1', NUT_TS_UPSSCHED_PIPEFN: pipeFn, NUT_TS_UPSSCHED_CMDSCRIPT: cmdScript },
          });
          child.unref();
        },
        runScript: async (arg) => {
          await system(`${cmdScript} ${arg}`);
        },
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        log: (m) => process.stderr.write(`${m}\n`),
      },
    );
  } catch (err) {
    if (err instanceof UpsschedError) fatal(err.message);
    throw err;
  }
}

void main();
