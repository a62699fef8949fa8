/**
 * The state directory and the files the host keeps in it (log, pid file, control socket).
 *
 * NUT's documentation asks for a state path that only the NUT user (and root) can write. A
 * directory writable by others lets any local user plant a symbolic link at a file name the
 * host (often root) later opens, so: such a directory is repaired when we own it and refused
 * otherwise, and every state file is opened without following a final symbolic link
 * (O_NOFOLLOW) and checked to be a plain file with one link before it is used.
 */
import { chmodSync, closeSync, constants, fstatSync, lstatSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';

export class StateFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateFileError';
  }
}

const octal = (mode: number): string => `0${(mode & 0o7777).toString(8)}`;

/**
 * Checks that `dir` is a directory others cannot write. A directory writable by others is made
 * 0o755-like (the others' write bit removed) when the caller owns it or is root; the returned
 * messages say what was changed. Throws StateFileError when it cannot be made safe.
 */
export function secureStateDir(dir: string, options: { repair?: boolean } = {}): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new StateFileError(`state path ${dir}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new StateFileError(`state path ${dir} is not a directory`);
  if ((st.mode & 0o002) === 0) return [];
  const uid = process.getuid?.();
  const canRepair = options.repair !== false && (uid === 0 || uid === st.uid);
  // A sticky directory (/tmp) still lets others plant names we have not created yet.
  const what = `state path ${dir} is writable by others (mode ${octal(st.mode)})`;
  if (!canRepair) {
    throw new StateFileError(`${what}; refusing to use it: make it writable only by the NUT user (chmod o-w ${dir})`);
  }
  const mode = st.mode & 0o7777 & ~0o002;
  chmodSync(dir, mode);
  return [`${what}: changed to ${octal(mode)}, as NUT requires`];
}

function refuseLink(path: string, why: string): never {
  throw new StateFileError(`refusing to use ${path}: ${why} (planted in the state directory?); remove it and check who can write the directory`);
}

/** Refuses anything at `path` but a plain file with a single link. */
function checkOpened(fd: number, path: string): void {
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    refuseLink(path, 'it is not a plain file');
  }
  if (st.nlink > 1) {
    closeSync(fd);
    refuseLink(path, `it is a hard link (${st.nlink} names for one file)`);
  }
}

function openNoFollow(path: string, flags: number, mode: number): number {
  try {
    return openSync(path, flags | constants.O_NOFOLLOW, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') refuseLink(path, 'it is a symbolic link');
    if (code === 'EEXIST') refuseLink(path, 'something else was created there at the same time');
    throw new StateFileError(`cannot open ${path}: ${(e as Error).message}`);
  }
}

/** Opens (creating with `mode`) a state file for appending; never follows a symbolic link. */
export function openStateFileAppend(path: string, mode = 0o640): number {
  const fd = openNoFollow(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, mode);
  checkOpened(fd, path);
  return fd;
}

/**
 * Removes a stale plain file at `path` (never one behind a symbolic link: that is refused) so
 * that the name can be created afresh with O_EXCL.
 */
export function clearStateName(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) refuseLink(path, 'it is a symbolic link');
  if (st.isDirectory()) refuseLink(path, 'it is a directory');
  unlinkSync(path);
}

/** Writes a pid file created anew (O_EXCL, O_NOFOLLOW), 0644 as NUT's are. */
export function writePidFile(path: string, pid: number = process.pid): void {
  clearStateName(path);
  const fd = openNoFollow(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
}
