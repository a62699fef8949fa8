/**
 * upsd and upsdrvctl in either order end in the same running system (one background host),
 * read by NUT's upsc; stopping both leaves nothing running.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { runCli, stopHostIfAny, waitGone } from '../integration/cli.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');

describe('upsd + upsdrvctl in either order', () => {
  let sb: Sandbox;
  let port: number;
  const ctl = () => join(sb.statePath, 'nut-ts.ctl');
  const upsc = (v: string) =>
    promisify(execFile)('upsc', [`a@127.0.0.1:${port}`, v], { encoding: 'utf8' }).then(
      (r) => r.stdout.trim(),
      (e: { stderr?: string }) => `ERR ${String(e.stderr ?? '').trim().split('\n').pop()}`,
    );
  const cli = (tool: string, ...args: string[]) => runCli(tool, args, { env: sb.env, cwd: sb.dir });

  beforeAll(async () => {
    requireOracle('/usr/bin/upsc');
    sb = makeSandbox('nut-ts-system-');
    port = await freePort();
    writeFileSync(join(sb.dir, '.nut-tsrc.json'), JSON.stringify({ pluginPaths: [testPlugins] }));
    sb.write('ups.conf', 'pollinterval = 1\n[a]\n driver = test-good\n port = none\n');
    sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
    sb.write('upsd.users', '');
  });

  afterAll(async () => {
    await stopHostIfAny(sb);
    sb.cleanup();
  });

  it('upsd first, then upsdrvctl start', async () => {
    const u = await cli('upsd');
    expect(u.status, u.stderr).toBe(0);
    expect(await upsc('ups.mfr')).toBe('ERR Error: Driver not connected');
    const d = await cli('upsdrvctl', 'start');
    expect(d.status, d.stderr).toBe(0);
    expect(await upsc('ups.mfr')).toBe('nut-ts tests');
  });

  it('upsd -c stop, then upsdrvctl stop: the host is gone', async () => {
    const s = await cli('upsd', '-c', 'stop');
    expect(s.status, s.stdout + s.stderr).toBe(0);
    expect(await upsc('ups.mfr')).toMatch(/^ERR .*Connection refused/);
    expect((await cli('upsdrvctl', 'stop')).status).toBe(0);
    expect(await waitGone(ctl())).toBe(true);
  });

  it('upsdrvctl start first, then upsd; nut stop ends both', async () => {
    expect((await cli('upsdrvctl', 'start')).status).toBe(0);
    expect((await cli('upsd')).status).toBe(0);
    expect(await upsc('ups.mfr')).toBe('nut-ts tests');
    const st = await cli('upsdrvctl', 'status');
    expect(st.stdout).toContain(`upsd listening on 127.0.0.1:${port}`);
    expect((await cli('nut', 'stop')).status).toBe(0);
    expect(await waitGone(ctl())).toBe(true);
    expect(await upsc('ups.mfr')).toMatch(/^ERR .*Connection refused/);
  });
});
