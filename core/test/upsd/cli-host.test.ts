/**
 * `upsd` in host mode (built CLIs): it starts the nut-ts host when none runs and has it open
 * the listeners; upsdrvctl before or after upsd ends in the same running system; -c reload
 * and -c stop go through the control socket. Like NUT's NIT: upsd alone lists the UPS and
 * says "Driver not connected" until the driver runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './helpers.js';
import { createServer } from 'node:net';
import { untilAsync } from '../../../test/helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = (name: string) => join(ROOT, 'core/dist/cli', `${name}.js`);

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

let dir: string | undefined;
let env: NodeJS.ProcessEnv = {};

afterEach(() => {
  if (!dir) return;
  // leave nothing running: stop instances and upsd; the host exits when idle
  spawnSync(process.execPath, [CLI('upsdrvctl'), 'stop'], { env, encoding: 'utf8', timeout: 30_000 });
  spawnSync(process.execPath, [CLI('upsd'), '-c', 'stop'], { env, encoding: 'utf8', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function run(name: string, args: string[]) {
  return spawnSync(process.execPath, [CLI(name), ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

async function ask(port: number, lines: string[]): Promise<string[]> {
  const c = await TestClient.open(port);
  const out: string[] = [];
  for (const l of lines) out.push(await c.ask(l));
  c.close();
  return out;
}

async function setup(): Promise<number> {
  dir = mkdtempSync(join(tmpdir(), 'upsd-host-'));
  const conf = join(dir, 'conf');
  const state = join(dir, 'state');
  mkdirSync(conf);
  mkdirSync(state, { mode: 0o770 });
  const port = await freePort();
  writeFileSync(join(conf, 'ups.conf'), '[sim]\n  driver = dummy-ups\n  port = sim.dev\n  desc = "simulated"\n');
  writeFileSync(join(conf, 'sim.dev'), 'ups.status: OL\nbattery.charge: 87\nups.mfr: Test\n');
  writeFileSync(join(conf, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\n`);
  writeFileSync(join(conf, 'upsd.users'), '[admin]\n  password = pw\n  actions = SET\n');
  env = { ...process.env, NUT_CONFPATH: conf, NUT_STATEPATH: state, NUT_ALTPIDPATH: state };
  delete env.NUT_TS_UPSD_STANDALONE;
  return port;
}

const until = (pred: () => Promise<boolean>) => untilAsync('upsd to answer so', pred, 30_000);

describe('upsd through the nut-ts host', () => {
  it('upsd first, then upsdrvctl start: Driver not connected, then data; reload and stop', async () => {
    const port = await setup();
    const started = run('upsd', []);
    expect(started.status).toBe(0);
    expect(started.stdout).toBe('Network UPS Tools upsd 2.8.0\n');
    expect(started.stderr).toContain(`listening on 127.0.0.1 port ${port}`);
    expect(await ask(port, ['LIST UPS', 'GET VAR sim ups.status'])).toEqual([
      'BEGIN LIST UPS\nUPS sim "simulated"\nEND LIST UPS\n',
      'ERR DRIVER-NOT-CONNECTED\n',
    ]);
    expect(run('upsdrvctl', ['start']).status).toBe(0);
    await until(async () => (await ask(port, ['GET VAR sim battery.charge']))[0] === 'VAR sim battery.charge "87"\n');

    // a second upsd finds the same host and its listeners
    const again = run('upsd', []);
    expect(again.status).toBe(0);

    writeFileSync(join(env.NUT_CONFPATH!, 'upsd.users'), '[admin]\n  password = pw\n  actions = SET\n[mon]\n  password = m\n  upsmon primary\n');
    const c = await TestClient.open(port);
    expect(await c.ask('USERNAME mon')).toBe('OK\n');
    expect(await c.ask('PASSWORD m')).toBe('OK\n');
    expect(await c.ask('LOGIN sim')).toBe('ERR ACCESS-DENIED\n');
    expect(run('upsd', ['-c', 'reload']).status).toBe(0);
    // the connection survives the reload and sees the new user table
    expect(await c.ask('PRIMARY sim')).toBe('OK PRIMARY-GRANTED\n');
    c.close();

    expect(run('upsd', ['-c', 'stop']).status).toBe(0);
    await until(async () => {
      try {
        await ask(port, ['VER']);
        return false;
      } catch {
        return true;
      }
    });
  }, 120_000);

  it('upsdrvctl start first, then upsd: same system', async () => {
    const port = await setup();
    expect(run('upsdrvctl', ['start']).status).toBe(0);
    expect(run('upsd', []).status).toBe(0);
    await until(async () => (await ask(port, ['GET VAR sim ups.status']))[0] === 'VAR sim ups.status "OL"\n');
    expect(await ask(port, ['GET UPSDESC sim', 'GET VAR sim ups.mfr'])).toEqual(['UPSDESC sim "simulated"\n', 'VAR sim ups.mfr "Test"\n']);
  }, 120_000);
});
