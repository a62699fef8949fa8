/**
 * What a virtual-USB compat test sets up around its device: the device, a NUT sandbox with
 * its ups.conf, our USB/HID backend in a child, drivers and daemons it spawns, environment
 * it lends to forked processes. Everything started is stopped (last first) after each test,
 * or earlier with reset() when one test runs several rounds.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { makeSandbox, stopChild, type Sandbox } from '../helpers/oracle.js';
import { untilFile } from '../helpers/wait.js';
import { startBackendChild, type BackendChild } from './backend-child.js';
import { lendEnv, startVirtualUsb, type VirtualUsb } from './harness.js';
import { modelFromLogFile } from './model-from-log.js';

/** The APC Back-UPS CS 500 recorded by NUT 2.8.0: the model most virtual-USB tests use. */
export const BACK_UPS_CS_500 = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;

export const backUpsCs500 = () => modelFromLogFile(BACK_UPS_CS_500);

/** How that unit shows on the first virtual port (its descriptors as the recording has them). */
export const BACK_UPS_CS_500_INFO = {
  vendorId: 0x051d,
  productId: 0x0002,
  release: 0x0100,
  manufacturer: 'American Power Conversion',
  product: 'Back-UPS 500 FW: 6.5.I USB FW: c1 ',
  serial: 'AB0427******',
  bus: '001',
  device: '002',
  busport: '1-1',
} as const;

export interface VirtualUsbSession {
  /** The device of this test (throws before start()). */
  readonly dev: VirtualUsb;
  /** The sandbox of this test (throws when start() made none). */
  readonly sb: Sandbox;
  /** Starts the device; with `upsConf`, also a sandbox holding that ups.conf. */
  start(model: Parameters<typeof startVirtualUsb>[0], upsConf?: string): Promise<VirtualUsb>;
  /** The sandbox's and the device's environment, for a driver run against them. */
  env(): NodeJS.ProcessEnv;
  /** Our USB/HID backend in a child process that sees the device. */
  backend(options?: Parameters<typeof startBackendChild>[1]): Promise<BackendChild>;
  /** Spawns a program with env(); it is stopped with the test. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** A child started elsewhere, stopped with the test. */
  adopt(child: ChildProcess): ChildProcess;
  /** Puts the device's environment into process.env (for processes this one forks) until the test ends. */
  lendEnv(): void;
  /** Waits for a driver's socket in the sandbox's state path (`<driver>-<ups>`). */
  driverSocket(name: string, timeoutMs?: number): Promise<void>;
  /** Stops and removes what was started, now. */
  reset(): Promise<void>;
  /** Runs fn at reset (before what was started earlier). */
  onReset(fn: () => unknown): void;
}

export function virtualUsbSession(sandboxPrefix = 'nut-ts-vusb-'): VirtualUsbSession {
  const cleanups: Array<() => unknown> = [];
  let dev: VirtualUsb | undefined;
  let sb: Sandbox | undefined;

  const session: VirtualUsbSession = {
    get dev() {
      if (!dev) throw new Error('no virtual device started');
      return dev;
    },
    get sb() {
      if (!sb) throw new Error('no sandbox made');
      return sb;
    },
    async start(model, upsConf) {
      const d = await startVirtualUsb(model);
      dev = d;
      cleanups.push(async () => {
        await d.stop();
        if (dev === d) dev = undefined;
      });
      if (upsConf !== undefined) {
        const s = makeSandbox(sandboxPrefix);
        sb = s;
        cleanups.push(() => {
          s.cleanup();
          if (sb === s) sb = undefined;
        });
        s.write('ups.conf', upsConf);
      }
      return d;
    },
    env: () => ({ ...(sb?.env ?? process.env), ...session.dev.env }),
    async backend(options) {
      const child = await startBackendChild(session.dev.env, options);
      cleanups.push(() => child.stop());
      return child;
    },
    spawn(command, args, options = {}) {
      return session.adopt(spawn(command, args, { env: session.env(), ...options }));
    },
    adopt(child) {
      cleanups.push(() => stopChild(child));
      return child;
    },
    lendEnv() {
      cleanups.push(lendEnv(session.dev.env));
    },
    driverSocket: (name, timeoutMs = 30_000) => untilFile(join(session.sb.statePath, name), timeoutMs),
    async reset() {
      for (const fn of cleanups.splice(0).reverse()) await fn();
    },
    onReset(fn) {
      cleanups.push(fn);
    },
  };
  afterEach(() => session.reset());
  return session;
}
