/**
 * NUT 2.8.0's upsd serving NUT's dummy-ups (real DDL/NUT fixtures) plus a scripted driver
 * with enums, ranges and tracking, and a runner that executes NUT's client and ours with the
 * same arguments so tests can compare stdout, stderr and exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NutClient } from '../../core/src/client/index.js';
import { untilFile } from '../helpers/wait.js';
import {
  freePort,
  makeSandbox,
  requireOracle,
  startNutDriver,
  startNutUpsd,
  stopChild,
  type Sandbox,
} from '../helpers/oracle.js';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const OUR_CLI = join(REPO, 'core/dist/cli');
const FIXTURES = join(REPO, 'test/fixtures');

/** A DDL dump with many variables, NUT's ePDU sample (outlets) and a hand-made file with quoting. */
export const DDL_FIXTURE = join(FIXTURES, 'ddl/APC__Smart-UPS_X_750__usbhid-ups__2.7.4__02.dev');
export const EPDU_FIXTURE = join(FIXTURES, 'nut-data/epdu-managed.dev');

const QUOTING_DEV = [
  'ups.mfr: "ACME \\"Quoted\\" Inc"',
  'ups.model: Model   With   Spaces',
  'battery.charge: 100',
  'zeta.var: z',
  'Alpha.var: A',
  'ups.status: OL CHRG',
  'input.voltage: 230.0',
  'custom.hash: "a\\#b"',
  'ups.id: abc',
  'input.sensitivity: H',
  '',
].join('\n');

/** The scripted driver's state, as NUT's driver socket protocol carries it (sock-protocol.md §5). */
const FAKE_DUMP = [
  'SETINFO battery.charge "100"',
  'SETFLAGS battery.charge RW',
  'SETINFO device.type "ups"',
  'SETINFO input.sensitivity "H"',
  'ADDENUM input.sensitivity "L"',
  'ADDENUM input.sensitivity "M"',
  'ADDENUM input.sensitivity "H"',
  'SETAUX input.sensitivity 10',
  'SETFLAGS input.sensitivity RW STRING',
  'SETINFO input.transfer.low "100"',
  'ADDENUM input.transfer.low "97"',
  'ADDENUM input.transfer.low "100"',
  'ADDENUM input.transfer.low "103"',
  'SETFLAGS input.transfer.low RW NUMBER',
  'SETINFO input.voltage.nominal "230"',
  'ADDENUM input.voltage.nominal "230"',
  'ADDRANGE input.voltage.nominal 200 240',
  'SETFLAGS input.voltage.nominal RW NUMBER',
  'SETINFO ups.delay.shutdown "20"',
  'ADDRANGE ups.delay.shutdown 0 60',
  'ADDRANGE ups.delay.shutdown 120 180',
  'SETFLAGS ups.delay.shutdown RW NUMBER',
  'SETINFO ups.id "abc"',
  'SETAUX ups.id 8',
  'SETFLAGS ups.id RW STRING',
  'SETINFO ups.model "Scripted UPS"',
  'SETINFO ups.status "OL"',
  'ADDCMD beeper.toggle',
  'ADDCMD load.off',
  'ADDCMD test.battery.start',
  'ADDCMD vendor.special',
  'DATAOK',
  'DUMPDONE',
];

export interface NutStack {
  sb: Sandbox;
  port: number;
  /** A port where nothing listens. */
  closedPort: number;
  /** `<ups>@127.0.0.1:<port>` */
  ups(name: string): string;
  stop(): Promise<void>;
}

