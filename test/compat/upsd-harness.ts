/**
 * NUT's dummy-ups drivers served side by side by NUT's upsd (the oracle) and by ours
 * (node core/dist/cli/upsd.js -F), both attached to the same driver sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestClient, takeAnswer } from '../../core/test/upsd/helpers.js';
import {
  freePort,
  makeSandbox,
  requireOracle,
  startNutDriver,
  startNutUpsd,
  stopChild,
  waitForPort,
  type Sandbox,
} from '../helpers/oracle.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURES = join(ROOT, 'test/fixtures');
export const OUR_UPSD = join(ROOT, 'core/dist/cli/upsd.js');

export interface Fixture {
  /** UPS name in ups.conf. */
  name: string;
  /** Absolute path of the .dev/.seq file. */
  file: string;
  desc?: string;
}

/** Every DDL dump plus NUT's own data files, with short UPS names. */
export function allFixtures(): Fixture[] {
  const out: Fixture[] = [];
  const ddl = readdirSync(join(FIXTURES, 'ddl')).filter((f) => f.endsWith('.dev')).sort();
  ddl.forEach((f, i) => out.push({ name: `ddl${String(i + 1).padStart(2, '0')}`, file: join(FIXTURES, 'ddl', f), desc: f }));
  out.push({ name: 'epdu', file: join(FIXTURES, 'nut-data/epdu-managed.dev'), desc: 'NUT "epdu-managed" #data' });
  out.push({ name: 'evo', file: join(FIXTURES, 'nut-data/evolution500.seq') });
  return out;
}

export const TEST_USERS = `
[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[reader]
  password = readonly
[tester]
  password = t3st
  instcmds = load.off test.battery.start
[limited]
  password = l1m
  instcmds = test.battery.start test.battery.stop
[upsmaster]
  password = mpw
  upsmon primary
[upsslave]
  password = spw
  upsmon secondary
`;

export interface Side {
  port: number;
  sandbox: Sandbox;
  child: ChildProcess;
}

export interface Pair {
  nut: Side;
  ours: Side;
  /**
   * Our upsd configured with DATAPATH /usr/share/nut (NUT's cmdvartab) when asked for; `ours`
   * then has a DATAPATH without cmdvartab, so it serves our own descriptions.
   */
  oursDatapath?: Side;
  fixtures: Fixture[];
  drivers: ChildProcess[];
  stop(): Promise<void>;
}

export interface PairOptions {
  fixtures: Fixture[];
  users?: string;
  /** Extra upsd.conf lines for both servers. */
  upsdConf?: string;
  withDatapath?: boolean;
  /** Extra environment for our upsd. */
  env?: NodeJS.ProcessEnv;
}

function upsConf(fixtures: Fixture[]): string {
  return fixtures
    .map((f) => {
      let s = `[${f.name}]\n  driver = dummy-ups\n  port = ${f.file.split('/').pop()}\n`;
      if (f.desc !== undefined) s += `  desc = "${f.desc.replace(/([\\"#])/g, '\\$1')}"\n`;
      return s;
    })
    .join('');
}

export async function startOurUpsd(
  nutSandbox: Sandbox,
  fixtures: Fixture[],
  users: string,
  extraConf: string,
  env: NodeJS.ProcessEnv = {},
  upsConfText?: string,
): Promise<Side> {
  const sb = makeSandbox('upsd-ours-');
  const port = await freePort();
  sb.write('ups.conf', upsConfText ?? upsConf(fixtures));
  sb.write('upsd.users', users);
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\nSTATEPATH ${nutSandbox.statePath}\n${extraConf}`);
  const child = spawn(process.execPath, [OUR_UPSD, '-F'], { env: { ...sb.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitForPort(port, '127.0.0.1', 30_000);
  } catch (e) {
    throw new Error(`our upsd did not listen: ${stderr}`, { cause: e });
  }
  return { port, sandbox: sb, child };
}

export async function startPair(opts: PairOptions): Promise<Pair> {
  requireOracle();
  const users = opts.users ?? TEST_USERS;
  const sb = makeSandbox('upsd-nut-');
  for (const f of opts.fixtures) sb.copy(f.file);
  sb.write('ups.conf', upsConf(opts.fixtures));
  sb.write('upsd.users', users);
  const nutPort = await freePort();
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${nutPort}\n${opts.upsdConf ?? ''}`);
  const drivers = opts.fixtures.map((f) => startNutDriver(sb, 'dummy-ups', f.name));
  const nutChild = await startNutUpsd(sb, nutPort);
  // with a DATAPATH twin, the first one serves our own descriptions: its DATAPATH has no cmdvartab
  const builtIn = opts.withDatapath ? `DATAPATH ${sb.confPath}\n` : '';
  const ours = await startOurUpsd(sb, opts.fixtures, users, `${opts.upsdConf ?? ''}${builtIn}`, opts.env);
  const oursDatapath = opts.withDatapath
    ? await startOurUpsd(sb, opts.fixtures, users, `${opts.upsdConf ?? ''}DATAPATH /usr/share/nut\n`, opts.env)
    : undefined;
  const pair: Pair = {
    nut: { port: nutPort, sandbox: sb, child: nutChild },
    ours,
    oursDatapath,
    fixtures: opts.fixtures,
    drivers,
    async stop() {
      await Promise.all([stopChild(ours.child), stopChild(oursDatapath?.child), stopChild(nutChild)]);
      await Promise.all(drivers.map((d) => stopChild(d)));
      ours.sandbox.cleanup();
      oursDatapath?.sandbox.cleanup();
      sb.cleanup();
    },
  };
  const ports = [nutPort, ours.port, ...(oursDatapath ? [oursDatapath.port] : [])];
  await waitReady(ports, opts.fixtures.map((f) => f.name));
  return pair;
}

/** Waits until every server has a dumped status for every UPS. */
export async function waitReady(ports: number[], names: string[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const answers = await exchange(port, names.map((n) => `GET VAR ${n} ups.status`));
      const pending = answers.filter((a) => !/^VAR \S+ ups\.status "/.test(a) || a.includes('"WAIT"'));
      if (pending.length === 0) break;
      if (Date.now() > deadline) throw new Error(`port ${port} (of ${ports.join(', ')}): not ready: ${pending.slice(0, 3).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Sends requests pipelined in one write on a fresh connection; returns one answer each. */
export async function exchange(port: number, requests: string[], eol = '\n'): Promise<string[]> {
  const c = await TestClient.open(port);
  try {
    c.send(requests.map((r) => r + eol).join(''));
    const out: string[] = [];
    for (let i = 0; i < requests.length; i++) out.push(await c.answer(60_000));
    return out;
  } finally {
    c.close();
  }
}

/** One request at a time on one connection (for stateful sequences). */
export class Conversation {
  private constructor(private readonly c: TestClient) {}
  static async open(port: number): Promise<Conversation> {
    return new Conversation(await TestClient.open(port));
  }
  async ask(line: string, eol = '\n'): Promise<string> {
    this.c.send(line + eol);
    return this.c.answer(30_000);
  }
  get closed(): boolean {
    return this.c.closed;
  }
  async waitClosed(): Promise<void> {
    await this.c.waitFor(() => this.c.closed, 10_000);
  }
  close(): void {
    this.c.close();
  }
}

/** Tracking IDs differ between servers by design (ours are random); compare them by shape. */
export function normalizeTracking(text: string): string {
  return text.replace(/[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}/g, '<UUIDv4>');
}

export { takeAnswer };
