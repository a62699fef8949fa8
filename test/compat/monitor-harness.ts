/**
 * Shutdown scenarios: NUT's dummy-ups replays a .seq file, an upsd (NUT's or ours) serves it,
 * and upsmon processes (NUT's or ours) watch it. Every upsmon gets a NOTIFYCMD that logs
 * type, UPS and text, and a SHUTDOWNCMD that leaves a marker file.
 *
 * NUT 2.8.0's upsmon keeps its pid file in the compiled /run/nut whatever the environment
 * says, so each NUT upsmon runs in its own mount namespace with a private /run/nut.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, chmodSync, mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeSandbox, requireOracle, NUT_DRIVER_DIR, NUT_UPSD, waitForPort, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import { processUsers, RUN_AS_FLAG, RUN_USER } from '../helpers/run-user.js';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const OUR_CLI = join(REPO, 'core/dist/cli');
export const NUT_UPSMON = '/lib/nut/upsmon';
export const NUT_UPSSCHED = '/usr/sbin/upssched';

export type Impl = 'nut' | 'ours';

export const BASE_TYPES = ['ONLINE', 'ONBATT', 'LOWBATT', 'FSD', 'COMMOK', 'COMMBAD', 'SHUTDOWN', 'REPLBATT', 'NOCOMM', 'NOPARENT', 'CAL'];

export function requireMonitorOracle(): void {
  requireOracle(join(NUT_DRIVER_DIR, 'dummy-ups'), NUT_UPSD, NUT_UPSMON, NUT_UPSSCHED, '/usr/bin/unshare');
}

/** until() with the monitor tests' argument order and a longer default. */
export async function waitFor(pred: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  await until(what, pred, timeoutMs);
}

/** Signals the child's whole process group, even when the leader is gone (orphaned halves). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL');
    return;
  }
  const exited = new Promise((r) => child.once('exit', r));
  killGroup(child, 'SIGTERM');
  const t = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
  // split-process upsmon: the other half may still run in the group
  killGroup(child, 'SIGKILL');
}

export interface Stack {
  sb: Sandbox;
  port: number;
  upsd: Impl;
  drivers: ChildProcess[];
  server?: ChildProcess;
  monitors: MonitorRun[];
  stopServer(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts one dummy-ups per .seq and an upsd with users `mon` (primary) and `sec` (secondary). */
