/**
 * Instances of one plugin sharing a worker (workersPerInstance 'plugin'), in the real driver
 * runtime (core/dist/driver/worker-main.js): a pool-mate that throws is restarted alone; one
 * that blocks the worker is named as the cause while its pool-mates restart cleanly; a slow
 * call makes data stale without a restart (the worker still beats); requestUpdate publishes
 * before the next poll, seen by a client over loopback. The event case also runs isolated.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from '../../core/src/client/client.js';
import { Host } from '../../core/src/host/host.js';
import type { HostSettingsInput } from '../../core/src/host/settings.js';
import { freePort, makeSandbox, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');

function section(name: string, behaviour: string, extra = ''): string {
  return `[${name}]\n driver = test-pooled\n port = none\n behaviour = ${behaviour}\n${extra}`;
}

async function startHost(conf: string[], settings: HostSettingsInput, names: string[]) {
  const sb = makeSandbox('nut-ts-pooled-');
  sb.write('ups.conf', ['pollinterval = 1', 'retrydelay = 1', ...conf, ''].join('\n'));
  const logs: string[] = [];
  const host = new Host({
    paths: { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' },
    settings: { pluginPaths: [testPlugins], restart: { initialDelayMs: 200, maxDelayMs: 1000 }, ...settings },
    pluginSearch: { builtin: false, nodeModules: false },
    driverSockets: false,
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  const results = await host.startMany(names.map((ups) => ({ ups, maxstartdelayMs: 30_000 })));
  for (const [i, r] of results.entries()) expect(r.ok, `${names[i]}: ${r.messages.join(' | ')}`).toBe(true);
  return { sb, host, logs };
}

const pooled: HostSettingsInput = { workersPerInstance: 'plugin', instancesPerWorker: 8, watchdogMs: 3000 };

describe('pooled: a pool-mate that throws is restarted alone', () => {
  let ctx: Awaited<ReturnType<typeof startHost>>;
  const names = ['a', 'b', 'bad'];
  beforeAll(async () => {
    ctx = await startHost([section('a', 'good'), section('b', 'good'), section('bad', 'throws', ' after = 3\n')], pooled, names);
  }, 60_000);
  afterAll(async () => {
    await ctx?.host.close();
    ctx?.sb.cleanup();
  });

  it('all three share one worker', () => {
    const workers = ctx.host.pool.workers();
    expect(workers).toHaveLength(1);
    expect(workers[0].instances.sort()).toEqual(names);
  });

  it('the one that throws is restarted with its own reason; the others never stop publishing', async () => {
    const bad = ctx.host.instance('bad')!;
    const a = ctx.host.instance('a')!;
    const before = Number(a.tree.getValue('test.counter'));
    await until('bad restarted', () => bad.restarts >= 1 && bad.lastError !== undefined, 30_000);
    expect(bad.lastError).toMatch(/test plugin throws on purpose \(bad\)/);
    await until('a keeps counting', () => Number(a.tree.getValue('test.counter')) >= before + 2, 20_000);
    for (const n of ['a', 'b']) {
      const inst = ctx.host.instance(n)!;
      expect([n, inst.state, inst.restarts, inst.tree.stale]).toEqual([n, 'running', 0, false]);
    }
    // each instance has its own state (factory per instance)
    expect(ctx.host.instance('b')!.tree.getValue('test.instance')).toBe('b');
  }, 60_000);
});

describe('pooled: a pool-mate that blocks the worker', () => {
  let ctx: Awaited<ReturnType<typeof startHost>>;
  beforeAll(async () => {
    ctx = await startHost([section('a', 'good'), section('b', 'good'), section('stuck', 'hangs', ' after = 3\n')], pooled, ['a', 'b', 'stuck']);
  }, 60_000);
  afterAll(async () => {
    await ctx?.host.close();
    ctx?.sb.cleanup();
  });

  it('is named as the cause; the worker is terminated and every instance comes back', async () => {
    const stuck = ctx.host.instance('stuck')!;
    await until('stuck restarted', () => stuck.restarts >= 1 && stuck.lastError !== undefined, 40_000);
    expect(stuck.lastError).toMatch(/^watchdog: updateinfo did not return within 3000 ms .*the worker is blocked/);
    for (const n of ['a', 'b']) {
      const inst = ctx.host.instance(n)!;
      await until(`${n} restarted`, () => inst.restarts >= 1 && inst.lastError !== undefined, 20_000);
      expect(inst.lastError).toMatch(/ended because of \[stuck\]/);
      await until(`${n} running again`, () => inst.state === 'running' && !inst.tree.stale, 20_000);
    }
    expect(ctx.logs.some((l) => /terminated: \[stuck\] watchdog: updateinfo/.test(l))).toBe(true);
    const st = ctx.host.status().instances.find((i) => i.name === 'stuck')!;
    expect(st.lastError).toMatch(/watchdog: updateinfo/);
  }, 90_000);
});

describe('pooled: a slow call (the worker still beats) makes data stale, nothing is restarted', () => {
  let ctx: Awaited<ReturnType<typeof startHost>>;
  beforeAll(async () => {
    ctx = await startHost([section('a', 'good'), section('slow', 'slow', ' after = 3\n slowms = 6000\n')], pooled, ['a', 'slow']);
  }, 60_000);
  afterAll(async () => {
    await ctx?.host.close();
    ctx?.sb.cleanup();
  });

  it('goes stale past the watchdog budget, then recovers by itself; its pool-mate is untouched', async () => {
    const slow = ctx.host.instance('slow')!;
    const a = ctx.host.instance('a')!;
    await until('slow goes stale', () => slow.tree.stale, 20_000);
    expect(slow.state).toBe('running');
    expect(ctx.logs.some((l) => /\[slow\] updateinfo has not returned after \d+ ms/.test(l))).toBe(true);
    const counted = Number(a.tree.getValue('test.counter'));
    await until('a keeps counting meanwhile', () => Number(a.tree.getValue('test.counter')) >= counted + 2, 10_000);
    await until('slow fresh again', () => !slow.tree.stale && Number(slow.tree.getValue('test.counter')) >= 3, 20_000);
    expect(slow.restarts).toBe(0);
    expect(a.restarts).toBe(0);
  }, 60_000);
});

describe.each([
  ['pooled', pooled],
  ['isolated', { workersPerInstance: 'instance' } as HostSettingsInput],
])('%s: ctx.requestUpdate publishes before the next poll', (_label, settings) => {
  let ctx: Awaited<ReturnType<typeof startHost>>;
  let port: number;
  beforeAll(async () => {
    ctx = await startHost([section('ev', 'events', ' pollinterval = 60\n'), section('other', 'good')], settings, ['ev', 'other']);
    port = await freePort();
    ctx.sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
    ctx.sb.write('upsd.users', '');
    const upsd = await ctx.host.upsd.start();
    expect(upsd.ok, upsd.messages.join(" | ")).toBe(true);
  }, 60_000);
  afterAll(async () => {
    await ctx?.host.close();
    ctx?.sb.cleanup();
  });

  it('a device event between polls reaches a client at once', async () => {
    const client = new NutClient({ host: '127.0.0.1', port });
    await client.connect();
    try {
      expect(await client.getVar('ev', 'ups.status')).toBe('OL');
      const ev = ctx.host.instance('ev')!;
      // the run's first two updates (startup, then the main loop's first) come back to back;
      // the next poll is a minute after the second
      await until('the main loop\'s first update', () => Number(ev.tree.getValue('test.counter')) >= 2);
      const updatesBefore = Number(ev.tree.getValue('test.counter'));
      expect(ev.instcmd('test.event', undefined, undefined)).toBe(true);
      // the next poll is a minute away: only requestUpdate can publish within this bound
      let seen = '';
      const t0 = Date.now();
      while (seen !== 'OB' && Date.now() - t0 < 10_000) {
        seen = await client.getVar('ev', 'ups.status');
        if (seen !== 'OB') await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen).toBe('OB');
      expect(Number(ev.tree.getValue('test.counter'))).toBe(updatesBefore + 1);
    } finally {
      client.close();
    }
  }, 30_000);
});
