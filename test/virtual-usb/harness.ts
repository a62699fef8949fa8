/**
 * Starts a virtual USB device (test/virtual-usb/server.py under umockdev) for a test:
 *
 *   const dev = await startVirtualUsb(model);
 *   spawn('/lib/nut/usbhid-ups', [...], { env: { ...sb.env, ...dev.env } });
 *   await dev.setFeature(0x13, '13 00'); await dev.queueInterrupt('13 00');
 *   dev.setReports();                   // the SET_REPORTs it received (dev.outLog(): all OUT)
 *   await dev.unplug(); await dev.replug();
 *   await dev.stop();
 *
 * Programs see the device only when run with `dev.env` (LD_PRELOAD of umockdev's preload
 * library and UMOCKDEV_DIR), so a Node test runs its USB code in a child process.
 * Throws (never skips) when umockdev or the system python's gi bindings are missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DeviceModel, OutLogEntry } from './model.js';
import { RUN_USER } from '../helpers/run-user.js';

export type { DeviceModel, OutLogEntry } from './model.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SERVER = join(HERE, 'server.py');
const PYTHON = '/usr/bin/python3';
const PRELOAD = 'libumockdev-preload.so.0';

export interface VirtualUsbState {
  root: string;
  present: boolean;
  /** As NUT prints them: 3 digits. */
  bus: string;
  device: string;
  busport: string;
  usbNode: string;
  hidrawNode: string | null;
}

/** One device of the testbed. */
export interface VirtualUsbDevice {
  /** Current bus/device numbers and nodes (the device number changes on replug). */
  state(): VirtualUsbState;
  setFeature(reportId: number, bytes: string | Uint8Array): Promise<void>;
  setInput(reportId: number, bytes: string | Uint8Array): Promise<void>;
  /** Replaces several feature (and input) reports at once. */
  setFeatures(features: Record<number, string>, inputs?: Record<number, string>): Promise<void>;
  /** Queues one interrupt-IN report for every reader (usbfs and hidraw, NUT and ours alike). */
  queueInterrupt(bytes: string | Uint8Array): Promise<void>;
  /** Every OUT transfer so far (SET_REPORT, control OUT, interrupt OUT, hidraw output). */
  outLog(): OutLogEntry[];
  /** The SET_REPORTs the device received so far (report type and id, bytes as hex), in order. */
  setReports(): OutLogEntry[];
  /**
   * Opens the testbed to other users and gives the device nodes (of all devices) this mode
   * (e.g. 0o600): a process run as another user then meets a node it may not open.
   */
  setNodeMode(mode: number): Promise<void>;
  unplug(): Promise<void>;
  replug(): Promise<void>;
}

/** The testbed; its own methods act on the first device. */
export interface VirtualUsb extends VirtualUsbDevice {
  /** Environment under which a process sees the devices (merge into process.env). */
  readonly env: { LD_PRELOAD: string; UMOCKDEV_DIR: string };
  /** Device `index` of the models given (several: identical units on different ports). */
  device(index: number): VirtualUsbDevice;
  stop(): Promise<void>;
}

/** Throws with an install hint when the tools are missing (compat tests must fail, not skip). */
export function requireUmockdev(): void {
  const missing: string[] = [];
  if (!existsSync('/usr/bin/umockdev-wrapper')) missing.push('umockdev');
  const gi = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('UMockdev', '1.0'); from gi.repository import UMockdev"], {
    encoding: 'utf8',
  });
  if (gi.status !== 0) missing.push('python3-gi + gir1.2-umockdev-1.0');
  if (missing.length) {
    throw new Error(
      `virtual USB devices need ${missing.join(', ')}: ` +
        'apt-get install -y umockdev libumockdev0 gir1.2-umockdev-1.0 python3-gi',
    );
  }
}

function hex(bytes: string | Uint8Array): string {
  return typeof bytes === 'string' ? bytes : Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export async function startVirtualUsb(model: DeviceModel | DeviceModel[], options: { timeoutMs?: number } = {}): Promise<VirtualUsb> {
  requireUmockdev();
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-vusb-'));
  const modelPath = join(dir, 'model.json');
  const logPath = join(dir, 'out.jsonl');
  writeFileSync(modelPath, JSON.stringify(model));
  writeFileSync(logPath, '');
  // The server itself runs preloaded: umockdev's testbed calls expect to see their own /sys.
  const child: ChildProcess = spawn('/usr/bin/umockdev-wrapper', [PYTHON, SERVER, modelPath, logPath], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<{ resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  let exited = false;
  const failAll = (why: string) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`virtual USB server ${why}; stderr: ${stderr.trim()}`));
  };
  lines.on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      stderr += `(stdout) ${line}\n`;
      return;
    }
    waiting.shift()?.resolve(msg);
  });
  child.once('exit', (code, signal) => {
    exited = true;
    failAll(`exited (${code ?? signal})`);
  });
  const next = (timeoutMs = options.timeoutMs ?? 15_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (exited) return reject(new Error(`virtual USB server is not running; stderr: ${stderr.trim()}`));
      const t = setTimeout(() => reject(new Error(`virtual USB server did not answer in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      waiting.push({
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
    });

  type Described = { root: string; devices: Array<Omit<VirtualUsbState, 'root'>> };
  let described = (await next()) as unknown as Described;
  const command = async (cmd: Record<string, unknown>) => {
    const answer = next();
    child.stdin!.write(JSON.stringify(cmd) + '\n');
    const msg = await answer;
    if (msg.ok !== true) throw new Error(`virtual USB ${String(cmd.cmd)}: ${String(msg.error)}`);
    if (typeof msg.root === 'string') described = msg as unknown as Described;
  };
  // as root, our programs run as the run user: give it the nodes as NUT's udev rule does
  if (RUN_USER) await command({ cmd: 'permissions', mode: '660', group: RUN_USER.gid });
  const state = (index: number): VirtualUsbState => ({ ...described.devices[index]!, root: described.root });
  const env = { LD_PRELOAD: PRELOAD, UMOCKDEV_DIR: described.root };
  const outLog = (): OutLogEntry[] =>
    readFileSync(logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as OutLogEntry);

  const deviceApi = (device: number): VirtualUsbDevice => ({
    state: () => state(device),
    setFeature: (id, bytes) => command({ cmd: 'setFeature', device, id, hex: hex(bytes) }),
    setInput: (id, bytes) => command({ cmd: 'setInput', device, id, hex: hex(bytes) }),
    setFeatures: (features, inputs = {}) => command({ cmd: 'setReports', device, features, inputs }),
    queueInterrupt: (bytes) => command({ cmd: 'queueInterrupt', device, hex: hex(bytes) }),
    outLog: () => outLog().filter((e) => (e.device ?? 0) === device),
    setReports: () => outLog().filter((e) => (e.device ?? 0) === device && e.kind === 'setReport'),
    setNodeMode: (mode) => command({ cmd: 'permissions', mode: mode.toString(8) }),
    unplug: () => command({ cmd: 'unplug', device }),
    replug: () => command({ cmd: 'replug', device }),
  });
  return {
    ...deviceApi(0),
    env,
    device: deviceApi,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.stdin!.end(JSON.stringify({ cmd: 'stop' }) + '\n');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Puts `env` (a device's LD_PRELOAD and UMOCKDEV_DIR) into process.env, for processes this one
 * forks (the host's transport process); returns what puts the previous values back.
 */
export function lendEnv(env: Readonly<Record<string, string>>): () => void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
