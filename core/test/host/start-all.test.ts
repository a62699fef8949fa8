import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Host } from '../../src/host/host.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const NAMES = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];

function makeHost(): { host: Host; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-startall-'));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  mkdirSync(confPath);
  mkdirSync(statePath);
  writeFileSync(join(confPath, 'ups.conf'), NAMES.map((n) => `[${n}]\n driver = test-good\n port = none\n`).join(''));
  const host = new Host({
    paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' },
    settings: { pluginPaths: [join(fixtures, 'plugins')] },
    pluginSearch: { builtin: false, nodeModules: false },
    workerPath: join(fixtures, 'stub-worker.mjs'),
  });
  return { host, dir };
}

/** Most instances seen in 'starting' at the same moment during startAll. */
async function peakStarting(parallel: number | undefined) {
  const { host, dir } = makeHost();
  cleanups.push(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const starting = new Set<string>();
  let peak = 0;
  host.onInstanceState((instance, state) => {
    if (state === 'starting') starting.add(instance.name);
    else starting.delete(instance.name);
    peak = Math.max(peak, starting.size);
  });
  const result = await host.startAll(parallel === undefined ? {} : { parallel });
  return { result, peak, host };
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

describe('startAll', () => {
  it('by default does not wait for one instance before starting the next', async () => {
    const { result, peak, host } = await peakStarting(undefined);
    expect(result.ok).toBe(true);
    expect(peak).toBeGreaterThan(1);
    expect(host.status().instances.map((i) => [i.name, i.state])).toEqual(NAMES.map((n) => [n, 'running']));
  });

  it('one after the other with parallel 1', async () => {
    const { result, peak } = await peakStarting(1);
    expect(result.ok).toBe(true);
    expect(peak).toBe(1);
  });

  it('starts up to `parallel` at once, and reports in ups.conf order', async () => {
    const { result, peak, host } = await peakStarting(3);
    expect(result.ok).toBe(true);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
    expect(host.status().instances.map((i) => [i.name, i.state])).toEqual(NAMES.map((n) => [n, 'running']));
  });
});
