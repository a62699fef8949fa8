/**
 * The audit trail against NUT 2.8.0's upsd: the same session (LOGIN, SET, INSTCMD with and
 * without tracking, FSD, LOGOUT) on NUT's upsd and on ours, both over NUT's dummy-ups driver;
 * the lines each writes to stderr (NUT's upslogx in the foreground) must be the same, tracking
 * ids aside. NUT logs no failed login; ours does, and those lines are checked on ours alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { freePort, makeSandbox, NUT_UPSD, requireOracle, startNutDriver, stopChild, waitForPort, type Sandbox } from '../helpers/oracle.js';
import { Conversation, FIXTURES, OUR_UPSD, waitReady } from './upsd-harness.js';

const USERS = `[admin]\n  password = secret\n  actions = SET\n  instcmds = ALL\n  upsmon primary\n`;

interface Server {
  port: number;
  child: ChildProcess;
  stderr: string[];
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv): Server & { port: number } {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    stderr.push(...lines);
  });
  return { port: 0, child, stderr };
}

let nutSb: Sandbox;
let ourSb: Sandbox;
let driver: ChildProcess;
let nut: Server;
let ours: Server;

beforeAll(async () => {
  requireOracle();
  nutSb = makeSandbox('audit-nut-');
  nutSb.copy(`${FIXTURES}/ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev`, 'ups1.dev');
  const upsConf = '[ups1]\n  driver = dummy-ups\n  port = ups1.dev\n';
  nutSb.write('ups.conf', upsConf);
  nutSb.write('upsd.users', USERS);
  const nutPort = await freePort();
  nutSb.write('upsd.conf', `LISTEN 127.0.0.1 ${nutPort}\n`);
  driver = startNutDriver(nutSb, 'dummy-ups', 'ups1');
  nut = { ...spawnLogged(NUT_UPSD, ['-F', '-u', 'root'], nutSb.env), port: nutPort };
  ourSb = makeSandbox('audit-ours-');
  ourSb.write('ups.conf', upsConf);
  ourSb.write('upsd.users', USERS);
  const ourPort = await freePort();
  ourSb.write('upsd.conf', `LISTEN 127.0.0.1 ${ourPort}\nSTATEPATH ${nutSb.statePath}\n`);
  ours = { ...spawnLogged(process.execPath, [OUR_UPSD, '-F'], ourSb.env), port: ourPort };
  await waitForPort(nutPort);
  await waitForPort(ourPort, '127.0.0.1', 30_000);
  await waitReady([nutPort, ourPort], ['ups1']);
}, 120_000);

afterAll(async () => {
  await Promise.all([stopChild(nut?.child), stopChild(ours?.child)]);
  await stopChild(driver);
  nutSb?.cleanup();
  ourSb?.cleanup();
});

async function session(port: number): Promise<void> {
  const c = await Conversation.open(port);
  const ask = (l: string) => c.ask(l);
  expect(await ask('USERNAME admin')).toBe('OK\n');
  expect(await ask('PASSWORD secret')).toBe('OK\n');
  expect(await ask('LOGIN ups1')).toBe('OK\n');
  expect(await ask('SET VAR ups1 ups.delay.shutdown 20')).toBe('OK\n');
  expect(await ask('INSTCMD ups1 load.off')).toBe('OK\n');
  expect(await ask('SET TRACKING ON')).toBe('OK\n');
  expect(await ask('SET VAR ups1 battery.charge.low 10')).toMatch(/^OK TRACKING /);
  expect(await ask('INSTCMD ups1 load.off 5')).toMatch(/^OK TRACKING /);
  expect(await ask('FSD ups1')).toBe('OK FSD-SET\n');
  expect(await ask('LOGOUT')).toBe('OK Goodbye\n');
  await c.waitClosed();
  c.close();
}

const AUDIT = /^(User |Client |Set variable: |Instant command: )/;
const normalize = (l: string) => l.replace(/\(tracking ID: (?!disabled\))[^)]+\)/, '(tracking ID: <id>)');

describe('audit trail, NUT 2.8.0 upsd and ours', () => {
  it('logs the same lines for login, SET, INSTCMD (with tracking ids), FSD and logout', async () => {
    await session(nut.port);
    await session(ours.port);
    const audit = (s: Server) => s.stderr.map((l) => l.trim()).filter((l) => AUDIT.test(l)).map(normalize);
    await until('NUT logged the logout', () => audit(nut).some((l) => l.includes('logged out')), 10_000);
    await until('ours logged the logout', () => audit(ours).some((l) => l.includes('logged out')), 10_000);
    expect(audit(nut)).toHaveLength(7);
    expect(audit(ours)).toEqual(audit(nut));
  });

  it('ours also logs a failed login (NUT 2.8.0 logs none), in the same style', async () => {
    const c = await Conversation.open(ours.port);
    await c.ask('USERNAME admin');
    await c.ask('PASSWORD wrong');
    expect(await c.ask('LOGIN ups1')).toBe('ERR ACCESS-DENIED\n');
    c.close();
    await until('the failed login is logged', () => ours.stderr.some((l) => l.includes('User admin@127.0.0.1 failed to log into UPS [ups1]: wrong username or password')), 10_000);
  });
});
