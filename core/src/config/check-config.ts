/**
 * Reads and validates every NUT config file of a config directory and reports all problems at
 * once (`nut check-config`): ups.conf, upsd.conf, upsd.users and nut.conf with the readers here,
 * upsmon.conf and upssched.conf with the monitor's. Which files must exist follows nut.conf's MODE.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseNutConf, type NutConf, type NutMode } from './nut-conf.js';
import { problem, sortProblems, type ConfigProblem } from './problems.js';
import { readConfigFile } from './read-file.js';
import { parseUpsConf, type UpsConf } from './ups-conf.js';
import { parseUpsdConf, type UpsdConf } from './upsd-conf.js';
import { parseUpsdUsers, type UpsdUsers } from './upsd-users.js';
import { parseUpsmonConf, type ConfigProblem as MonitorProblem, type UpsmonConfig } from './upsmon-conf.js';
import { parseUpsschedConf, type UpsschedConfig } from './upssched-conf.js';
import { validateNutConf, validateUpsdConf, validateUpsdUsers } from './validate-files.js';
import { validateUpsConf, type UpsConfValidationOptions } from './validate-ups-conf.js';

export interface CheckConfigOptions extends Omit<UpsConfValidationOptions, 'allowNoDevice'> {
  /** Treat the directory as if nut.conf said this MODE (default: nut.conf's, else standalone). */
  mode?: NutMode;
  /** Environment for ALLOW_NO_DEVICE (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface CheckConfigResult {
  confPath: string;
  mode: NutMode;
  problems: ConfigProblem[];
  errors: number;
  warnings: number;
  nutConf?: NutConf;
  upsConf?: UpsConf;
  upsdConf?: UpsdConf;
  upsdUsers?: UpsdUsers;
  upsmonConf?: UpsmonConfig;
  upsschedConf?: UpsschedConfig;
}

/** The upsmon/upssched readers' problems (their own type, with `fatal`) as ours. */
function fromMonitor(p: MonitorProblem): ConfigProblem {
  const message = p.message.replace(/^\S+( line \d+)?: /, '');
  return problem(p.severity === 'warning' ? 'warning' : 'error', p.file, p.line, message, { key: p.key, suggestion: p.suggestion });
}

const parseUpsmon = (bytes: Buffer, file: string) => {
  const r = parseUpsmonConf(bytes, file);
  return { config: r.config, problems: r.problems.map(fromMonitor) };
};
const parseUpssched = (bytes: Buffer, file: string) => {
  const r = parseUpsschedConf(bytes, file);
  return { config: r.config, problems: r.problems.map(fromMonitor) };
};

type Reader<T> = (bytes: Buffer, file: string) => T & { problems: ConfigProblem[] };

function readIfPresent<T>(
  confPath: string,
  file: string,
  parse: Reader<T>,
  missing: 'error' | 'warning' | 'none',
  why: string,
  problems: ConfigProblem[],
): (T & { problems: ConfigProblem[] }) | undefined {
  const path = join(confPath, file);
  if (!existsSync(path)) {
    if (missing !== 'none') problems.push(problem(missing, file, 0, `${path} does not exist: ${why}`));
    return undefined;
  }
  let bytes: Buffer;
  try {
    bytes = readConfigFile(path);
  } catch (e) {
    problems.push(problem('error', file, 0, (e as Error).message));
    return undefined;
  }
  const parsed = parse(bytes, file);
  problems.push(...parsed.problems);
  return parsed;
}

function worldReadable(confPath: string, file: string, problems: ConfigProblem[]): void {
  try {
    if (statSync(join(confPath, file)).mode & 0o004) {
      problems.push(problem('warning', file, 0, `${join(confPath, file)} is world readable (it may hold passwords); chmod o-r`));
    }
  } catch {
    // missing files are reported by the reader
  }
}

/** ALLOW_NO_DEVICE from the environment: prefix-matched true/yes/on/1, false/no/off/0. */
function envAllowNoDevice(env: NodeJS.ProcessEnv): boolean | undefined {
  const v = env.ALLOW_NO_DEVICE?.toLowerCase();
  if (v === undefined) return undefined;
  if (/^(true|yes|on|1)/.test(v)) return true;
  if (/^(false|no|off|0)/.test(v)) return false;
  return undefined;
}

export function checkConfig(confPath: string, opts: CheckConfigOptions = {}): CheckConfigResult {
  const problems: ConfigProblem[] = [];
  const nutConf = readIfPresent(confPath, 'nut.conf', parseNutConf, 'none', '', problems);
  if (nutConf) problems.push(...validateNutConf(nutConf));
  const mode: NutMode = opts.mode ?? nutConf?.mode?.value ?? 'standalone';
  const server = mode === 'standalone' || mode === 'netserver';

  const upsdConf = readIfPresent(confPath, 'upsd.conf', parseUpsdConf, server ? 'error' : 'none', 'upsd refuses to start without it', problems);
  if (upsdConf) {
    problems.push(...validateUpsdConf(upsdConf));
    worldReadable(confPath, 'upsd.conf', problems);
  }
  const upsdUsers = readIfPresent(confPath, 'upsd.users', parseUpsdUsers, server ? 'warning' : 'none', 'upsd starts with no users (nobody can log in)', problems);
  if (upsdUsers) {
    problems.push(...validateUpsdUsers(upsdUsers));
    worldReadable(confPath, 'upsd.users', problems);
  }
  const upsConf = readIfPresent(confPath, 'ups.conf', parseUpsConf, server ? 'error' : 'none', 'no device can be served', problems);
  if (upsConf) {
    const allowNoDevice = envAllowNoDevice(opts.env ?? process.env) ?? upsdConf?.allowNoDevice?.value ?? !server;
    problems.push(...validateUpsConf(upsConf, { ...opts, allowNoDevice }));
  }

  const upsmon = readIfPresent(
    confPath,
    'upsmon.conf',
    parseUpsmon,
    mode === 'netclient' ? 'error' : server ? 'warning' : 'none',
    'upsmon refuses to start without it',
    problems,
  );
  if (upsmon) worldReadable(confPath, 'upsmon.conf', problems);
  const upssched = readIfPresent(confPath, 'upssched.conf', parseUpssched, 'none', '', problems);

  const sorted = sortProblems(problems);
  return {
    confPath,
    mode,
    problems: sorted,
    errors: sorted.filter((p) => p.severity === 'error').length,
    warnings: sorted.filter((p) => p.severity === 'warning').length,
    nutConf,
    upsConf,
    upsdConf,
    upsdUsers,
    upsmonConf: upsmon?.config,
    upsschedConf: upssched?.config,
  };
}
