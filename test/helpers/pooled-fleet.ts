/**
 * Shared by the *-pooled tests: one host running several sections of a device plugin,
 * either sharing one driver worker (pooled) or one worker each (isolated), upsd serving them
 * on loopback, and what a client sees through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from '../../core/src/client/client.js';
import { Host } from '../../core/src/host/host.js';
import type { HostSettingsInput } from '../../core/src/host/settings.js';
import { freePort, makeSandbox, type Sandbox } from './oracle.js';
import { untilAsync } from './wait.js';

/** [label, host settings, workers expected for `count` sections]. */
export function poolModes(count: number): Array<[string, HostSettingsInput, number]> {
  return [
    ['pooled', { workersPerInstance: 'plugin', instancesPerWorker: 8 }, 1],
    ['isolated', { workersPerInstance: 'instance' }, count],
  ];
}

export interface Fleet {
  sb: Sandbox;
  host: Host;
  client: NutClient;
  /** upsd's answer for ups.status, or `ERR <code>` (DATA-STALE, DRIVER-NOT-CONNECTED, …). */
  status(ups: string): Promise<string>;
  /** Every variable upsd serves for the UPS, driver.* aside. */
  values(ups: string): Promise<Map<string, string>>;
  /** Waits until upsd answers `status` (or `ERR …`) for ups.status. */
  untilStatus(ups: string, status: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFleet(upsConf: string, names: string[], settings: HostSettingsInput): Promise<Fleet> {
  const sb = makeSandbox('nut-ts-pooled-');
  sb.write('ups.conf', upsConf);
  const host = new Host({
    paths: { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' },
    settings,
    pluginSearch: { nodeModules: false },
    driverSockets: false,
    log: () => undefined,
  });
  const problems = host.loadConfig().messages;
  if (problems.length) throw new Error(problems.join('\n'));
  const port = await freePort();
  const up = await host.upsd.start({ listen: [{ host: '127.0.0.1', port }], noConfigFiles: true });
  if (!up.ok) throw new Error(`upsd did not start: ${JSON.stringify(up)}`);
  const results = await host.startMany(names.map((ups) => ({ ups, maxstartdelayMs: 60_000 })));
  const failed = results.map((r, i) => (r.ok ? '' : `${names[i]}: ${r.messages.join(' | ')}`)).filter(Boolean);
  if (failed.length) throw new Error(`sections did not start: ${failed.join('; ')}`);
  const client = new NutClient({ port, host: '127.0.0.1' });
  await client.connect();
  const status = (ups: string) => client.getVar(ups, 'ups.status').catch((e: { code?: string; message: string }) => `ERR ${e.code ?? e.message}`);
  return {
    sb,
    host,
    client,
    status,
    values: async (ups) => new Map((await client.listVar(ups)).filter((v) => !v.name.startsWith('driver.')).map((v) => [v.name, v.value])),
    untilStatus: (ups, wanted, timeoutMs = 20_000) => untilAsync(`${ups} ${wanted}`, async () => (await status(ups)) === wanted, timeoutMs),
    async close() {
      client.close();
      await host.close();
      sb.cleanup();
    },
  };
}

/**
 * One describe block per pool mode: the fleet of `names` (ups.conf from `conf`, called once
 * the simulators are up) started before the block's tests and closed after, and a test that it
 * runs in as many workers as the mode says. `body` registers the block's own tests.
 */
export function describePoolModes(title: string, names: string[], conf: () => string, body: (fleet: () => Fleet, workers: number, label: string) => void): void {
  describe.each(poolModes(names.length))(`${title} %s in the host`, (label, settings, workers) => {
    let fleet: Fleet | undefined;
    beforeAll(async () => {
      fleet = await startFleet(conf(), names, settings);
    }, 60_000);
    afterAll(async () => {
      await fleet?.close();
    });
    it(`runs in ${workers} worker(s)`, () => {
      expect(fleet!.host.pool.workers()).toHaveLength(workers);
    });
    body(() => fleet!, workers, label);
  });
}


/**
 * Stops one section and starts it again: upsd stops answering OL for it while its worker-mate
 * `mate` keeps answering, then it serves `expected` again.
 */
export async function restartSection(fleet: Fleet, ups: string, mate: string, expected: Map<string, string>): Promise<void> {
  expect((await fleet.host.stopInstance(ups)).ok).toBe(true);
  await untilAsync(`${ups} gone from upsd`, async () => (await fleet.status(ups)) !== 'OL', 10_000);
  expect(await fleet.status(mate)).toBe('OL');
  expect(await fleet.host.startInstance(ups)).toEqual({ ok: true, messages: [] });
  await fleet.untilStatus(ups, 'OL', 20_000);
  expect(await fleet.values(ups)).toEqual(expected);
}
