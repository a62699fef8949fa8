/**
 * Shared pieces of the apcsmart compatibility tests: the Smart-UPS simulator as a child
 * process (`nut simulate apcsmart`), the host's serial transport opening its pseudo-terminal
 * in this process, and our driver running in a DriverRuntime, optionally served on NUT's
 * driver socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DriverSocketServer, driverSocketPath } from '../../core/src/driver-socket/server.js';
import { DriverRuntime } from '../../core/src/driver/runtime.js';
import type { InstanceSpec } from '../../core/src/host/worker-protocol.js';
import { LocalDevices } from '../../core/src/transport/local-devices.js';
import { SerialBackend } from '../../core/src/transport/serial-backend.js';
import apcsmart from '../../plugins/apcsmart/src/index.js';
import { stopChild } from '../helpers/oracle.js';
import { shareDeviceWithRunUser } from '../helpers/run-user.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const NUT_CLI = join(ROOT, 'core', 'dist', 'cli', 'nut.js');
export const DDL = join(ROOT, 'test', 'fixtures', 'ddl');

// ------------------------------------------------------------------ simulator

export interface Simulator {
  port: string;
  child: ChildProcess;
  /** Sends an event line to the simulator's stdin. */
  event(line: string): void;
  /** Bytes the simulator received so far (from its --log), in order. */
  received(): string;
  stop(): Promise<void>;
}

export async function startSimulator(dump: string, dir: string, name: string, extra: string[] = []): Promise<Simulator> {
  const log = join(dir, `${name}.log`);
  const port = join(dir, `${name}.tty`);
  const child = spawn(process.execPath, [NUT_CLI, 'simulate', 'apcsmart', '--from', dump, '--port', port, '--log', log, ...extra], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolvePath, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolvePath(l));
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${stderr}`)));
  });
  if (first !== port) throw new Error(`simulator printed ${first}, expected ${port}`);
  shareDeviceWithRunUser(port);
  return {
    port,
    child,
    event: (line) => child.stdin!.write(`${line}\n`),
    received: () => {
      const text = readFileSync(log, 'utf8');
      return text
        .split('\n')
        .filter((l) => / RX /.test(l))
        .map((l) => l.slice(l.indexOf(' RX ') + 4))
        .join('');
    },
    stop: () => stopChild(child),
  };
}

// ------------------------------------------------------------------ serial access

/** The host's serial transport (serialport 12), in this process. */
export function ptyDevices(): LocalDevices {
  return new LocalDevices({ serial: new SerialBackend() });
}

// ------------------------------------------------------------------ our driver

export interface OurDriver {
  runtime: DriverRuntime;
  logs: string[];
  server?: DriverSocketServer;
  stop(): Promise<void>;
}

export function ourSpec(upsname: string, port: string, options: Record<string, string> = {}, pollinterval = 2): InstanceSpec {
  return {
    upsname,
    driver: 'apcsmart',
    entryPath: join(ROOT, 'plugins', 'apcsmart', 'src', 'index.ts'),
    pluginVersion: '3.2',
    pluginName: 'APC Smart protocol driver',
    port,
    confPath: ROOT,
    pollinterval,
    synchronous: 'auto',
    debugLevel: 1,
    options,
    sensitive: [],
    overrides: [],
    defaults: [],
    watchdogMs: 60_000,
  };
}

/** Starts our driver (init + main loop); with statePath, serves it on NUT's driver socket there. */
export async function startOurDriver(spec: InstanceSpec, statePath?: string): Promise<OurDriver> {
  const logs: string[] = [];
  const runtime = new DriverRuntime(spec, apcsmart(), {
    devices: ptyDevices(),
    log: (level, m) => logs.push(`${level}: ${m}`),
  });
  await runtime.init();
  let server: DriverSocketServer | undefined;
  if (statePath) {
    server = await DriverSocketServer.listen({
      path: driverSocketPath(statePath, 'apcsmart', spec.upsname),
      tree: runtime.tree,
      commands: {
        instcmd: (c, p, reply) => runtime.instcmd(c, p, undefined, reply),
        setvar: (n, v, reply) => runtime.setvar(n, v, undefined, reply),
      },
    });
  }
  runtime.publishRuntimeInfo();
  const loop = runtime.runLoop();
  return {
    runtime,
    logs,
    server,
    async stop() {
      runtime.stop();
      await loop.catch(() => undefined);
      await server?.close();
    },
  };
}
