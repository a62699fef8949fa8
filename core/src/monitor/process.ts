/** Daemon chores shared by upsmon, upssched and upslog: pid files, signals, users, paths. */
import { spawnSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_CONFPATH = '/etc/nut';
export const DEFAULT_STATEPATH = '/run/nut';
export const DEFAULT_USER = 'nut';
export const NUT_VERSION = '2.8.0';

export function confPath(env = process.env): string {
  return env.NUT_CONFPATH || DEFAULT_CONFPATH;
}

/** Where upsmon/upslog keep pid files: NUT_ALTPIDPATH, else NUT_STATEPATH, else the packaged default. */
export function pidPath(env = process.env): string {
  return env.NUT_ALTPIDPATH || env.NUT_STATEPATH || DEFAULT_STATEPATH;
}

export function pidFile(name: string, env = process.env): string {
  return name.includes('/') ? name : join(pidPath(env), `${name}.pid`);
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'latin1').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writePid(file: string, pid = process.pid): void {
  writeFileSync(file, `${pid}\n`);
}

export function removePid(file: string): void {
  try {
    if (readPid(file) === process.pid) unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Sends `signal` to the pid in `file`; the message on failure, undefined on success. */
export function signalPidFile(file: string, signal: NodeJS.Signals | 0): string | undefined {
  const pid = readPid(file);
  if (pid === undefined) return `Can't open PID file ${file} (or it holds no pid)`;
  try {
    process.kill(pid, signal);
    return undefined;
  } catch (err) {
    return `Signaling pid ${pid} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

export interface UserIds {
  name: string;
  uid: number;
  gid: number;
}

/** getpwnam() through `id`, which also follows NSS (LDAP, systemd-userdb…). */
export function lookupUser(name: string): UserIds | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'latin1' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'latin1' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Why `user` cannot run `script` with this Node (undefined when it can): checked by a Node
 * started as that user, so directory modes, ACLs and supplementary groups all count.
 */
export function unreadableFor(user: UserIds, script: string): string | undefined {
  const probe = spawnSync(process.execPath, ['-e', 'require("fs").accessSync(process.argv[1], require("fs").constants.R_OK)', script], {
    uid: user.uid,
    gid: user.gid,
    encoding: 'latin1',
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 30_000,
  });
  if (probe.error) return `${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message} starting ${process.execPath}`;
  if (probe.status === 0) return undefined;
  const code = /\b(EACCES|ENOENT|EPERM|ENOTDIR)\b/.exec(probe.stderr)?.[1];
  return code ?? (probe.stderr.trim().split('\n')[0] || `exit status ${probe.status}`);
}

/** A tiny getopt: POSIX short options, `+` semantics (stop at the first operand). */
export function getopt(argv: string[], spec: string): { opts: Array<[string, string | undefined]>; rest: string[]; error?: string } {
  const opts: Array<[string, string | undefined]> = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (let j = 1; j < a.length; j++) {
      const ch = a[j];
      const at = spec.indexOf(ch);
      if (at < 0 || ch === ':' || ch === '+') return { opts, rest: argv.slice(i + 1), error: `invalid option -- '${ch}'` };
      if (spec[at + 1] === ':') {
        let value = a.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) return { opts, rest: [], error: `option requires an argument -- '${ch}'` };
          value = argv[++i];
        }
        opts.push([ch, value]);
        break;
      }
      opts.push([ch, undefined]);
    }
  }
  return { opts, rest: argv.slice(i) };
}

/** Debug/foreground log lines as NUT prints them: seconds since start, TAB, message. */
export function makeStderrLogger(start = Date.now()): (message: string) => void {
  return (message) => {
    const t = ((Date.now() - start) / 1000).toFixed(6).padStart(12);
    process.stderr.write(`${t}\t${message}\n`);
  };
}
