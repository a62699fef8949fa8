/**
 * Interoperation the other way round: instances of the nut-ts host appear on NUT driver
 * sockets, so NUT 2.8.0's own upsd serves them to NUT's upsc and passes commands back.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../core/src/host/host.js';
import { freePort, makeSandbox, requireOracle, startNutUpsd, stopChild, type Sandbox } from '../helpers/oracle.js';
import type { ChildProcess } from 'node:child_process';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');
const run = promisify(execFile);

describe("NUT's upsd serves a nut-ts host instance through its driver socket", () => {
  let sb: Sandbox;
  let host: Host;
  let upsd: ChildProcess;
  let port: number;

  beforeAll(async () => {
    requireOracle();
    sb = makeSandbox('nut-ts-nutupsd-');
    port = await freePort();
    sb.write('ups.conf', 'pollinterval = 1\n[box]\n driver = test-good\n port = none\n desc = "served by NUT"\n');
    sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
    sb.write('upsd.users', '[admin]\n password = secret\n instcmds = all\n');
    host = new Host({
      paths: { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' },
      settings: { pluginPaths: [testPlugins] },
      pluginSearch: { builtin: false, nodeModules: false },
      log: () => {},
    });
    expect(await host.startInstance('box', { maxstartdelayMs: 30_000 })).toEqual({ ok: true, messages: [] });
    const sock = join(sb.statePath, 'test-good-box');
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(sock)).toBe(true);
    upsd = await startNutUpsd(sb, port);
  }, 60_000);

  afterAll(async () => {
    await stopChild(upsd);
    await host?.close();
    sb?.cleanup();
  });

  const upsc = async (v: string) => (await run('upsc', [`box@127.0.0.1:${port}`, v], { encoding: 'utf8' })).stdout.trim();

  it('upsc reads the instance through NUT upsd', async () => {
    let mfr = '';
    for (let i = 0; i < 50 && mfr !== 'nut-ts tests'; i++) {
      mfr = await upsc('ups.mfr').catch(() => '');
      if (mfr !== 'nut-ts tests') await new Promise((r) => setTimeout(r, 200));
    }
    expect(mfr).toBe('nut-ts tests');
    expect(await upsc('driver.name')).toBe('test-good');
    expect(Number(await upsc('test.counter'))).toBeGreaterThan(0);
  });

  it('upscmd through NUT upsd reaches the plugin and its answer comes back', async () => {
    const ok = await run('upscmd', ['-u', 'admin', '-p', 'secret', '-w', `box@127.0.0.1:${port}`, 'test.battery.start'], { encoding: 'utf8' });
    expect(`${ok.stdout}${ok.stderr}`.trim()).toBe('SUCCESS');
  });

  it('a stopped instance takes its socket away', async () => {
    await host.stopInstance('box');
    expect(existsSync(join(sb.statePath, 'test-good-box'))).toBe(false);
  });
});
