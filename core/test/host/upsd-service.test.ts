import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Host } from '../../src/host/host.js';
import { freePort } from '../../../test/helpers/oracle.js';

const fixtures = join(import.meta.dirname, 'fixtures');

async function makeHost(files: Record<string, string>, settings: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-upsd-svc-'));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  mkdirSync(confPath);
  mkdirSync(statePath);
  const port = await freePort();
  const all: Record<string, string> = {
    'ups.conf': '[alpha]\n driver = test-good\n port = none\n',
    'upsd.conf': `LISTEN 127.0.0.1 ${port}\n`,
    ...files,
  };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(confPath, name), text, { mode: 0o640 });
  const host = new Host({
    paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' },
    settings: { pluginPaths: [join(fixtures, 'plugins')], ...settings },
    pluginSearch: { builtin: false, nodeModules: false },
    workerPath: join(fixtures, 'stub-worker.mjs'),
  });
  host.loadConfig();
  return { host, dir, confPath, port };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe("the host's upsd", () => {
  it('refuses to start without upsd.users, with the message NUT 2.8.0 prints', async () => {
    const { host, dir, confPath } = await makeHost({});
    cleanup.push(async () => {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const result = await host.upsd.start();
    expect(result.ok).toBe(false);
    // NUT 2.8.0's upsd exits 1 after "stat <confpath>/upsd.users: No such file or directory"
    expect(result.messages).toContain(`stat ${join(confPath, 'upsd.users')}: No such file or directory`);
  });

  it('drops a silent client after the configured clientIdleTimeoutMs', async () => {
    const { host, dir, port } = await makeHost({ 'upsd.users': '' }, { clientIdleTimeoutMs: 1000 });
    cleanup.push(async () => {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    });
    expect((await host.upsd.start()).ok).toBe(true);
    const socket = connect(port, '127.0.0.1');
    const closed = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 20_000).unref();
    });
    socket.destroy();
    expect(closed).toBe(true);
  });

  it('warns about a world-readable upsd.conf and upsd.users, as NUT does', async () => {
    const { host, dir, confPath } = await makeHost({ 'upsd.users': '' });
    cleanup.push(async () => {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    });
    chmodSync(join(confPath, 'upsd.conf'), 0o644);
    chmodSync(join(confPath, 'upsd.users'), 0o604);
    const result = await host.upsd.start();
    expect(result.ok).toBe(true);
    expect(result.messages).toContain(`${join(confPath, 'upsd.conf')} is world readable`);
    expect(result.messages).toContain(`${join(confPath, 'upsd.users')} is world readable`);
  });

  it('no UPS: refused, unless ALLOW_NO_DEVICE from the starting command (over upsd.conf)', async () => {
    const { host, dir, confPath } = await makeHost({ 'upsd.users': '', 'ups.conf': 'maxretry = 3\n' });
    cleanup.push(async () => {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const refused = await host.upsd.start({ allowNoDevice: 'no' });
    expect(refused.ok).toBe(false);
    expect(refused.messages).toContain('Fatal error: at least one UPS must be defined in ups.conf');
    writeFileSync(join(confPath, 'upsd.conf'), `${readFileSync(join(confPath, 'upsd.conf'), 'utf8')}ALLOW_NO_DEVICE yes\n`);
    expect((await host.upsd.start({ allowNoDevice: 'off' })).ok).toBe(false);
    const allowed = await host.upsd.start({ allowNoDevice: 'TRUE' });
    expect(allowed.ok).toBe(true);
    expect(allowed.messages).toContain('Warning: no UPS definitions in ups.conf');
  });

  it("serves a DATAPATH's cmdvartab as NUT's upsd does, its own texts without one", async () => {
    const { host, dir, confPath, port } = await makeHost({ 'upsd.users': '' });
    cleanup.push(async () => {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'cmdvartab'), 'VARDESC ups.status "Status as a vendor wrote it"\nCMDDESC load.off "Off, vendor words"\n');
    writeFileSync(join(confPath, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\nDATAPATH ${data}\n`);
    expect((await host.upsd.start()).ok).toBe(true);
    expect(host.upsd.descriptionSource).toBe(join(data, 'cmdvartab'));
    await host.upsd.stop();
    writeFileSync(join(confPath, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\nDATAPATH ${confPath}\n`);
    expect((await host.upsd.start()).ok).toBe(true);
    expect(host.upsd.descriptionSource).toBe('built-in');
  });
});
