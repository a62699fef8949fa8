/**
 * The simulator's end of a pseudo-terminal: socat creates the pair and links the driver's end
 * at a fixed path; its STDIO end is this process's pipe. Unplugging ends socat (the path
 * disappears); replugging starts it again at the same path.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export class PtyLine {
  private child: ChildProcess | undefined;
  private wanted = false;
  /** The pts device socat made last. */
  device = '';

  constructor(
    readonly link: string,
    private readonly onBytes: (data: Buffer) => void,
    private readonly note: (text: string) => void,
  ) {}

  get plugged(): boolean {
    return this.child !== undefined;
  }

  /** Starts socat; resolves once the terminal exists. */
  plug(): Promise<void> {
    this.wanted = true;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn('socat', ['-d', '-d', `PTY,link=${this.link},raw,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (e) {
        reject(e);
        return;
      }
      this.child = child;
      let started = false;
      let errText = '';
      child.stdout!.on('data', (d: Buffer) => this.onBytes(d));
      child.stdin!.on('error', () => undefined);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (t: string) => {
        errText += t;
        const m = /PTY is (\S+)/.exec(errText);
        if (m && !started && /starting data transfer loop/.test(errText)) {
          started = true;
          this.device = m[1];
          resolve();
        }
      });
      child.on('error', (e) => {
        if (!started) reject(new Error(`cannot run socat (needed for the pseudo-terminal): ${e.message}`));
      });
      child.on('exit', (code) => {
        if (this.child === child) this.child = undefined;
        if (!started) {
          reject(new Error(`socat exited (${code}): ${errText.trim()}`));
          return;
        }
        if (this.wanted) {
          // The driver's side closing must not unplug the unit: start again.
          this.note('socat ended; terminal created again');
          void this.plug().catch((e: Error) => this.note(e.message));
        }
      });
    });
  }

  write(data: Buffer): void {
    const c = this.child;
    if (c?.stdin && !c.stdin.destroyed) c.stdin.write(data);
  }

  /** Ends socat and waits for it: the terminal path goes away. */
  unplug(): Promise<void> {
    this.wanted = false;
    const c = this.child;
    if (!c) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  }
}
