/**
 * One upsd, however it starts. Descriptions: with NUT's cmdvartab installed in NUT's data
 * path and no DATAPATH in upsd.conf, GET DESC / GET CMDDESC answer NUT's texts byte for byte,
 * from the standalone upsd (over NUT's dummy-ups) and from the nut-ts host (`upsdrvctl start`
 * + `upsd`). Startup checks: a world-readable upsd.conf and upsd.users are warned about on
 * both paths, as NUT's upsd warns, and ALLOW_NO_DEVICE from the environment lets both start
 * with no UPS.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, OUR_UPSD, ROOT, TEST_USERS, exchange, startPair, type Pair } from './upsd-harness.js';
import { NUT_UPSD, freePort, makeSandbox, requireOracle, waitForPort, type Sandbox } from '../helpers/oracle.js';
import { RUN_AS_FLAG } from '../helpers/run-user.js';

const CMDVARTAB = '/usr/share/nut/cmdvartab';
const DEV = join(FIXTURES, 'ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev');
const OUR_UPSDRVCTL = join(ROOT, 'core/dist/cli/upsdrvctl.js');

function descRequests(ups: string): string[] {
  return [
    ...['ups.status', 'battery.charge', 'input.voltage', 'UPS.Load', 'driver.parameter.port', 'no.such.var'].map((v) => `GET DESC ${ups} ${v}`),
    ...['load.off', 'test.battery.start', 'shutdown.return', 'Beeper.Toggle', 'no.such.cmd'].map((c) => `GET CMDDESC ${ups} ${c}`),
  ];
}

function ours(cli: string, sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const e = { ...sb.env, ...env };
  delete e.NUT_TS_UPSD_STANDALONE;
  return spawnSync(process.execPath, [cli, ...RUN_AS_FLAG, ...args], { env: { ...e, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe("GET DESC / GET CMDDESC from NUT's data path", () => {
  let pair: Pair;
  let host: Sandbox | undefined;

  beforeAll(async () => {
    requireOracle();
    if (!existsSync(CMDVARTAB)) throw new Error(`${CMDVARTAB} is missing: install NUT 2.8.0 (nut-server)`);
    pair = await startPair({ fixtures: [{ name: 'ups', file: DEV }], users: TEST_USERS });
  }, 120_000);

  afterAll(async () => {
    if (host) {
      ours(OUR_UPSDRVCTL, host, ['stop']);
      ours(OUR_UPSD, host, ['-c', 'stop']);
      host.cleanup();
    }
    await pair?.stop();
  });

  it('standalone upsd: the same bytes as NUT', async () => {
    const req = descRequests('ups');
    const nut = await exchange(pair.nut.port, req);
    expect(nut[0]).not.toContain('Description unavailable');
    expect(await exchange(pair.ours.port, req)).toEqual(nut);
  });

  it('the nut-ts host (upsdrvctl start + upsd): the same bytes as NUT', async () => {
    host = makeSandbox('upsd-desc-host-');
    const port = await freePort();
    host.copy(DEV, 'ups.dev');
    host.write('ups.conf', '[ups]\n  driver = dummy-ups\n  port = ups.dev\n');
    host.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
    host.write('upsd.users', TEST_USERS);
    expect(ours(OUR_UPSDRVCTL, host, ['start']).status).toBe(0);
    expect(ours(OUR_UPSD, host, []).status).toBe(0);
    await waitForPort(port);
    const req = descRequests('ups');
    let status = '';
    let served = false;
    for (const end = Date.now() + 30_000; Date.now() < end && !served; ) {
      [status] = await exchange(port, ['GET VAR ups ups.status']);
      served = status.startsWith('VAR ');
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatch(/^VAR ups ups.status /);
    expect(await exchange(port, req)).toEqual(await exchange(pair.nut.port, req));
  }, 120_000);
});

describe('startup checks on every path', () => {
  it('world-readable upsd.conf and upsd.users, ALLOW_NO_DEVICE from the environment: NUT, standalone and host alike', async () => {
    requireOracle();
    const sides = { nut: makeSandbox('upsd-perm-nut-'), standalone: makeSandbox('upsd-perm-ours-'), host: makeSandbox('upsd-perm-host-') };
    const env = { ALLOW_NO_DEVICE: 'yes' };
    try {
      const ports: Record<string, number> = {};
      for (const [name, sb] of Object.entries(sides)) {
        ports[name] = await freePort();
        sb.write('ups.conf', 'maxretry = 3\n');
        sb.write('upsd.conf', `LISTEN 127.0.0.1 ${ports[name]}\n`, 0o644);
        sb.write('upsd.users', '', 0o644);
      }
      const nut = spawnSync(NUT_UPSD, ['-u', 'root'], { env: { ...sides.nut.env, ...env }, encoding: 'utf8', timeout: 30_000 });
      const standalone = ours(OUR_UPSD, sides.standalone, [], { ...env, NUT_TS_UPSD_STANDALONE: '1' });
      const inHost = ours(OUR_UPSD, sides.host, [], env);
      for (const [name, r] of [
        ['nut', nut],
        ['standalone', standalone],
        ['host', inHost],
      ] as const) {
        const sb = sides[name];
        const text = r.stdout + r.stderr;
        expect(r.status, `${name}: ${text}`).toBe(0);
        expect(text).toContain(`${join(sb.confPath, 'upsd.conf')} is world readable`);
        expect(text).toContain(`${join(sb.confPath, 'upsd.users')} is world readable`);
        await waitForPort(ports[name]);
        expect(await exchange(ports[name], ['LIST UPS'])).toEqual(['BEGIN LIST UPS\nEND LIST UPS\n']);
      }
    } finally {
      spawnSync(NUT_UPSD, ['-c', 'stop'], { env: sides.nut.env, timeout: 30_000 });
      ours(OUR_UPSD, sides.standalone, ['-c', 'stop'], { NUT_TS_UPSD_STANDALONE: '1' });
      ours(OUR_UPSD, sides.host, ['-c', 'stop']);
      await new Promise((r) => setTimeout(r, 300));
      for (const sb of Object.values(sides)) sb.cleanup();
    }
  }, 120_000);
});
