/**
 * Shared by the qx-* compat tests: the Q1 simulator on a socat pty (in-process), NUT 2.8.0's
 * nutdrv_qx reading it (DUMPALL on its driver socket), and our nutdrv_qx in a DriverRuntime
 * whose devices the host's in-process transport (LocalDevices) opens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DriverRuntime } from '../../core/src/driver/runtime.js';
import { encodeOp } from '../../core/src/driver-socket/codec.js';
import type { DeviceAccess } from '../../core/src/plugin-api/transports.js';
import { LocalDevices } from '../../core/src/transport/local-devices.js';
import { createNutdrvQx } from '../../plugins/nutdrv_qx/src/index.js';
import { protocolOfDump, readDump, type SimulatedProtocol } from '../../plugins/nutdrv_qx/src/simulator/dump.js';
import { runScript } from '../../plugins/nutdrv_qx/src/simulator/events.js';
import { openPty, type Pty } from '../../plugins/nutdrv_qx/src/simulator/pty.js';
import { createDevice } from '../../plugins/nutdrv_qx/src/simulator/device.js';
import type { Q1Device } from '../../plugins/nutdrv_qx/src/simulator/q1-device.js';
import { Q1Server } from '../../plugins/nutdrv_qx/src/simulator/server.js';
import { makeSandbox, NUT_DRIVER_DIR, stopChild, type Sandbox } from '../helpers/oracle.js';

export interface Sim {
  pty: Pty;
  device: Q1Device;
  server: Q1Server;
  event(line: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSim(dumpPath: string, protocol?: SimulatedProtocol): Promise<Sim> {
  const dump = readDump(dumpPath);
  const device = createDevice(protocol ?? protocolOfDump(dump), dump);
  const pty = await openPty();
  const server = new Q1Server(device, (b) => pty.write(b));
  pty.onData((b) => server.input(b));
  return {
    pty,
    device,
    server,
    event: (line) => runScript(server, [line], (m) => {
      throw new Error(m);
    }),
    close: () => pty.close(),
  };
}

// ------------------------------------------------------------------ NUT's driver

export interface NutDriver {
  sb: Sandbox;
  child: ChildProcess;
  socket: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export function upsConf(port: string, options: Record<string, string | true>): string {
  const lines = [`[ups]`, `\tdriver = nutdrv_qx`, `\tport = ${port}`];
  for (const [k, v] of Object.entries(options)) lines.push(v === true ? `\t${k}` : `\t${k} = "${v}"`);
  return `${lines.join('\n')}\n`;
}

export async function startNut(port: string, options: Record<string, string | true>): Promise<NutDriver> {
  const sb = makeSandbox('nut-ts-qx-');
  sb.write('ups.conf', upsConf(port, options));
  let err = '';
  const child = spawn(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'ups', '-F', '-u', 'root'], { env: sb.env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const socket = join(sb.statePath, 'nutdrv_qx-ups');
  const deadline = Date.now() + 60_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`NUT's nutdrv_qx exited (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) throw new Error(`NUT's nutdrv_qx made no socket: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    sb,
    child,
    socket,
    stderr: () => err,
    stop: async () => {
      await stopChild(child);
      sb.cleanup();
    },
  };
}

/** One request on a NUT driver socket; resolves with the reply lines up to `endLine`. */
export function socketRequest(path: string, request: string, endLine: (l: string) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const lines: string[] = [];
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no reply to ${request.trim()} on ${path}`));
    }, 30_000);
    s.on('data', (b) => {
      buf += b.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (endLine(line)) {
          clearTimeout(t);
          s.destroy();
          resolve(lines);
          return;
        }
      }
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.write(request);
  });
}

export const dumpAll = (socket: string) => socketRequest(socket, 'DUMPALL\n', (l) => l === 'DUMPDONE');

// ------------------------------------------------------------------ our driver

/** The host's in-process device access (serial backend on serialport, USB backend). */
export const localDevices: DeviceAccess = new LocalDevices();

export interface Ours {
  rt: DriverRuntime;
  logs: string[];
  loop: Promise<void>;
  stop(): Promise<void>;
}

/** Our nutdrv_qx on `port`: startup as NUT's main() does it, then its loop. */
export async function startOurs(
  port: string,
  options: Record<string, string | true>,
  extra: { defaults?: Array<[string, string]>; overrides?: Array<[string, string]>; pollinterval?: number } = {},
): Promise<Ours> {
  const logs: string[] = [];
  const rt = new DriverRuntime(
    {
      upsname: 'ups',
      driver: 'nutdrv_qx',
      entryPath: '',
      pluginVersion: '0.32',
      pluginName: 'Generic Q* USB/Serial driver',
      port,
      confPath: '/tmp',
      pollinterval: extra.pollinterval ?? 2,
      synchronous: 'auto',
      debugLevel: 0,
      options,
      sensitive: [],
      overrides: extra.overrides ?? [],
      defaults: extra.defaults ?? [],
      watchdogMs: 30000,
    },
    createNutdrvQx(),
    { devices: localDevices, log: (_l, m) => logs.push(m) },
  );
  await rt.init();
  rt.publishRuntimeInfo();
  const loop = rt.runLoop();
  return {
    rt,
    logs,
    loop,
    stop: async () => {
      rt.stop();
      await loop;
    },
  };
}

export function oursDump(rt: DriverRuntime): string[] {
  return [...rt.tree.dump().map(encodeOp), 'DUMPDONE'];
}

// ------------------------------------------------------------------ comparing

/** The words of a driver socket line (quotes and backslash escapes undone). */
/** The variables of a driver-socket dump (its SETINFO lines), driver.* aside. */
export function setinfoValues(dump: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of dump) {
    const [op, name, value] = wordsOf(l);
    if (op === 'SETINFO' && name && !name.startsWith('driver.')) m.set(name, value ?? '');
  }
  return m;
}

export function wordsOf(line: string): string[] {
  return [...line.matchAll(/"((?:\\.|[^"\\])*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

/** A DUMPALL reply as comparable data, driver.* aside. */
export function normalizeDump(lines: string[]): Record<string, unknown> {
  const vars: Record<string, { value?: string; flags?: string; aux?: string; enums: string[]; ranges: string[] }> = {};
  const cmds: string[] = [];
  const v = (n: string) => (vars[n] ??= { enums: [], ranges: [] });
  for (const line of lines) {
    const [op, name, ...rest] = wordsOf(line);
    if (!name || name.startsWith('driver.')) continue;
    if (op === 'SETINFO') v(name).value = rest[0];
    else if (op === 'SETFLAGS') v(name).flags = rest.join(' ');
    else if (op === 'SETAUX') v(name).aux = rest[0];
    else if (op === 'ADDENUM') v(name).enums.push(rest[0]!);
    else if (op === 'ADDRANGE') v(name).ranges.push(rest.join('-'));
    else if (op === 'ADDCMD') cmds.push(name);
  }
  return { vars, cmds: cmds.sort() };
}

// ------------------------------------------------------------------ NUT and ours side by side

export interface Snapshot {
  vars: Map<string, string>;
  stale: boolean;
}

function snapshotOf(lines: string[]): Snapshot {
  const vars = new Map<string, string>();
  let stale = false;
  for (const l of lines) {
    const [op, name, value] = wordsOf(l);
    if (op === 'SETINFO' && name !== undefined) vars.set(name, value ?? '');
    if (op === 'DATASTALE') stale = true;
    if (op === 'DATAOK') stale = false;
  }
  return { vars, stale };
}

/**
 * One simulator per driver, fed the same events: NUT's nutdrv_qx on one, ours on the other,
 * both polling every second with a full update each time (pollfreq=0).
 */
export interface Pair {
  sims: [Sim, Sim];
  nut: NutDriver;
  ours: Ours;
  event(line: string): Promise<void>;
  nutState(): Promise<Snapshot>;
  oursState(): Snapshot;
  nutCommand(line: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPair(dumpPath: string, options: Record<string, string | true>): Promise<Pair> {
  const all = { pollinterval: '1', pollfreq: '0', ...options };
  const overrides = Object.entries(all).filter(([k]) => k.startsWith('override.')).map(([k, v]) => [k.slice(9), String(v)]) as Array<[string, string]>;
  const defaults = Object.entries(all).filter(([k]) => k.startsWith('default.')).map(([k, v]) => [k.slice(8), String(v)]) as Array<[string, string]>;
  const driverOptions = Object.fromEntries(Object.entries(all).filter(([k]) => !/^(override|default)\.|^pollinterval$/.test(k)));
  const a = await startSim(dumpPath);
  const b = await startSim(dumpPath);
  const nut = await startNut(a.pty.path, all);
  // One control connection for INSTCMD/SET, read all the time (NUT broadcasts to it).
  const control = connect(nut.socket);
  control.on('data', () => {});
  control.on('error', () => {});
  await new Promise((r) => control.once('connect', r));
  const ours = await startOurs(b.pty.path, driverOptions, { overrides, defaults, pollinterval: 1 });
  return {
    sims: [a, b],
    nut,
    ours,
    event: async (line) => {
      await a.event(line);
      await b.event(line);
    },
    nutState: async () => snapshotOf(await dumpAll(nut.socket)),
    oursState: () => snapshotOf(oursDump(ours.rt)),
    nutCommand: (line) => new Promise<void>((resolve) => control.write(`${line}\n`, () => resolve())),
    stop: async () => {
      control.destroy();
      await ours.stop().catch(() => {});
      await nut.stop();
      await a.close();
      await b.close();
    },
  };
}

/** until() for probes that must ask a socket: polls every 200 ms. */
export async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000, detail?: () => Promise<string> | string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await probe()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${detail ? `: ${await detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** INSTCMD / SET through the runtime's queue (between updates, as the host delivers them). */
export const oursInstcmd = (rt: DriverRuntime, cmd: string, param?: string) => new Promise<number>((r) => rt.instcmd(cmd, param, undefined, r));
export const oursSetvar = (rt: DriverRuntime, name: string, value: string) => new Promise<number>((r) => rt.setvar(name, value, undefined, r));
