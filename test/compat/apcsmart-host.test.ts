/**
 * apcsmart inside the host with the default settings (its two sections share a driver
 * worker), the serial port brokered by the host's transport process, upsd serving the tree.
 * An alert from the unit reaches upsd's ups.status long before the next poll; one unit
 * unplugged goes stale and comes back while the other carries on.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from '../../core/src/client/client.js';
import { Host } from '../../core/src/host/host.js';
import { freePort } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import { DDL, startSimulator, type Simulator } from './apcsmart-harness.js';

const DUMP = join(DDL, 'APC__Smart-UPS_DP_8000_XL__apcsmart__2.0.0__01.dev');

describe('apcsmart in the host', () => {
  let dir: string;
  let host: Host;
  let client: NutClient;
  let quick: Simulator;
  let slow: Simulator;
  /** upsd's latest answer for a variable (polled into `seen` by the test's probe). */
  const seen = new Map<string, string>();
  let polling = true;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-apcsmart-host-'));
    quick = await startSimulator(DUMP, dir, 'quick');
    slow = await startSimulator(DUMP, dir, 'slow');
    const confPath = join(dir, 'conf');
    const statePath = join(dir, 'state');
    mkdirSync(confPath);
    mkdirSync(statePath);
    writeFileSync(
      join(confPath, 'ups.conf'),
      `[quick]\n driver = apcsmart\n port = ${quick.port}\n pollinterval = 1\n[slow]\n driver = apcsmart\n port = ${slow.port}\n pollinterval = 120\n`,
    );
    host = new Host({
      paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' },
      settings: {},
      pluginSearch: { nodeModules: false },
      driverSockets: false,
      log: () => undefined,
    });
    expect(host.loadConfig().messages).toEqual([]);
    const port = await freePort();
    expect((await host.upsd.start({ listen: [{ host: '127.0.0.1', port }], noConfigFiles: true })).ok).toBe(true);
    expect(await host.startInstance('quick')).toEqual({ ok: true, messages: [] });
    expect(await host.startInstance('slow')).toEqual({ ok: true, messages: [] });
    client = new NutClient({ port, host: '127.0.0.1' });
    await client.connect();
    void (async () => {
      while (polling) {
        for (const ups of ['quick', 'slow']) {
          seen.set(ups, await client.getVar(ups, 'ups.status').catch((e: { code?: string; message: string }) => `ERR ${e.code ?? e.message}`));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  });

  afterAll(async () => {
    polling = false;
    client?.close();
    await host?.close();
    await quick?.stop();
    await slow?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves what the unit says', async () => {
    await until('both served', () => seen.get('quick') === 'OL' && seen.get('slow') === 'OL', 20_000);
    expect(await client.getVar('slow', 'ups.model')).toBe('Smart-UPS DP 8000 XL');
    expect(await client.listEnum('slow', 'ups.delay.shutdown')).toEqual(['020', '180', '300', '600']);
  });

  it('an alert reaches upsd before the next poll (poll interval 120 s)', async () => {
    slow.event('onbattery');
    await until('OB through upsd', () => seen.get('slow') === 'OB', 10_000);
    slow.event('online');
    await until('OL through upsd', () => seen.get('slow') === 'OL', 10_000);
  });

  it('an unplugged unit goes stale and comes back; the other one does not notice', async () => {
    quick.event('unplug');
    await until('quick stale', () => /DATA-STALE/.test(seen.get('quick') ?? ''), 20_000);
    expect(seen.get('slow')).toBe('OL');
    quick.event('replug');
    await until('quick back', () => seen.get('quick') === 'OL', 30_000);
    expect(host.instance('slow')?.tree.stale).toBe(false);
  });
});
