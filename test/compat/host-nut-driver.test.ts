import { until } from '../helpers/wait.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../core/src/host/host.js';
import { freePort, makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';

const seq = join(import.meta.dirname, '..', 'fixtures', 'nut-data', 'evolution500.seq');


describe('a section with no plugin runs NUT C driver under the host', () => {
  let sb: Sandbox;
  let host: Host;
  let port: number;

  beforeAll(async () => {
    requireOracle();
    sb = makeSandbox('nut-ts-cdriver-');
    sb.copy(seq);
    sb.write('ups.conf', 'retrydelay = 1\n[nutx]\n driver = dummy-ups\n port = evolution500.seq\n desc = "NUT C driver"\n');
    host = new Host({
      paths: { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' },
      pluginSearch: { builtin: false, nodeModules: false },
      settings: { restart: { maxDelayMs: 2000 } },
      log: () => {},
    });
    port = await freePort();
  }, 60_000);

  afterAll(async () => {
    await host?.close();
    sb?.cleanup();
  });

  it('starts the driver and reads its state through the driver socket', async () => {
    const r = await host.startInstance('nutx', { user: 'root', maxstartdelayMs: 30_000 });
    expect(r).toEqual({ ok: true, messages: [] });
    const inst = host.instance('nutx')!;
    expect(inst.status().provider).toBe('nut /lib/nut/dummy-ups');
    expect(inst.connected).toBe(true);
    expect(inst.tree.getValue('ups.mfr')).toBe('MGE UPS SYSTEMS');
    expect(inst.tree.getValue('driver.name')).toBe('dummy-ups');
  }, 60_000);

  it('serves it with upsd, readable by NUT upsc', async () => {
    const r = await host.upsd.start({ listen: [{ host: '127.0.0.1', port }], noConfigFiles: true });
    expect(r.ok, r.messages.join('\n')).toBe(true);
    // upsd runs in this process: the client must not block the event loop
    const { stdout } = await promisify(execFile)('upsc', [`nutx@127.0.0.1:${port}`, 'ups.model'], { encoding: 'utf8' });
    expect(stdout.trim()).toBe('Pulsar Evolution 500');
  });

  it('restarts the driver when it dies', async () => {
    const inst = host.instance('nutx')!;
    const pid = inst.status().runId!;
    process.kill(pid, 'SIGKILL');
    await until('restart', () => inst.restarts === 1 && inst.state === 'running', 60_000);
    expect(inst.lastError).toBe('driver killed by SIGKILL');
    expect(inst.status().runId).not.toBe(pid);
    await until('data again', () => inst.connected && inst.tree.getValue('ups.mfr') === 'MGE UPS SYSTEMS', 30_000);
  }, 90_000);

  it('stops it', async () => {
    const inst = host.instance('nutx')!;
    const pid = inst.status().runId!;
    await host.stopInstance('nutx');
    expect(inst.state).toBe('stopped');
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