/** Starts dummy-ups for `dummy` (quoting file), `ddl`, `epdu`, the scripted `fake` driver and NUT's upsd. */
export async function startNutStack(): Promise<NutStack> {
  requireOracle();
  const sb = makeSandbox('nut-ts-clients-');
  sb.write('test.dev', QUOTING_DEV);
  sb.copy(DDL_FIXTURE, 'ddl.dev');
  sb.copy(EPDU_FIXTURE, 'epdu.dev');
  sb.write(
    'ups.conf',
    [
      '[dummy]\n\tdriver = dummy-ups\n\tport = test.dev\n\tdesc = "Test \\"dummy\\" device"',
      '[ddl]\n\tdriver = dummy-ups\n\tport = ddl.dev\n\tdesc = "A real device dump"',
      '[epdu]\n\tdriver = dummy-ups\n\tport = epdu.dev',
      '[fake]\n\tdriver = fakeups\n\tport = none\n\tdesc = "Scripted driver"',
      '',
    ].join('\n'),
  );
  sb.write(
    'upsd.users',
    [
      '[admin]\n\tpassword = secret\n\tactions = SET FSD\n\tinstcmds = ALL',
      '[ro]\n\tpassword = ro',
      '[mon]\n\tpassword = monpw\n\tupsmon primary',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const closedPort = await freePort();
  // upsd must bind its last LISTEN line (net-protocol.md §1): keep the IPv4 one last
  sb.write('upsd.conf', `LISTEN ::1 ${port}\nLISTEN 127.0.0.1 ${port}\n`);
  const drivers: ChildProcess[] = [];
  for (const ups of ['dummy', 'ddl', 'epdu']) drivers.push(startNutDriver(sb, 'dummy-ups', ups));
  const fake = await startScriptedDriver(join(sb.statePath, 'fakeups-fake'));
  for (const ups of ['dummy', 'ddl', 'epdu']) await untilFile(join(sb.statePath, `dummy-ups-${ups}`));
  const upsd = await startNutUpsd(sb, port);
  for (const ups of ['dummy', 'ddl', 'epdu', 'fake']) await waitForData(port, ups);
  return {
    sb,
    port,
    closedPort,
    ups: (name) => `${name}@127.0.0.1:${port}`,
    async stop() {
      await stopChild(upsd);
      for (const d of drivers) await stopChild(d);
      fake.close();
      sb.cleanup();
    },
  };
}

/**
 * A driver socket that serves FAKE_DUMP and answers SET/INSTCMD with tracking results:
 * 0 (SUCCESS), except beeper.toggle → 3 (ERR FAILED). SET also updates the value.
 */
async function startScriptedDriver(path: string): Promise<Server> {
  if (existsSync(path)) unlinkSync(path);
  const conns: Socket[] = [];
  const server = createServer((s) => {
    conns.push(s);
    s.on('error', () => undefined);
    let buf = '';
    s.setEncoding('latin1');
    s.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const w = line.split(' ');
        const verb = w[0].toUpperCase();
        const tracking = w.length >= 2 && w[w.length - 2].toUpperCase() === 'TRACKING' ? w[w.length - 1] : undefined;
        if (verb === 'DUMPALL') s.write(FAKE_DUMP.join('\n') + '\n');
        else if (verb === 'PING') s.write('PONG\n');
        else if (verb === 'INSTCMD' && tracking) s.write(`TRACKING ${tracking} ${w[1] === 'beeper.toggle' ? 3 : 0}\n`);
        else if (verb === 'SET') {
          const m = /^SET (\S+) (".*?(?<!\\)")/.exec(line);
          const out = (m ? `SETINFO ${m[1]} ${m[2]}\n` : '') + (tracking ? `TRACKING ${tracking} 0\n` : '');
          for (const c of conns) if (!c.destroyed) c.write(out);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return server;
}

/** Waits until upsd has the driver's data (no WAIT, no DRIVER-NOT-CONNECTED). */
async function waitForData(port: number, ups: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new NutClient({ host: '127.0.0.1', port });
    try {
      await c.connect();
      const status = await c.getVar(ups, 'ups.status').catch(() => 'WAIT');
      if (status !== 'WAIT') return;
    } catch {
      // upsd not ready yet
    } finally {
      c.close();
    }
    if (Date.now() > deadline) throw new Error(`upsd has no data for ${ups}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

function run(cmd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    // detached: a new session without a controlling terminal, so getpass() reads stdin in both
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('latin1').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ stdout, stderr, code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/**
 * Debian's NSS build of libupsclient prints this on every STARTTLS-trying start; it is a
 * build artefact, not NUT behaviour (Zabbix templates strip it too), so ours does not.
 */
export function withoutNssNotice(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l !== 'Init SSL without certificate database')
    .join('\n');
}

/** NUT's tool (by name, from PATH, as users run it) and ours, one after the other. */
export async function runBoth(
  tool: 'upsc' | 'upsrw' | 'upscmd',
  args: string[],
  input?: string,
): Promise<{ nut: Run; ours: Run }> {
  const env = { ...process.env, LC_ALL: 'C' };
  const nut = await run(tool, args, input, env);
  nut.stderr = withoutNssNotice(nut.stderr);
  const ours = await run(process.execPath, [join(OUR_CLI, `${tool}.js`), ...args], input, env);
  return { nut, ours };
}

/** Ours alone (for --json, which NUT does not have). */
export function runOurs(tool: 'upsc' | 'upsrw' | 'upscmd', args: string[], input?: string): Promise<Run> {
  return run(process.execPath, [join(OUR_CLI, `${tool}.js`), ...args], input);
}

export function runNut(tool: 'upsc' | 'upsrw' | 'upscmd', args: string[], input?: string): Promise<Run> {
  return run(tool, args, input).then((r) => ({ ...r, stderr: withoutNssNotice(r.stderr) }));
}
