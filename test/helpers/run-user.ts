/**
 * As root (CI), every nut-ts program a compat test starts switches to the user NUT runs as, as
 * on an installed system: vitest.config.ts names that user (NUT_RUN_AS_USER) for the compat
 * project, so a start that cannot switch fails instead of quietly staying root. A test's
 * throw-away directories are private to root (mkdtemp: 0700); these hand them to that user the
 * way NUT's packages set up /etc/nut (root:nut, readable by the group) and /run/nut (owned by
 * nut). The set-group-ID bit makes what the test writes there later belong to the group too.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupUser, type RunAsUser } from '../../core/src/host/privileges.js';

/** The user our programs switch to in this run (NUT_RUN_AS_USER), when the tests run as root. */
export const RUN_USER: RunAsUser | undefined =
  process.getuid?.() === 0 && process.env.NUT_RUN_AS_USER ? lookupUser(process.env.NUT_RUN_AS_USER) : undefined;

/**
 * Lets the run user use `dir`: `state` (write: sockets, pid files, logs) makes it the user's,
 * `conf` (read) leaves it root's with the user's group.
 */
export function shareWithRunUser(dir: string, as: 'state' | 'conf'): void {
  if (!RUN_USER) return;
  if (as === 'state') {
    chownSync(dir, RUN_USER.uid, RUN_USER.gid);
    chmodSync(dir, 0o2770);
  } else {
    chownSync(dir, 0, RUN_USER.gid);
    chmodSync(dir, 0o2750);
  }
}

/** mkdtemp for a directory that holds both configuration and state, usable by the run user. */
export function runUserTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  shareWithRunUser(dir, 'state');
  return dir;
}

/** `-u <user>` for NUT's drivers and upsd and ours: the run user, or root when the tests are not root's. */
export const RUN_AS_FLAG: readonly string[] = ['-u', RUN_USER?.name ?? 'root'];

/** The user each process runs as now (ps), '' for one that is gone. */
export function processUsers(children: ReadonlyArray<{ pid?: number }>): string[] {
  return children.map((c) => (c.pid ? spawnSync('ps', ['-o', 'user=', '-p', String(c.pid)], { encoding: 'utf8' }).stdout.trim() : ''));
}

/** A device node (a pseudo-terminal standing for a serial port) given to the run user's group, as `dialout` gives NUT's. */
export function shareDeviceWithRunUser(path: string): void {
  if (!RUN_USER) return;
  const node = realpathSync(path);
  chownSync(node, 0, RUN_USER.gid);
  chmodSync(node, 0o660);
}
