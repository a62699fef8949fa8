/**
 * A pseudo-terminal pair made by socat (Node cannot make one): the driver opens `path`, and
 * the simulator talks to the other end through socat's stdin/stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pty {
  /** What the driver opens (a symlink to /dev/pts/N). */
  readonly path: string;
  write(data: Buffer): void;
  onData(listener: (data: Buffer) => void): void;
  close(): Promise<void>;
}

export async function openPty(link?: string): Promise<Pty> {
  let dir: string | undefined;
  if (!link) {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-qx-'));
    link = join(dir, 'tty');
  }
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${link}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`cannot run socat (needed for the pseudo-terminal): ${(e as Error).message}`);
  }
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const onErr = (b: Buffer) => {
      err += b.toString();
      // socat logs "starting data transfer loop" once both ends are ready.
      if (/starting data transfer loop/.test(err)) {
        child.stderr!.off('data', onErr);
        resolve();
      }
    };
    child.stderr!.on('data', onErr);
    child.once('error', (e) => reject(new Error(`cannot run socat (needed for the pseudo-terminal): ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`socat exited (${code}) before the pseudo-terminal was ready: ${err.trim()}`)));
  });
  child.removeAllListeners('exit');
  child.stderr!.resume();
  return {
    path: link,
    write: (data) => {
      child.stdin!.write(data);
    },
    onData: (listener) => {
      child.stdout!.on('data', listener);
    },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
