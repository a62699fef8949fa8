/**
 * upsd.conf and upsd.users judged by NUT 2.8.0's upsd:
 * - upsd.conf: one directive at a time, does upsd start (accept) or exit (refuse)? Our
 *   validation must have an error exactly where upsd refuses.
 * - upsd.users: for each user/password, which of LOGIN, MASTER and FSD upsd grants must follow
 *   from what our reader made of the file (password, actions).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, NUT_UPSD, requireOracle, startNutUpsd, stopChild, waitForPort, type Sandbox } from '../helpers/oracle.js';
import { parseUpsdConf } from '../../core/src/config/upsd-conf.js';
import { parseUpsdUsers, type UpsdUser } from '../../core/src/config/upsd-users.js';
import { validateUpsdConf } from '../../core/src/config/validate-files.js';

const UPS_CONF = '[x]\ndriver = dummy-ups\nport = x.dev\n';

/** Sends lines one after another on one connection and returns one answer line each. */
async function converse(port: number, lines: string[]): Promise<string[]> {
  const sock = connect(port, '127.0.0.1');
  const failed = new Promise<never>((_, reject) => {
    sock.once('error', reject);
    sock.once('close', () => reject(new Error('connection closed')));
  });
  failed.catch(() => {});
  await Promise.race([new Promise<void>((resolve) => sock.once('connect', () => resolve())), failed]);
  let buffer = '';
  const waiting: Array<(line: string) => void> = [];
  sock.on('data', (d: Buffer) => {
    buffer += d.toString('latin1');
    for (let i = buffer.indexOf('\n'); i >= 0 && waiting.length; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      waiting.shift()!(line);
    }
  });
  const answers: string[] = [];
  for (const line of lines) {
    answers.push(
      await Promise.race([
        new Promise<string>((resolve) => {
          waiting.push(resolve);
          sock.write(line + '\n');
        }),
        failed,
      ]),
    );
  }
  sock.destroy();
  return answers;
}

