/** The worker entry the host starts (core/dist/driver/worker-main.js), driven by hand. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { StateTree } from '../../src/dstate/tree.js';
import type { HostToWorker, InstanceSpec, WorkerToHost } from '../../src/driver/worker-protocol.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const WORKER = join(ROOT, 'core', 'dist', 'driver', 'worker-main.js');
const dir = mkdtempSync(join(tmpdir(), 'nut-ts-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spec(over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    upsname: 'w',
    driver: 'dummy-ups',
    entryPath: join(ROOT, 'plugins', 'dummy-ups', 'src', 'index.ts'),
    pluginVersion: '0.15',
    pluginName: 'Device simulation and repeater driver',
    port: 'w.dev',
    confPath: dir,
    pollinterval: 2,
    synchronous: 'auto',
    debugLevel: 0,
    options: {},
    sensitive: [],
    overrides: [],
    defaults: [],
    watchdogMs: 60_000,
    ...over,
  };
}

function startWorker(s: InstanceSpec) {
  const worker = new Worker(WORKER, { env: {} });
  const messages: WorkerToHost[] = [];
  const tree = new StateTree();
  worker.on('message', (m: WorkerToHost) => {
    messages.push(m);
    if (m.t === 'ops') for (const op of m.ops) tree.apply(op);
  });
  const exited = new Promise<number>((r) => worker.once('exit', r));
  const post = (m: HostToWorker) => worker.postMessage(m);
  const until = async (pred: () => boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timeout; messages: ${JSON.stringify(messages.map((m) => m.t))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  post({ t: 'start', spec: s });
  return { worker, messages, tree, exited, post, until };
}

describe('driver worker (worker-protocol.ts)', () => {
  it('runs dummy-ups: batches, ready, enter/leave pairs, tracking, stop', async () => {
    writeFileSync(join(dir, 'w.dev'), 'ups.mfr: Worker Co\nups.status: OL CHRG\n');
    const w = startWorker(spec());
    await w.until(() => w.messages.some((m) => m.t === 'ready'));
    expect(w.tree.getValue('ups.status')).toBe('OL CHRG');
    expect(w.tree.getValue('device.mfr')).toBe('Worker Co');
    expect(w.tree.getValue('driver.parameter.pollinterval')).toBe('2');
    expect(w.tree.stale).toBe(false);
    w.post({ t: 'set', name: 'ups.status', value: 'OB', tracking: 'a1' });
    w.post({ t: 'instcmd', command: 'load.off', tracking: 'a2' });
    await w.until(() => w.messages.filter((m) => m.t === 'tracking').length === 2);
    expect(w.messages.filter((m) => m.t === 'tracking')).toEqual([
      { t: 'tracking', id: 'a1', status: 0 },
      { t: 'tracking', id: 'a2', status: 1 },
    ]);
    expect(w.tree.getValue('ups.status')).toBe('OB');
    w.post({ t: 'stop' });
    expect(await w.exited).toBe(0);
    expect(w.messages.at(-1)).toEqual({ t: 'stopped' });
    const calls = w.messages.filter((m) => m.t === 'enter' || m.t === 'leave');
    for (let i = 0; i < calls.length; i += 2) {
      expect(calls[i]).toMatchObject({ t: 'enter' });
      expect(calls[i + 1]).toEqual({ t: 'leave', call: (calls[i] as { call: string }).call });
    }
  }, 120_000);

  it('a missing data file is fatal, the worker exits non-zero', async () => {
    const w = startWorker(spec({ port: 'missing.dev' }));
    expect(await w.exited).toBe(1);
    expect(w.messages.find((m) => m.t === 'fatal')).toMatchObject({ message: expect.stringContaining("Can't open dummy-ups definition file") });
  }, 120_000);

  it("mode 'shutdown' runs initups and shutdown only (dummy-ups: not supported)", async () => {
    writeFileSync(join(dir, 'w.dev'), '');
    const w = startWorker(spec({ mode: 'shutdown' }));
    expect(await w.exited).toBe(1);
    expect(w.messages.filter((m) => m.t === 'enter').map((m) => (m as { call: string }).call)).toEqual(['initups', 'shutdown']);
    expect(w.messages.find((m) => m.t === 'fatal')).toMatchObject({ message: 'shutdown not supported' });
  }, 120_000);
});
