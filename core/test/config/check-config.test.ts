import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/check-config.js';
import { checkConfig } from '../../src/config/check-config.js';
import type { OptionsSchema } from '../../src/plugins/manifest.js';

const DUMMY: OptionsSchema = { type: 'object', properties: { mode: { type: 'string', description: 'mode' } } };
const lookupDriver = (d: string) => (d === 'dummy-ups' ? DUMMY : ('unknown-driver' as const));
const CLI = fileURLToPath(new URL('../../dist/cli/check-config.js', import.meta.url));

const dirs: string[] = [];
function confDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-check-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o640 });
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const MON = 'MONITOR myups@localhost 1 admin x primary\nSHUTDOWNCMD "/sbin/shutdown -h +0"\n';
const BROKEN = {
  'nut.conf': 'MODE=standalone\n',
  'upsmon.conf': MON,
  'ups.conf': '[myups]\n\tdriver = dummy-ups\n\tport = x.dev\n\tprot = /dev/ttyS0\n\tpollinterval = 0\n[other]\n\tdriver = dumy-ups\n\tport = y.dev\n',
  'upsd.conf': 'LISTEN 127.0.0.1 3493\nMAXCONN 0\nmaxage 5\n',
  'upsd.users': '[admin]\n\tpassword = x\n\tupsmon primry\n',
};

describe('checkConfig', () => {
  it('reports every problem of every file at once, in file and line order', () => {
    const r = checkConfig(confDir(BROKEN), { lookupDriver, knownDrivers: ['dummy-ups'], cDriverPath: false, env: {} });
    expect(r.mode).toBe('standalone');
    expect(r.problems.map((p) => [p.file, p.line, p.severity, p.key])).toEqual([
      ['ups.conf', 4, 'error', 'prot'],
      ['ups.conf', 5, 'error', 'pollinterval'],
      ['ups.conf', 7, 'error', 'driver'],
      ['upsd.conf', 2, 'error', 'MAXCONN'],
      ['upsd.conf', 3, 'warning', 'maxage'],
      ['upsd.users', 3, 'warning', 'upsmon'],
    ]);
    expect(r.errors).toBe(4);
    expect(r.warnings).toBe(2);
    expect(r.upsConf?.sections.map((s) => s.name)).toEqual(['myups', 'other']);
  });

  it('requires ups.conf and upsd.conf for a server, nothing for a client', () => {
    const dir = confDir({ 'nut.conf': 'MODE=netserver\n' });
    const server = checkConfig(dir, { env: {} });
    expect(server.problems.map((p) => [p.file, p.severity])).toEqual([
      ['ups.conf', 'error'],
      ['upsd.conf', 'error'],
      ['upsd.users', 'warning'],
      ['upsmon.conf', 'warning'],
    ]);
    expect(checkConfig(dir, { env: {}, mode: 'netclient' }).problems.map((p) => [p.file, p.severity])).toEqual([['upsmon.conf', 'error']]);
    writeFileSync(join(dir, 'upsmon.conf'), MON, { mode: 0o640 });
    expect(checkConfig(dir, { env: {}, mode: 'netclient' }).problems).toEqual([]);
    expect(checkConfig(dir, { env: {}, mode: 'none' }).problems).toEqual([]);
  });

  it('honours ALLOW_NO_DEVICE from upsd.conf and from the environment', () => {
    const dir = confDir({ 'ups.conf': 'maxretry = 3\n', 'upsd.conf': 'ALLOW_NO_DEVICE yes\n', 'upsd.users': '', 'upsmon.conf': MON });
    expect(checkConfig(dir, { env: {} }).errors).toBe(0);
    expect(checkConfig(dir, { env: { ALLOW_NO_DEVICE: 'false' } }).errors).toBe(1);
    writeFileSync(join(dir, 'upsd.conf'), '');
    expect(checkConfig(dir, { env: {} }).errors).toBe(1);
    expect(checkConfig(dir, { env: { ALLOW_NO_DEVICE: 'Yes please' } }).errors).toBe(0);
  });

  it('warns when upsd.conf or upsd.users is world readable', () => {
    const dir = confDir({ 'ups.conf': '[x]\ndriver = dummy-ups\nport = p\n', 'upsd.conf': '', 'upsd.users': '', 'upsmon.conf': MON });
    chmodSync(join(dir, 'upsd.users'), 0o644);
    const r = checkConfig(dir, { lookupDriver, env: {} });
    expect(r.problems.map((p) => [p.file, p.severity, p.message.includes('world readable')])).toEqual([['upsd.users', 'warning', true]]);
  });

  it('includes upsmon.conf and upssched.conf through the monitor readers', () => {
    const dir = confDir({ ...BROKEN, 'upsmon.conf': MON + 'POLFREQ 5\n', 'upssched.conf': 'CMDSCRIPT /bin/true\nAT ONBATT * START-TIMR onbatt 30\n' });
    const r = checkConfig(dir, { lookupDriver, env: {} });
    const mon = r.problems.filter((p) => p.file === 'upsmon.conf' || p.file === 'upssched.conf');
    expect(mon.map((p) => [p.file, p.line])).toEqual([
      ['upsmon.conf', 3],
      ['upssched.conf', 2],
    ]);
    expect(mon[0]).toMatchObject({ key: 'POLFREQ', suggestion: 'POLLFREQ' });
    expect(mon[0].message.startsWith('upsmon.conf')).toBe(false);
    expect(r.upsmonConf?.monitors.map((m) => m.system)).toEqual(['myups@localhost']);
  });

  it('reports an unreadable file instead of throwing', () => {
    const dir = confDir({ 'upsd.conf': '' });
    mkdirSync(join(dir, 'ups.conf'));
    const r = checkConfig(dir, { env: {} });
    expect(r.problems.some((p) => p.file === 'ups.conf' && p.severity === 'error' && p.message.includes("Can't open"))).toBe(true);
  });
});

