/**
 * A pair of pseudo-terminals joined by socat: `device` is the path a driver opens as its
 * serial port, `sim` the other end a test (or a simulator) talks on. Both are symlinks at
 * fixed paths, so a new pair at the same paths stands for a device plugged back in.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants, existsSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { shareDeviceWithRunUser } from './run-user.js';
import { until } from './wait.js';

export function requireSocat(): void {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('socat is missing: apt-get install -y socat (serial tests run on pseudo-terminals)');
}

export interface PtyPair {
  device: string;
  sim: string;
  process: ChildProcess;
  /** Ends socat (the device is unplugged) and waits until the links are gone. */
  kill(): Promise<void>;
}

export async function ptyPair(device: string, sim: string): Promise<PtyPair> {
  requireSocat();
  const child = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${sim}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await until(`socat links ${device} and ${sim}`, () => existsSync(device) && existsSync(sim), 10_000);
  // as root, our programs run as the run user: give it the port as a serial group would
  shareDeviceWithRunUser(device);
  return {
    device,
    sim,
    process: child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await until(`socat links removed`, () => !existsSync(device) && !existsSync(sim), 10_000);
    },
  };
}

/** The simulator's end of a pair: what it received, and bytes to send (node:tty, no native module). */
export class SimEnd {
  private readonly fd: number;
  private readonly stream: ReadStream;
  received: Buffer = Buffer.alloc(0);
  private readonly listeners = new Set<(data: Buffer) => void>();

  constructor(path: string) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
    this.stream = new ReadStream(this.fd);
    this.stream.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      for (const l of this.listeners) l(d);
    });
    this.stream.on('error', () => undefined);
  }

  onData(listener: (data: Buffer) => void): void {
    this.listeners.add(listener);
  }

  offData(listener: (data: Buffer) => void): void {
    this.listeners.delete(listener);
  }

  send(data: string | Uint8Array): void {
    writeSync(this.fd, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Text received so far (latin1), then forgotten. */
  take(): string {
    const s = this.received.toString('latin1');
    this.received = Buffer.alloc(0);
    return s;
  }

  close(): void {
    this.stream.destroy();
  }
}
