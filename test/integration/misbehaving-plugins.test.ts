/**
 * The same misbehaving plugins as core/test/host/supervision.test.ts, this time in the real
 * driver runtime (core/dist/driver/worker-main.js) inside one host with a healthy instance.
 */
import { until } from '../helpers/wait.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../core/src/host/host.js';
import { makeSandbox, type Sandbox } from '../helpers/oracle.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');


describe('misbehaving plugins in the real driver runtime', () => {
  let sb: Sandbox;
  let host: Host;
  const names = ['good', 'throws', 'hangs', 'exits', 'oom'];

  beforeAll(async () => {
    sb = makeSandbox('nut-ts-misbehave-');
    sb.write('ups.conf', ['pollinterval = 1', 'retrydelay = 1', ...names.map((n) => `[${n}]\n driver = test-${n}\n port = none`), ''].join('\n'));
    host = new Host({
      paths: { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' },
      settings: {
        pluginPaths: [testPlugins],
        watchdogMs: 8000,
        resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
        restart: { maxDelayMs: 2000 },
      },
      pluginSearch: { builtin: false, nodeModules: false },
      log: () => {},
    });
    for (const n of names) {
      const r = await host.startInstance(n, { maxstartdelayMs: 30_000 });
      expect(r, n).toEqual({ ok: true, messages: [] });
    }
  }, 120_000);

  afterAll(async () => {
    await host?.close();
    sb?.cleanup();
  });

  it.each([
    ['throws', /test plugin throws on purpose/],
    ['hangs', /watchdog: updateinfo did not return within 8000 ms/],
    ['exits', /exited with code 3/],
    ['oom', /out of memory/],
  ])('%s is restarted and the reason recorded', async (name, reason) => {
    const inst = host.instance(name)!;
    await until(`${name} restarted`, () => inst.restarts >= 1 && inst.lastError !== undefined, 90_000);
    expect(inst.lastError).toMatch(reason);
  }, 120_000);

  it('the healthy instance kept publishing, never restarted', async () => {
    const good = host.instance('good')!;
    const before = Number(good.tree.getValue('test.counter'));
    await until('counter moves', () => Number(good.tree.getValue('test.counter')) >= before + 2, 30_000);
    expect(good.restarts).toBe(0);
    expect(good.state).toBe('running');
    expect(good.tree.getValue('driver.name')).toBe('test-good');
  }, 60_000);
});
