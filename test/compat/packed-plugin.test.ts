/**
 * A vendor plugin as users get it: `npm pack` of examples/nut-ts-driver-example, installed
 * from the tarball into a fresh project (offline), then `upsdrvctl start` run in that project
 * finds it in node_modules and runs it; NUT's upsc reads it through our upsd.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureHost } from '../../core/src/host/control-client.js';
import { freePort, makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { runCli, stopHostIfAny, waitGone } from '../integration/cli.js';

const example = join(import.meta.dirname, '..', '..', 'examples', 'nut-ts-driver-example');

describe('a packed vendor plugin installed from its tarball', () => {
  let sb: Sandbox;
  let project: string;

  beforeAll(() => {
    requireOracle('/usr/bin/upsc');
    sb = makeSandbox('nut-ts-packed-');
    project = join(sb.dir, 'project');
    mkdirSync(project);
    const packDir = join(sb.dir, 'pack');
    mkdirSync(packDir);
    execFileSync('npm', ['pack', example, '--pack-destination', packDir, '--silent'], { encoding: 'utf8' });
    const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBe('nut-ts-driver-example-0.1.0.tgz');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-nut-setup', private: true, version: '1.0.0' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', join(packDir, tarball!)], { cwd: project, encoding: 'utf8' });
    sb.write('ups.conf', '[sim]\n driver = example-ups\n port = none\n model = "Packed 900"\n');
  }, 120_000);

  afterAll(async () => {
    await stopHostIfAny(sb);
    sb.cleanup();
  });

  it('upsdrvctl start in the project finds and runs it', async () => {
    const r = await runCli('upsdrvctl', ['start'], { env: sb.env, cwd: project });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const st = await runCli('upsdrvctl', ['status'], { env: sb.env, cwd: project });
    expect(st.stdout).toMatch(/^sim\s+example-ups\s+running\s+ok/m);
  });

  it('its data reaches NUT clients through upsd', async () => {
    const port = await freePort();
    const client = await ensureHost({ env: sb.env, cwd: project });
    try {
      sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
      sb.write('upsd.users', '');
      const up = await client.request({ cmd: 'upsd-start' });
      expect(up.ok, up.messages.join('\n')).toBe(true);
    } finally {
      client.close();
    }
    const upsc = (v: string) => promisify(execFile)('upsc', [`sim@127.0.0.1:${port}`, v], { encoding: 'utf8' }).then((x) => x.stdout.trim());
    expect(await upsc('ups.model')).toBe('Packed 900');
    expect(await upsc('driver.parameter.model')).toBe('Packed 900');
    expect(await upsc('ups.status')).toMatch(/^OL/);
  });

  it('upsdrvctl stop stops it', async () => {
    const r = await runCli('upsdrvctl', ['stop'], { env: sb.env, cwd: project });
    expect(r.status).toBe(0);
    const client = await ensureHost({ env: sb.env, cwd: project });
    const st = await client.request({ cmd: 'status' });
    expect(st.status!.instances[0].state).toBe('stopped');
    await client.request({ cmd: 'host-stop' });
    client.close();
    expect(await waitGone(join(sb.statePath, 'nut-ts.ctl'))).toBe(true);
  });
});