describe('check-config CLI', () => {
  it('main(): prints one line per problem and returns 1 on errors', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main([confDir(BROKEN)], {
      lookupDriver,
      knownDrivers: ['dummy-ups'],
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
    });
    expect(code).toBe(1);
    expect(out[0]).toBe("ups.conf:4: [myups] key 'prot' is not an option of driver dummy-ups; did you mean 'port'?");
    expect(out).toContain("upsd.conf:3: warning: invalid directive 'maxage': directive names are case-sensitive, upsd ignores this line; did you mean 'MAXAGE'?");
    expect(out.some((l) => l.startsWith("ups.conf:7: [other] driver 'dumy-ups' is not provided by any plugin") && l.endsWith("did you mean 'dummy-ups'?"))).toBe(true);
    expect(err.at(-1)).toMatch(/4 error\(s\), 2 warning\(s\)$/);
  });

  it('main(): --quiet shows errors only, --json is machine-readable, exit 0 with warnings only', async () => {
    const out: string[] = [];
    await main(['-q', confDir(BROKEN)], { lookupDriver, out: (l) => out.push(l), err: () => {}, env: {} });
    expect(out.every((l) => !l.includes('warning:'))).toBe(true);
    const json: string[] = [];
    const dir = confDir({ 'nut.conf': 'MODE=netclient\n', 'upsmon.conf': MON, 'upsd.users': '[a]\npassword = x\nupsmon primry\n' });
    const code = await main(['--json', dir], { out: (l) => json.push(l), err: () => {}, env: {} });
    expect(code).toBe(0);
    const parsed = JSON.parse(json.join('\n')) as { errors: number; warnings: number; problems: Array<{ line: number; suggestion?: string }> };
    expect(parsed.errors).toBe(0);
    expect(parsed.problems[0]).toMatchObject({ line: 3, suggestion: 'primary' });
  });

  it('main(): bad usage returns 2, --help returns 0', async () => {
    const quiet = { out: () => {}, err: () => {} };
    expect(await main(['--nope'], quiet)).toBe(2);
    expect(await main(['a', 'b'], quiet)).toBe(2);
    expect(await main(['--mode', 'bogus'], quiet)).toBe(2);
    expect(await main(['--help'], quiet)).toBe(0);
  });

  it('runs as a program: node core/dist/cli/check-config.js <dir> (NUT_CONFPATH default)', () => {
    const dir = confDir(BROKEN);
    const byArg = spawnSync(process.execPath, [CLI, dir], { encoding: 'utf8', env: { ...process.env, ALLOW_NO_DEVICE: '' } });
    expect(byArg.status).toBe(1);
    expect(byArg.stdout).toContain('ups.conf:5: [myups] value');
    const byEnv = spawnSync(process.execPath, [CLI], { encoding: 'utf8', env: { ...process.env, NUT_CONFPATH: dir } });
    expect(byEnv.status).toBe(1);
    expect(byEnv.stderr).toContain(`${dir}: `);
    // without a lookup, the program asks the installed plugins (dummy-ups declares `mode`)
    const typo = confDir({ ...BROKEN, 'ups.conf': '[myups]\ndriver = dummy-ups\nport = x.dev\nmdoe = dummy-loop\n' });
    const viaRegistry = spawnSync(process.execPath, [CLI, typo], { encoding: 'utf8' });
    expect(viaRegistry.stdout).toContain("ups.conf:4: [myups] key 'mdoe' is not an option of driver dummy-ups; did you mean 'mode'?");
    const clean = confDir({ 'nut.conf': 'MODE=none\n' });
    expect(spawnSync(process.execPath, [CLI, clean], { encoding: 'utf8' }).status).toBe(0);
  });
});
