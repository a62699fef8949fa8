/**
 * Dropping root as NUT's upsd and drivers do (common.c become_user: initgroups, setgid,
 * setuid). The host opens what needs root first (control socket, state files, listeners
 * opened at start), then the whole process switches user: worker threads share the process's
 * credentials, and children started later (the device transport process, NUT's C drivers)
 * inherit them.
 *
 * Which user, first found: `-u` of the upsd/upsdrvctl that starts the host (passed as
 * NUT_RUN_AS_USER; as in NUT, the command line wins), the host setting `runAsUser`, `user` in
 * ups.conf's global section (NUT's drivers read it there), else `nut` when that user exists.
 * Only a host started as root switches.
 */
import { spawnSync } from 'node:child_process';
import { chownSync } from 'node:fs';
import type { ListenAddress } from '../upsd/config.js';
import type { HostLogger } from './host.js';
import type { LogFile } from './log-file.js';
import { controlSocketPath, hostPidPath, type NutPaths } from './paths.js';
import type { RunningHost } from './run.js';

export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

export interface UserSources {
  setting?: string;
  upsConfUser?: string;
  env?: string;
}

export const DEFAULT_RUN_AS_USER = 'nut';

function idOf(name: string, flag: '-u' | '-g'): number | undefined {
  // id(1) asks NSS, so users from LDAP/sssd resolve as they do for NUT's getpwnam().
  const r = spawnSync('id', [flag, '--', name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const n = Number.parseInt(r.stdout.trim(), 10);
  return Number.isInteger(n) ? n : undefined;
}

export function lookupUser(name: string): RunAsUser | undefined {
  const uid = idOf(name, '-u');
  const gid = idOf(name, '-g');
  if (uid === undefined || gid === undefined) return undefined;
  return { name, uid, gid };
}

/**
 * The user to switch to, or undefined to stay as is (not root, or no user named and no `nut`).
 * Throws when a user is named explicitly but does not exist (NUT: "user %s not found").
 */
export function resolveRunAsUser(sources: UserSources, isRoot = process.getuid?.() === 0): { user?: RunAsUser; explicit: boolean } {
  if (!isRoot) return { explicit: false };
  const named = sources.env ?? sources.setting ?? sources.upsConfUser;
  if (named !== undefined) {
    const user = lookupUser(named);
    if (!user) throw new Error(`user ${named} not found`);
    return { user, explicit: true };
  }
  return { user: lookupUser(DEFAULT_RUN_AS_USER), explicit: false };
}

/**
 * What `user` cannot reach of what the host still needs after the switch (read the config
 * directory, write the state directory), asked of the kernel by a child running as that user.
 * The child is the shell's `test` (a few ms), not a Node process (a few hundred ms of every
 * start as root).
 */
export function unreachableFor(user: RunAsUser, paths: { confPath: string; statePath: string }, alsoRead: readonly string[] = []): string[] {
  // one line per path the user cannot use: "r <n>" (read or enter), "w" (write the state path)
  const script = [
    'test -r "$1" && test -x "$1" || echo r 0',
    'test -w "$2" && test -x "$2" || echo w',
    'shift 2; n=1',
    'for p in "$@"; do if test -d "$p"; then test -r "$p" && test -x "$p" || echo r $n; else test -r "$p" || echo r $n; fi; n=$((n+1)); done',
  ].join('\n');
  const r = spawnSync('/bin/sh', ['-c', script, 'sh', paths.confPath, paths.statePath, ...alsoRead], {
    uid: user.uid,
    gid: user.gid,
    encoding: 'utf8',
  });
  if (r.status !== 0) return [`run as ${user.name} (${(r.stderr || r.error?.message || '').trim()})`];
  const lines = r.stdout.split('\n');
  const out: string[] = [];
  if (lines.includes('r 0')) out.push(`read ${paths.confPath}`);
  if (lines.includes('w')) out.push(`write ${paths.statePath}`);
  alsoRead.forEach((p, i) => {
    if (lines.includes(`r ${i + 1}`)) out.push(`read ${p}`);
  });
  return out;
}

/**
 * The user a host started as root will switch to (see resolveRunAsUser), for what must be
 * prepared before (the demo's state directory); undefined when none or when it cannot be told.
 */
export function runAsUserFor(running: RunningHost): RunAsUser | undefined {
  try {
    return resolveRunAsUser(hostUserSources(running)).user;
  } catch {
    return undefined;
  }
}

/** Where a host finds its user: -u (NUT_RUN_AS_USER), the host setting, ups.conf's `user`. */
function hostUserSources(running: RunningHost): UserSources {
  const confUser = running.host.upsConf?.global.get('user');
  return {
    setting: running.settings.runAsUser,
    upsConfUser: typeof confUser === 'string' ? confUser : undefined,
    env: process.env.NUT_RUN_AS_USER || undefined,
  };
}

interface SwitchPlan {
  /** The user to switch to; undefined: stay as is. */
  user?: RunAsUser;
  /** Named (not the default `nut`). */
  explicit: boolean;
  /** "user <name> cannot <what>" when that user cannot reach what the program still needs. */
  unreachable?: string;
}

/** Which user to become and whether it can reach `needs`; throws when a named user does not exist. */
function planSwitch(sources: UserSources, needs: { confPath: string; statePath: string }, alsoRead: readonly string[] = []): SwitchPlan {
  const { user, explicit } = resolveRunAsUser(sources);
  if (!user || user.uid === 0) return { explicit };
  const missing = unreachableFor(user, needs, alsoRead);
  return { user, explicit, unreachable: missing.length ? `user ${user.name} cannot ${missing.join(' or ')}` : undefined };
}

/** Hands files the host created as root (log, pid file, control socket) to `user`. */
export function handOver(user: RunAsUser, files: readonly string[]): void {
  for (const f of files) {
    try {
      chownSync(f, user.uid, user.gid);
    } catch {
      /* a file that is not there needs no owner */
    }
  }
}

/** become_user(): supplementary groups, group, user; for the whole process. */
export function becomeUser(user: RunAsUser): void {
  // Node has process.initgroups on POSIX; @types/node does not declare it.
  const initgroups = (process as { initgroups?: (user: string, extraGroup: number) => void }).initgroups;
  if (!process.setuid || !process.setgid || !initgroups) throw new Error('switching users is not supported on this platform');
  initgroups(user.name, user.gid);
  process.setgid(user.gid);
  process.setuid(user.uid);
  if (process.getuid?.() !== user.uid || process.geteuid?.() !== user.uid) throw new Error(`could not switch to user ${user.name}`);
}

/**
 * A host running as root binds upsd's privileged LISTEN ports (below 1024) before it switches
 * user, as NUT's upsd does; upsd, started later, listens on them (upsd/reserved-listeners.ts).
 */
export async function reservePrivilegedPorts(running: RunningHost, log: HostLogger, listen?: ListenAddress[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const m of await running.host.upsd.reservePrivileged(listen)) log('warn', `upsd: could not bind ${m} before switching user`);
}

export interface DropOptions {
  /** More that the user must be able to read (the demo: its plugin's package). */
  alsoRead?: readonly string[];
  /**
   * Stay root without a word when the default user cannot reach what it needs (the demo, whose
   * files live wherever the checkout is); a named user still stops the start.
   */
  quietlyStayRoot?: boolean;
}

/** Switches to the configured user once the host holds what needs root; false: do not go on. */
export function dropRoot(running: RunningHost, paths: NutPaths, logFile: LogFile | undefined, log: HostLogger, options: DropOptions = {}): boolean {
  let plan: SwitchPlan;
  try {
    plan = planSwitch(hostUserSources(running), paths, options.alsoRead);
  } catch (e) {
    log('error', (e as Error).message);
    return false;
  }
  const { user, explicit, unreachable } = plan;
  if (!user) return true;
  if (unreachable) {
    if (explicit) {
      log('error', `${unreachable}: not starting (the state path must belong to ${user.name}, the config be readable by its group)`);
      return false;
    }
    if (options.quietlyStayRoot) return true;
    log('warn', `${unreachable}: staying root; give ${paths.statePath} to ${user.name} (chown ${user.name}) to run as ${user.name}`);
    return true;
  }
  logFile?.chown(user.uid, user.gid);
  handOver(user, [hostPidPath(paths.altPidPath), controlSocketPath(paths.statePath)]);
  becomeUser(user);
  log('info', `running as user ${user.name} (uid ${user.uid}, gid ${user.gid})`);
  return true;
}

export type SwitchOutcome = { ok: true; user?: RunAsUser; warning?: string } | { ok: false; error: string };

/**
 * become_user() for a program that runs alone (the standalone upsd, a driver run by itself):
 * the named user, else `nut` when it exists; only as root. `needs` is what the program must
 * still reach afterwards. A named user that cannot reach it stops the start; the default user
 * then leaves the program as root, with a warning that says what to change.
 */
export function switchProcessUser(sources: UserSources, needs: { confPath: string; statePath: string; alsoRead?: readonly string[] }): SwitchOutcome {
  try {
    const { user, explicit, unreachable } = planSwitch(sources, needs, needs.alsoRead);
    if (!user) return { ok: true };
    if (unreachable) {
      if (explicit) return { ok: false, error: `${unreachable}: not starting` };
      return { ok: true, warning: `${unreachable}: staying root; give ${needs.statePath} to ${user.name} and let its group read ${needs.confPath} to run as ${user.name}` };
    }
    becomeUser(user);
    return { ok: true, user };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