describe('upsd.conf acceptance matches NUT 2.8.0 upsd', () => {
  let sb: Sandbox;
  beforeAll(() => {
    requireOracle();
    sb = makeSandbox('nut-ts-upsdconf-');
  });
  afterAll(() => sb?.cleanup());

  /** Starts upsd with `LISTEN 127.0.0.1 <port>` plus the line; true if it listens. */
  async function upsdAccepts(name: string, line: string): Promise<{ accepted: boolean; output: string }> {
    const port = await freePort();
    const dir = join(sb.dir, name);
    mkdirSync(join(dir, 'state'), { recursive: true, mode: 0o770 });
    writeFileSync(join(dir, 'ups.conf'), UPS_CONF, { mode: 0o640 });
    writeFileSync(join(dir, 'upsd.users'), '', { mode: 0o640 });
    writeFileSync(join(dir, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\n${line}\n`, { mode: 0o640 });
    const child: ChildProcess = spawn(NUT_UPSD, ['-F', '-u', 'root'], {
      env: { ...sb.env, NUT_CONFPATH: dir, NUT_STATEPATH: join(dir, 'state'), NUT_ALTPIDPATH: join(dir, 'state') },
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(false)));
    // upsd binds its listeners before some fatal checks (MAXCONN): accepted = it answers VER
    const listening = waitForPort(port, '127.0.0.1', 20_000)
      .then(() => converse(port, ['VER']))
      .then(
        (answers) => answers[0].startsWith('Network UPS Tools upsd'),
        () => false,
      );
    const accepted = await Promise.race([exited, listening]);
    await stopChild(child);
    return { accepted, output };
  }

  const LINES = [
    'MAXAGE 30',
    'maxage 5',
    'MAXAGE abc',
    'LISTEN',
    'TRACKINGDELAY 5s',
    'ALLOW_NO_DEVICE maybe',
    'DISABLE_WEAK_SSL maybe',
    'DEBUG_MIN x',
    'debug_min 2',
    'ACL all 0.0.0.0/0',
    'ACCEPT all',
    'CERTFILE /nonexistent.pem',
    'CERTREQUEST REQUIRE',
    'STATEPATH',
    'MAXCONN 0',
    'MAXCONN 10',
    'FOO bar',
  ];

  it.each(LINES)('%s', async (line) => {
    const nut = await upsdAccepts(`c${LINES.indexOf(line)}`, line);
    const conf = parseUpsdConf(`LISTEN 127.0.0.1 3493\n${line}\n`);
    const errors = [...conf.problems, ...validateUpsdConf(conf)].filter((p) => p.severity === 'error');
    if (nut.accepted) expect(errors, `upsd accepts:\n${nut.output}`).toEqual([]);
    else expect(errors.length, `upsd refuses:\n${nut.output}`).toBeGreaterThan(0);
  }, 120_000);
});

const USERS = `
[plain]
  password = p1
  password = p2
  actions = SET FSD
[mon]
  PASSWORD = m
  upsmon primary
[sec]
  password = s
  upsmon = slave
[multi]
  "password=q"
  actions = login master
[plain]
  actions = FSD
[nopass]
  upsmon primary
[Case]
  password = c
  Actions = fsd
[case]
  password = d
  instcmds = ALL
[both]
  password = b
  actions = PRIMARY
[w32]
  password = w
  actions = ${'X '.repeat(29)}FSD
[w33]
  password = w
  actions = ${'X '.repeat(30)}FSD
[long]
  password = ${'p'.repeat(600)}
  actions = FSD
`;

const TRIES: Array<[string, string]> = [
  ['plain', 'p1'],
  ['plain', 'p2'],
  ['mon', 'm'],
  ['sec', 's'],
  ['multi', 'q'],
  ['nopass', ''],
  ['nopass', 'x'],
  ['Case', 'c'],
  ['case', 'd'],
  ['case', 'c'],
  ['both', 'b'],
  ['ghost', 'g'],
  // FSD is the 32nd word of the line (kept) / the 33rd (dropped by the 32-word limit)
  ['w32', 'w'],
  ['w33', 'w'],
  // a word is cut at 512 characters
  ['long', 'p'.repeat(512)],
  ['long', 'p'.repeat(511)],
];

/** What upsd should grant, from our reader's output and net-protocol.md's rules. */
function expected(users: UpsdUser[], name: string, password: string): string[] {
  const user = users.find((u) => u.name === name);
  const authed = user?.password !== undefined && user.password.value === password;
  const has = (...actions: string[]) => authed && user!.actions.some((a) => actions.includes(a.value.toUpperCase()));
  return [
    has('MASTER', 'PRIMARY') ? 'OK MASTER-GRANTED' : 'ERR ACCESS-DENIED',
    has('FSD') ? 'OK FSD-SET' : 'ERR ACCESS-DENIED',
    has('LOGIN') ? 'OK' : 'ERR ACCESS-DENIED',
  ];
}

describe('upsd.users semantics match NUT 2.8.0 upsd', () => {
  let sb: Sandbox;
  let upsd: ChildProcess | undefined;
  let port = 0;
  beforeAll(async () => {
    requireOracle();
    sb = makeSandbox('nut-ts-users-');
    port = await freePort();
    sb.write('ups.conf', UPS_CONF);
    sb.write('upsd.users', USERS);
    sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
    upsd = await startNutUpsd(sb, port);
  }, 120_000);
  afterAll(async () => {
    await stopChild(upsd);
    sb?.cleanup();
  }, 120_000);

  const cases = TRIES.map(([name, password]) => ({ name, password, label: password.length > 20 ? `${password.slice(0, 3)}…(${password.length} chars)` : JSON.stringify(password) }));
  it.each(cases)('user $name, password $label', async ({ name, password }) => {
    const ours = parseUpsdUsers(USERS).users;
    const answers = await converse(port, [`USERNAME ${name}`, `PASSWORD "${password}"`, 'MASTER x', 'FSD x', 'LOGIN x']);
    expect(answers.slice(0, 2)).toEqual(['OK', 'OK']);
    expect(answers.slice(2)).toEqual(expected(ours, name, password));
  }, 120_000);

  it('the file exercises both outcomes for every command', async () => {
    const ours = parseUpsdUsers(USERS).users;
    const all = TRIES.map(([n, p]) => expected(ours, n, p));
    for (let i = 0; i < 3; i++) {
      expect(new Set(all.map((a) => a[i].startsWith('OK'))).size).toBe(2);
    }
  }, 120_000);
});
