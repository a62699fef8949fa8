import { until } from '../../../test/helpers/wait.js';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../src/host/host.js';
import { crashDelayMs, DEFAULT_RESTART, MIN_DELAY_MS } from '../../src/host/restart-policy.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const stubWorker = join(fixtures, 'stub-worker.mjs');


function sandbox(upsConf: string) {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-host-'));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  mkdirSync(confPath);
  mkdirSync(statePath);
  writeFileSync(join(confPath, 'ups.conf'), upsConf);
  return { dir, paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' } };
}

function makeHost(paths: ReturnType<typeof sandbox>['paths'], logs: string[]) {
  return new Host({
    paths,
    settings: {
      pluginPaths: [join(fixtures, 'plugins')],
      watchdogMs: 8000,
      resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 },
      restart: { maxDelayMs: 2000 },
    },
    pluginSearch: { builtin: false, nodeModules: false },
    workerPath: stubWorker,
    log: (level, m) => logs.push(`${level} ${m}`),
  });
}

describe('restart policy', () => {
  it('backs off exponentially from initialDelayMs up to the cap', () => {
    const p = { ...DEFAULT_RESTART, initialDelayMs: 5000, factor: 2, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => crashDelayMs(p, n))).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000]);
  });
  it('never spins with a zero delay', () => {
    expect(crashDelayMs({ ...DEFAULT_RESTART, initialDelayMs: 0 }, 1)).toBe(MIN_DELAY_MS);
    expect(crashDelayMs({ ...DEFAULT_RESTART, initialDelayMs: 0, factor: 1 }, 5)).toBe(MIN_DELAY_MS);
  });
  it('factor 1 keeps the delay constant', () => {
    expect(crashDelayMs({ ...DEFAULT_RESTART, initialDelayMs: 700, factor: 1 }, 9)).toBe(700);
  });
});

describe('a plugin that misbehaves is restarted while the others keep publishing', () => {
  const sb = sandbox(
    [
      'pollinterval = 1',
      'retrydelay = 1',
      '[good]\n driver = test-good\n port = none\n desc = "keeps working"',
      '[throws]\n driver = test-throws\n port = none',
      '[hangs]\n driver = test-hangs\n port = none',
      '[exits]\n driver = test-exits\n port = none',
      '[oom]\n driver = test-oom\n port = none',
      '',
    ].join('\n'),
  );
  const logs: string[] = [];
  const host = makeHost(sb.paths, logs);
  const downSeen = new Map<string, { connected: boolean; stale: boolean }>();

  beforeAll(async () => {
    expect(host.loadConfig().messages).toEqual([]);
    host.onInstanceState((inst, s) => {
      if (s === 'restarting' && !downSeen.has(inst.name)) downSeen.set(inst.name, { connected: inst.connected, stale: inst.tree.stale });
    });
    for (const name of ['good', 'throws', 'hangs', 'exits', 'oom']) {
      const r = await host.startInstance(name, { maxstartdelayMs: 30_000 });
      expect(r, name).toEqual({ ok: true, messages: [] });
    }
  }, 60_000);

  afterAll(async () => {
    await host.close();
    rmSync(sb.dir, { recursive: true, force: true });
  });

  const cases: Array<[string, RegExp]> = [
    ['throws', /test plugin throws on purpose/],
    ['hangs', /watchdog: updateinfo did not return within 8000 ms/],
    ['exits', /worker exited with code 3/],
    ['oom', /out of memory/],
  ];

  it.each(cases)('%s is restarted with the reason recorded, its data stale meanwhile', async (name, reason) => {
    const inst = host.instance(name)!;
    await until(`${name} restarted`, () => inst.restarts >= 1 && inst.lastError !== undefined);
    expect(inst.lastError).toMatch(reason);
    expect(downSeen.get(name)).toEqual({ connected: false, stale: true });
    // it comes back: a fresh run reaches ready again
    await until(`${name} running again`, () => inst.state === 'running' || inst.restarts >= 2);
  }, 90_000);

  it('the good instance kept running and publishing the whole time', async () => {
    const good = host.instance('good')!;
    const before = Number(good.tree.getValue('test.counter'));
    await until('good counter to move', () => Number(good.tree.getValue('test.counter')) >= before + 2, 20_000);
    expect(good.state).toBe('running');
    expect(good.restarts).toBe(0);
    expect(good.connected).toBe(true);
    expect(good.tree.stale).toBe(false);
    expect(good.tree.getValue('ups.mfr')).toBe('nut-ts tests');
  }, 30_000);

  it('status reports state, uptime, restarts and last error per instance', () => {
    const st = host.status();
    expect(st.instances.map((i) => i.name)).toEqual(['good', 'throws', 'hangs', 'exits', 'oom']);
    const good = st.instances[0];
    expect(good).toMatchObject({ driver: 'test-good', state: 'running', restarts: 0, connected: true, stale: false });
    expect(good.provider).toBe('plugin nut-ts-test-good@1.0.0');
    expect(typeof good.uptimeSec).toBe('number');
    for (const i of st.instances.slice(1)) expect(i.restarts).toBeGreaterThanOrEqual(1);
  });

  it('commands reach the running plugin and come back with the tracking status', async () => {
    const good = host.instance('good')!;
    const results: Array<[string, number]> = [];
    const off = good.onCommandResult((id, status) => results.push([id, status]));
    expect(good.instcmd('test.battery.start', undefined, 'id-1')).toBe(true);
    expect(good.instcmd('no.such.command', undefined, 'id-2')).toBe(true);
    await until('tracking results', () => results.length === 2, 10_000);
    off();
    expect(results).toEqual([
      ['id-1', 0],
      ['id-2', 1],
    ]);
  });

  it('stop ends the instance cleanly and marks it stale', async () => {
    const good = host.instance('good')!;
    await good.stop();
    expect(good.state).toBe('stopped');
    expect(good.connected).toBe(false);
    expect(good.tree.stale).toBe(true);
    expect(good.lastError).toBeUndefined();
  });
});

