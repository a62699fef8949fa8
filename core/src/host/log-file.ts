/**
 * The host's log file: 0640, opened without following symbolic links, reopened on request
 * (SIGHUP, after an external logrotate) and rotated by size (nut-ts.log → nut-ts.log.1 … .N).
 */
import { closeSync, fchmodSync, fchownSync, fstatSync, renameSync, writeSync } from 'node:fs';
import { clearStateName, openStateFileAppend } from './state-dir.js';

export interface LogFileOptions {
  /** Rotate once the file reaches this size; 0 = never. */
  maxBytes?: number;
  /** Rotated files kept (path.1 … path.N). */
  keep?: number;
  mode?: number;
}

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

export class LogFile {
  private fd: number;
  private size: number;
  private owner: { uid: number; gid: number } | undefined;
  readonly maxBytes: number;
  readonly keep: number;
  private readonly mode: number;

  constructor(
    readonly path: string,
    options: LogFileOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
    this.keep = Math.max(1, options.keep ?? 3);
    this.mode = options.mode ?? 0o640;
    this.fd = this.open();
    this.size = fstatSync(this.fd).size;
  }

  private open(): number {
    const fd = openStateFileAppend(this.path, this.mode);
    // An existing file keeps its old mode on open: bring it to ours.
    fchmodSync(fd, this.mode);
    if (this.owner) fchownSync(fd, this.owner.uid, this.owner.gid);
    return fd;
  }

  /** Hands the file (and those created later) to the user the host runs as after the drop. */
  chown(uid: number, gid: number): void {
    this.owner = { uid, gid };
    fchownSync(this.fd, uid, gid);
  }

  /** Closes and opens the path again (after logrotate moved it). */
  reopen(): void {
    const fd = this.open();
    closeSync(this.fd);
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    if (this.maxBytes > 0 && this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
    writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  private rotate(): void {
    for (let i = this.keep; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
      const to = `${this.path}.${i}`;
      try {
        if (i === this.keep) clearStateName(to);
        renameSync(from, to);
      } catch {
        /* a missing generation is fine */
      }
    }
    this.reopen();
  }

  close(): void {
    closeSync(this.fd);
  }
}
