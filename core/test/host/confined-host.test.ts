/**
 * Plugins run confined (host setting `confined`): each instance in a child process of its own
 * under Node's permission model. A plugin that reads upsd.users, writes a file or starts a
 * process is refused, the instance fails with the reason and the host logs it and goes on;
 * dummy-ups, confined, still serves its .dev file through upsd.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from '../../src/client/index.js';
import { Host } from '../../src/host/host.js';
import { freePort } from '../../../test/helpers/oracle.js';
import { until } from '../../../test/helpers/wait.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const repo = join(import.meta.dirname, '..', '..', '..');
const devFixture = join(repo, 'test', 'fixtures', 'ddl', 'OptiUPS__VS_575C__powercom__2.7.1__01.dev');

describe('confined plugins in the host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-confined-host-'));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  const written = join(dir, 'written-by-plugin');
  mkdirSync(confPath);
  mkdirSync(statePath);
  writeFileSync(join(confPath, 'upsd.users'), '[admin]\n password = secret\n actions = SET\n instcmds = ALL\n', { mode: 0o600 });
  copyFileSync(devFixture, join(confPath, 'opti.dev'));
  // a plugin whose package holds a link to upsd.users: Node 20 would follow it
  const linkedPlugins = join(dir, 'plugins');
  const linked = join(linkedPlugins, 'linked');
  mkdirSync(linked, { recursive: true });
  writeFileSync(
    join(linked, 'package.json'),
    JSON.stringify({ name: 'nut-ts-test-linked', version: '1.0.0', type: 'module', 'nut-ts': { driver: 'test-linked', kind: 'software', description: 'reads through a link', version: '0.01', entry: 'index.js' } }),
  );
  writeFileSync(
    join(linked, 'index.js'),
    "import { readFileSync } from 'node:fs';\nexport default () => ({ initups(ctx) { ctx.dstate.setinfo('test.got', readFileSync(new URL('./users', import.meta.url), 'utf8')); }, updateinfo(ctx) { ctx.dstate.dataok(); } });\n",
  );
  symlinkSync(join(confPath, 'upsd.users'), join(linked, 'users'));
  writeFileSync(
    join(confPath, 'ups.conf'),
    [
      'pollinterval = 1',
      '[reads]\n driver = test-attempts\n port = none\n attempt = read',
      `[writes]\n driver = test-attempts\n port = none\n attempt = write\n target = ${written}`,
      '[spawns]\n driver = test-attempts\n port = none\n attempt = spawn',
      `[pries]\n driver = test-attempts\n port = /dev/ttyS0\n attempt = open\n target = ${join(confPath, 'upsd.users')}`,
      '[usbpry]\n driver = test-attempts\n port = auto\n vendorid = 051d\n attempt = usb\n target = 0463',
      '[opti]\n driver = dummy-ups\n port = opti.dev',
      '[linked]\n driver = test-linked\n port = none',
      '',
    ].join('\n'),
  );
  const logs: string[] = [];
  const host = new Host({
    paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' },
    settings: { pluginPaths: [join(fixtures, 'confined'), linkedPlugins], confined: ['*'], restart: { initialDelayMs: 60_000 } },
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  let port = 0;

  beforeAll(async () => {
    expect(host.loadConfig().messages).toEqual([]);
    port = await freePort();
  }, 30_000);

  afterAll(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (what: string) => `refused by the permission model (confined plugin): ${what}`;

  it.each([
    ['reads', `read ${join(confPath, 'upsd.users')}`],
    ['writes', `write ${written}`],
    ['spawns', 'start a process'],
  ])('[%s]: the attempt is refused, the instance reports it and the host logs it', async (ups, what) => {
    const r = await host.startInstance(ups, { maxstartdelayMs: 20_000 });
    expect(r.ok).toBe(false);
    expect(r.messages.join('\n')).toContain(refusal(what));
    await until(`the host logs the refusal of [${ups}]`, () => logs.some((l) => l.startsWith('error') && l.includes(ups) && l.includes(refusal(what))), 10_000);
  }, 30_000);

  it('does not start a plugin confined whose package links out of what it may read', async () => {
    const r = await host.startInstance('linked', { maxstartdelayMs: 20_000 });
    expect(r.ok).toBe(false);
    const why = `cannot run [linked] confined: plugin test-linked holds symbolic links out of what it may read (Node's permission model would follow them): ${join(linked, 'users')} -> ${join(confPath, 'upsd.users')}`;
    expect(r.messages.join('\n')).toContain(why);
    expect(host.instance('linked')?.tree.getValue('test.got')).toBeUndefined();
  }, 30_000);

  it("[pries]: a serial open of anything but the section's port is refused before it reaches the device side", async () => {
    const r = await host.startInstance('pries', { maxstartdelayMs: 20_000 });
    expect(r.ok).toBe(false);
    const why = `[pries] is confined: it may open only its section's port /dev/ttyS0, not ${join(confPath, 'upsd.users')}`;
    expect(r.messages.join('\n')).toContain(why);
    expect(logs.some((l) => l.startsWith('error') && l.includes(why))).toBe(true);
  }, 30_000);

  it("[usbpry]: a USB open of a vendor other than the section's is refused before it reaches the device side", async () => {
    const r = await host.startInstance('usbpry', { maxstartdelayMs: 20_000 });
    expect(r.ok).toBe(false);
    const why = '[usbpry] is confined: it may open only USB devices its section matches (vendorid = 051d), not vendorid 0463';
    expect(r.messages.join('\n')).toContain(why);
    expect(logs.some((l) => l.startsWith('error') && l.includes(why))).toBe(true);
  }, 30_000);

  it('wrote nothing', () => {
    expect(existsSync(written)).toBe(false);
  });

  it("still serves a confined dummy-ups through upsd: the .dev file's values", async () => {
    const started = await host.startInstance('opti', { maxstartdelayMs: 20_000 });
    expect(started.ok, started.messages.join('\n')).toBe(true);
    const up = await host.upsd.start({ listen: [{ host: '127.0.0.1', port }], noConfigFiles: true });
    expect(up.ok, up.messages.join('\n')).toBe(true);
    // the instance runs in a child process started with the permission flag
    const children = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'args='], { encoding: 'utf8' }).stdout;
    expect(children).toMatch(/--experimental-permission .*--allow-fs-read=.*opti\.dev.*worker-main\.js/);
    const expected = readFileSync(devFixture, 'utf8')
      .split('\n')
      .filter((l) => /^(battery|device|input|output|ups)\.[^:]*: /.test(l))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
    expect(expected.length).toBeGreaterThan(10);
    const c = new NutClient({ host: '127.0.0.1', port });
    await c.connect();
    try {
      await until('dummy-ups published the file', async () => (await c.listVar('opti').catch(() => [])).length > 0, 10_000);
      const served = new Map((await c.listVar('opti')).map((v) => [v.name, v.value]));
      for (const [name, value] of expected) expect(served.get(name), name).toBe(value);
    } finally {
      c.close();
    }
    // the host is still up after the refusals
    expect(host.list().map((i) => i.name)).toContain('opti');
  }, 40_000);
});