export async function startStack(upsd: Impl, seqs: Record<string, string>): Promise<Stack> {
  requireMonitorOracle();
  const sb = makeSandbox('nut-ts-monitor-');
  const port = await freePort();
  sb.write('ups.conf', Object.keys(seqs).map((u) => `[${u}]\n\tdriver = dummy-ups\n\tport = ${u}.seq\n`).join(''));
  for (const [u, seq] of Object.entries(seqs)) sb.write(`${u}.seq`, seq);
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
  sb.write('upsd.users', '[mon]\n\tpassword = pw\n\tupsmon primary\n[sec]\n\tpassword = pw\n\tupsmon secondary\n');
  chmodSync(sb.dir, 0o755);
  const drivers: ChildProcess[] = [];
  for (const u of Object.keys(seqs)) {
    drivers.push(spawn(join(NUT_DRIVER_DIR, 'dummy-ups'), ['-a', u, '-F', ...RUN_AS_FLAG], { env: sb.env, stdio: 'ignore', detached: true }));
  }
  await waitFor(() => Object.keys(seqs).every((u) => existsSync(join(sb.statePath, `dummy-ups-${u}`))), 'dummy-ups sockets', 30_000);
  const stack: Stack = {
    sb,
    port,
    upsd,
    drivers,
    monitors: [],
    async stopServer() {
      if (stack.server) await stopGroup(stack.server);
    },
    async cleanup() {
      for (const m of stack.monitors) await stopGroup(m.child);
      await stack.stopServer();
      for (const d of drivers) await stopGroup(d);
      sb.cleanup();
    },
  };
  const cmd = upsd === 'nut' ? [NUT_UPSD, '-F', ...RUN_AS_FLAG] : [process.execPath, join(OUR_CLI, 'upsd.js'), '-F', ...RUN_AS_FLAG];
  const server = spawn(cmd[0], cmd.slice(1), { env: sb.env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let serverErr = '';
  server.stderr?.on('data', (c: Buffer) => (serverErr += c.toString('latin1')));
  stack.server = server;
  try {
    await waitForPort(port, '127.0.0.1', 30_000);
    // the server answers once it has the drivers' data
    // the server answers once it has each driver's data, and the .seq has replaced WAIT
    await waitFor(
      () =>
        Object.keys(seqs).every((u) => {
          const r = spawnSync('upsc', [`${u}@127.0.0.1:${port}`, 'ups.status'], { encoding: 'latin1' });
          return r.status === 0 && r.stdout.trim() !== '' && r.stdout.trim() !== 'WAIT';
        }),
      `upsd data (${serverErr})`,
      30_000,
    );
    // as root, both upsds and every driver run as the run user, as NUT's packages start them
    const users = processUsers([server, ...drivers]);
    if (RUN_USER && users.some((u) => u !== RUN_USER?.name)) throw new Error(`upsd and drivers run as ${users.join(', ')}, not ${RUN_USER.name}`);
  } catch (err) {
    await stack.cleanup();
    throw err;
  }
  return stack;
}

export interface Note {
  t: number;
  who: string;
  type: string;
  ups: string;
  message: string;
}

export interface MonitorRun {
  name: string;
  impl: Impl;
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<number | null>;
  exitCode: () => number | null | undefined;
  dir: string;
  conf: string;
  marker: string;
  flag: string;
  notes: () => Note[];
  /** Notification types in the order the process logged them (SYSLOG lines on stderr). */
  order: () => string[];
}

export interface MonitorOptions {
  name: string;
  impl: Impl;
  /** MONITOR lines and timing directives; the harness adds NOTIFYCMD, SHUTDOWNCMD, flags. */
  body: string;
  /** Privileged parent + child (default for primaries), else `-p`. */
  split?: boolean;
  notifyCmd?: string;
  extraEnv?: NodeJS.ProcessEnv;
}

export function startUpsmon(stack: Stack, o: MonitorOptions): MonitorRun {
  const dir = join(stack.sb.dir, `mon-${o.name}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const notifyLog = join(dir, 'notify.log');
  const marker = join(dir, 'shutdown.marker');
  const flag = join(dir, 'killpower');
  const notify = join(dir, 'notify.sh');
  writeFileSync(notify, `#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' "$(date +%s.%N)" "${o.name}" "$NOTIFYTYPE" "$UPSNAME" "$1" >> ${notifyLog}\n`, { mode: 0o755 });
  const sd = join(dir, 'shutdown.sh');
  writeFileSync(sd, `#!/bin/sh\ndate +%s.%N >> ${marker}\n`, { mode: 0o755 });
  const conf = join(dir, 'upsmon.conf');
  const flags = BASE_TYPES.map((t) => `NOTIFYFLAG ${t} SYSLOG+EXEC`).join('\n');
  writeFileSync(
    conf,
    `${o.body.replaceAll('@PORT', String(stack.port))}\nNOTIFYCMD "${o.notifyCmd ?? notify}"\nSHUTDOWNCMD "${sd}"\nPOWERDOWNFLAG ${flag}\n${flags}\n`,
    { mode: 0o644 },
  );
  const args = ['-D', ...(o.split ? [] : ['-p']), '-u', 'root', '-f', conf];
  const env = { ...stack.sb.env, NUT_ALTPIDPATH: dir, NUT_STATEPATH: dir, ...o.extraEnv };
  const child =
    o.impl === 'nut'
      ? spawn('unshare', ['-m', 'sh', '-c', `mount -t tmpfs tmpfs /run/nut && exec ${NUT_UPSMON} "$@"`, 'upsmon', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      : spawn(process.execPath, [join(OUR_CLI, 'upsmon.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let err = '';
  let out = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('latin1')));
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('latin1')));
  // 'close', not 'exit': the last stderr lines may still be in the pipe at exit
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  let code: number | null | undefined;
  void exit.then((c) => (code = c));
  const notes = (): Note[] => {
    if (!existsSync(notifyLog)) return [];
    return readFileSync(notifyLog, 'latin1')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [t, who, type, ups, ...msg] = l.split('|');
        return { t: Number(t), who, type, ups, message: msg.join('|') };
      })
      .sort((a, b) => a.t - b.t);
  };
  const run: MonitorRun = {
    name: o.name,
    impl: o.impl,
    child,
    stderr: () => err,
    stdout: () => out,
    exit,
    exitCode: () => code,
    dir,
    conf,
    marker,
    flag,
    notes,
    order: () => {
      const byMessage = new Map(notes().map((n) => [n.message, n.type]));
      const out: string[] = [];
      for (const line of err.split('\n')) {
        const m = /^\s*\d+\.\d+\t(.*)$/.exec(line);
        const type = m && byMessage.get(m[1]);
        if (type) out.push(type);
      }
      return out;
    },
  };
  stack.monitors.push(run);
  return run;
}

export function types(run: MonitorRun): string[] {
  return run.notes().map((n) => n.type);
}

/** Runs `upsmon -K` of an implementation against a monitor's config; returns the exit status. */
export function checkPowerDownFlag(impl: Impl, run: MonitorRun): number | null {
  const cmd = impl === 'nut' ? [NUT_UPSMON, '-K', '-f', run.conf] : [process.execPath, join(OUR_CLI, 'upsmon.js'), '-K', '-f', run.conf];
  return spawnSync(cmd[0], cmd.slice(1), { encoding: 'latin1' }).status;
}

/** A client that logs into a UPS like a secondary upsmon and never logs out. */
export async function stuckSecondary(stack: Stack, ups: string): Promise<{ close(): void }> {
  const { connect } = await import('node:net');
  const sock = connect(stack.port, '127.0.0.1');
  const answers: string[] = [];
  sock.setEncoding('latin1');
  sock.on('data', (c: string) => answers.push(...c.split('\n').filter(Boolean)));
  await new Promise((r) => sock.once('connect', r));
  sock.write(`USERNAME sec\nPASSWORD pw\nLOGIN ${ups}\n`);
  await waitFor(() => answers.length >= 3, 'stuck secondary login', 10_000);
  if (!answers.every((a) => a.startsWith('OK'))) throw new Error(`stuck secondary: ${answers.join(' / ')}`);
  return { close: () => sock.destroy() };
}

/** Every scenario runs on both servers with both monitors; NUT on NUT is the reference. */
export const COMBOS: Array<[upsd: Impl, upsmon: Impl]> = [
  ['nut', 'nut'],
  ['nut', 'ours'],
  ['ours', 'ours'],
  ['ours', 'nut'],
];

/** A looping .seq that holds one state (dummy-ups re-reads the file at every loop). */
export function seq(status: string, charge = 100): string {
  return `ups.status: ${status}\nbattery.charge: ${charge}\nbattery.charge.low: 20\nTIMER 1\n`;
}

/** Replaces a UPS's .seq at once; dummy-ups picks it up at its next loop. */
export function setSeq(stack: Stack, ups: string, text: string): void {
  const file = join(stack.sb.confPath, `${ups}.seq`);
  writeFileSync(file + '.new', text);
  renameSync(file + '.new', file);
}

export const loggedIn = (m: MonitorRun): boolean => m.stderr().includes('Logged into UPS');

/** How many recalc rounds have counted `system` as critical (upsmon -D prints it). */
export function criticalRounds(m: MonitorRun, system: string): number {
  return m.stderr().split('\n').filter((l) => l.includes(`Critical UPS: ${system}`)).length;
}