describe('restart limits', () => {
  it('gives up after maxRestarts consecutive crashes and says so', async () => {
    const sb = sandbox('pollinterval = 1\n[t]\n driver = test-throws\n port = none\n');
    const logs: string[] = [];
    const host = new Host({
      paths: sb.paths,
      settings: { pluginPaths: [join(fixtures, 'plugins')], restart: { initialDelayMs: 200, maxRestarts: 2 } },
      pluginSearch: { builtin: false, nodeModules: false },
      workerPath: stubWorker,
      log: (level, m) => logs.push(`${level} ${m}`),
    });
    try {
      expect((await host.startInstance('t', { maxstartdelayMs: 20_000 })).ok).toBe(true);
      const inst = host.instance('t')!;
      await until('given up', () => inst.state === 'failed', 30_000);
      expect(inst.restarts).toBe(2);
      expect(inst.lastError).toMatch(/test plugin throws on purpose/);
      expect(logs).toContain('error [t] giving up after 2 consecutive restarts');
    } finally {
      await host.close();
      rmSync(sb.dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('start attempts follow maxretry and retrydelay', () => {
  it('a plugin whose init fails is tried maxretry times, then reported failed with NUT messages', async () => {
    const sb = sandbox('maxretry = 2\nretrydelay = 1\n[bad]\n driver = test-failinit\n port = /dev/nothing\n');
    const logs: string[] = [];
    const host = makeHost(sb.paths, logs);
    try {
      const r = await host.startInstance('bad', { maxstartdelayMs: 30_000 });
      expect(r.ok).toBe(false);
      const failed = r.messages.filter((m) => m === 'Driver failed to start (exit status=1)');
      expect(failed).toHaveLength(2);
      expect(r.messages.some((m) => m.includes('cannot open /dev/nothing'))).toBe(true);
      const inst = host.instance('bad')!;
      expect(inst.state).toBe('failed');
      expect(inst.lastError).toMatch(/cannot open \/dev\/nothing/);
    } finally {
      await host.close();
      rmSync(sb.dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an init that never returns is cut by the init watchdog and counts as a failed attempt', async () => {
    const sb = sandbox('maxstartdelay = 30\n[slow]\n driver = test-hanginit\n port = none\n');
    const host = new Host({
      paths: sb.paths,
      settings: { pluginPaths: [join(fixtures, 'plugins')], initWatchdogMs: 1000 },
      pluginSearch: { builtin: false, nodeModules: false },
      workerPath: stubWorker,
      log: () => {},
    });
    try {
      const r = await host.startInstance('slow', { maxstartdelayMs: 30_000 });
      expect(r.ok).toBe(false);
      expect(r.messages[0]).toMatch(/^watchdog: initups did not return within 1000 ms/);
      expect(r.messages[1]).toBe('Driver failed to start (exit status=1)');
      expect(host.instance('slow')!.state).toBe('failed');
    } finally {
      await host.close();
      rmSync(sb.dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an init still awaiting its device after maxstartdelay is reported slow and left to finish, as NUT leaves a slow driver', async () => {
    const sb = sandbox('maxstartdelay = 1\n[slow]\n driver = test-slowinit\n port = none\n');
    const logs: string[] = [];
    const host = new Host({
      paths: sb.paths,
      settings: { pluginPaths: [join(fixtures, 'plugins')] },
      pluginSearch: { builtin: false, nodeModules: false },
      workerPath: stubWorker,
      log: (level, m) => logs.push(`${level} ${m}`),
    });
    try {
      const r = await host.startInstance('slow', { maxstartdelayMs: 1000 });
      expect(r.ok).toBe(true);
      expect(r.messages).toEqual(['Startup timer elapsed, continuing...']);
      const inst = host.instance('slow')!;
      await until('the slow init to finish', () => inst.state === 'running' && host.get('slow')?.tree.get('ups.status')?.value === 'OL', 30_000);
      expect(inst.restarts).toBe(0);
      expect(logs.some((l) => /^warn \[slow\] initups has not returned after \d+ ms/.test(l))).toBe(true);
      expect(logs.some((l) => /did not return within/.test(l))).toBe(false);
    } finally {
      await host.close();
      rmSync(sb.dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an unknown driver names the missing plugin and NUT driver', async () => {
    const sb = sandbox('[x]\n driver = test-goood\n port = none\n');
    const host = makeHost(sb.paths, []);
    try {
      const r = await host.startInstance('x', { maxstartdelayMs: 10_000 });
      expect(r.ok).toBe(false);
      expect(r.messages).toContain('no nut-ts plugin provides driver "test-goood" (did you mean "test-good"?), and NUT has no such driver either');
      expect(r.messages).toContain("Can't start /lib/nut/test-goood: No such file or directory");
      expect(await host.startInstance('nope')).toEqual({ ok: false, messages: ['UPS nope not found in ups.conf'] });
    } finally {
      await host.close();
      rmSync(sb.dir, { recursive: true, force: true });
    }
  });
});
