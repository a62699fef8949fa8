/**
 * NUT's upsd, clients and our standalone dummy-ups, against the same setup with NUT's own
 * dummy-ups: SET (upsrw -w) and INSTCMD (upscmd -w) go through upsd to the driver and the
 * answers and resulting values are the same.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, startNutDriver, startNutUpsd, stopChild, type Sandbox } from '../helpers/oracle.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');
const children: ChildProcess[] = [];
const setups: Array<{ sb: Sandbox; port: number }> = [];

function client(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'latin1', timeout: 60_000 });
  return (r.stdout + r.stderr).replace(/^Init SSL.*\n/gm, '');
}

const upsc = (port: number, v?: string) => client('upsc', [`dev@127.0.0.1:${port}`, ...(v ? [v] : [])]);

describe('NUT upsd + clients over our dummy-ups = over NUT dummy-ups', () => {
  requireOracle();
  beforeAll(async () => {
    for (const who of ['nut', 'ours']) {
      const sb = makeSandbox(`nut-ts-upsd-${who}-`);
      const port = await freePort();
      sb.write('test.dev', 'ups.mfr: ACME\nups.id: first\nbattery.charge: 80\nzeta.var: z\nups.status: OL\n');
      sb.write('ups.conf', '[dev]\n\tdriver = dummy-ups\n\tport = test.dev\n');
      sb.write('upsd.users', '[admin]\n\tpassword = secret\n\tactions = SET\n\tinstcmds = ALL\n');
      children.push(who === 'nut' ? startNutDriver(sb, 'dummy-ups', 'dev') : spawn(process.execPath, [CLI, 'dummy-ups', '-a', 'dev'], { env: sb.env, stdio: 'ignore' }));
      const deadline = Date.now() + 90_000;
      while (!existsSync(join(sb.statePath, 'dummy-ups-dev'))) {
        if (Date.now() > deadline) throw new Error(`${who}: driver socket did not appear`);
        await new Promise((r) => setTimeout(r, 100));
      }
      children.push(await startNutUpsd(sb, port));
      setups.push({ sb, port });
    }
    for (const { port } of setups) {
      const deadline = Date.now() + 30_000;
      while (!/^OL$/m.test(upsc(port, 'ups.status')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    }
  }, 180_000);
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    for (const { sb } of setups) sb.cleanup();
  });

  const both = <T>(f: (port: number) => T): [T, T] => [f(setups[0].port), f(setups[1].port)];
  const auth = ['-u', 'admin', '-p', 'secret'];

  it('upsrw -w: a string, a number, ups.status; upsc shows the new values', () => {
    for (const [name, value] of [
      ['ups.id', 'second id'],
      ['battery.charge', '42'],
      ['ups.status', 'OB LB'],
    ]) {
      const [nut, ours] = both((p) => client('upsrw', ['-s', `${name}=${value}`, ...auth, '-w', `dev@127.0.0.1:${p}`]));
      expect(ours).toBe(nut);
      expect(nut).toMatch(/OK|SUCCESS/);
    }
    const [a, b] = both((p) => upsc(p).split('\n').filter((l) => !l.startsWith('driver.version')));
    expect(b).toEqual(a);
    expect(a).toContain('ups.id: second id');
    expect(a).toContain('ups.status: OB LB');
  });

  it('upsrw with an empty value deletes the variable; upsd refuses a value longer than aux', () => {
    const [nut, ours] = both((p) => client('upsrw', ['-s', 'zeta.var=', ...auth, '-w', `dev@127.0.0.1:${p}`]));
    expect(ours).toBe(nut);
    const [a, b] = both((p) => upsc(p, 'zeta.var'));
    expect(b).toBe(a);
    const [l1, l2] = both((p) => client('upsrw', ['-s', 'ups.id=12345678901234567', ...auth, '-w', `dev@127.0.0.1:${p}`]));
    expect(l2).toBe(l1);
  });

  it('upscmd -w load.off: the driver answers UNKNOWN, as NUT does', () => {
    const [nut, ours] = both((p) => client('upscmd', [...auth, '-w', `dev@127.0.0.1:${p}`, 'load.off']));
    expect(ours).toBe(nut);
    const [l1, l2] = both((p) => client('upscmd', ['-l', `dev@127.0.0.1:${p}`]));
    expect(l2).toBe(l1);
  });

  it('upsrw listing (types, aux) is the same', () => {
    const [a, b] = both((p) => client('upsrw', [`dev@127.0.0.1:${p}`]));
    expect(b).toBe(a);
    expect(a).toContain('Type: STRING');
  });
});
