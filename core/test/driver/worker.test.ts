/** The worker entry the host starts (core/dist/driver/worker-main.js), driven by hand. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { StateTree } from '../../src/dstate/tree.js';
import { CallBoard, type HostToWorker, type InstanceEvent, type InstanceSpec, type WorkerToHost } from '../../src/driver/worker-protocol.js';
import { testInstanceSpec } from '../../src/driver/test-context.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const WORKER = join(ROOT, 'core', 'dist', 'driver', 'worker-main.js');
const dir = mkdtempSync(join(tmpdir(), 'nut-ts-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: Partial<InstanceSpec> = {}): InstanceSpec =>
  testInstanceSpec({
    upsname: 'w',
    driver: 'dummy-ups',
    entryPath: join(ROOT, 'plugins', 'dummy-ups', 'src', 'index.ts'),
    pluginVersion: '0.15',
    pluginName: 'Device simulation and repeater driver',
    port: 'w.dev',
    confPath: dir,
    watchdogMs: 60_000,
    ...over,
  });

type Msg = InstanceEvent;

/** One worker; instances are started in it with start(spec) and their events kept apart by id. */
function openWorker() {
  const board = CallBoard.create(8, true);
  const worker = new Worker(WORKER, { env: {}, workerData: { board: board.cells.buffer } });
  const all: Msg[] = [];
  let batches = 0;
  const trees = new Map<number, StateTree>();
  worker.on('message', (m: WorkerToHost) => {
    if (m.t !== 'batch') return;
    batches++;
    for (const e of m.events) {
      all.push(e);
      if (e.t === 'ops') for (const op of e.ops) trees.get(e.id)?.apply(op);
    }
  });
  const until = async (pred: () => boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timeout; messages: ${JSON.stringify(all.map((m) => `${m.id}:${m.t}`))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    worker,
    board,
    all,
    until,
    get batches() {
      return batches;
    },
    start(s: InstanceSpec, id = 0) {
      const tree = new StateTree();
      trees.set(id, tree);
      const messages = () => all.filter((m) => m.id === id);
      const post = (m: HostToWorker | { t: string; [k: string]: unknown }) => worker.postMessage({ ...m, id });
      worker.postMessage({ t: 'start', id, spec: s } satisfies HostToWorker);
      return { tree, post, get messages() {
        return messages();
      } };
    },
  };
}

function startWorker(s: InstanceSpec) {
  const w = openWorker();
  const i = w.start(s);
  const ended = async () => {
    await w.until(() => i.messages.some((m) => m.t === 'stopped' || m.t === 'fatal'));
    return i.messages.some((m) => m.t === 'fatal') ? 1 : 0;
  };
  return {
    tree: i.tree,
    post: i.post,
    get messages() {
      return i.messages;
    },
    worker: w.worker,
    until: w.until,
    ended,
    close: () => w.worker.terminate(),
  };
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
      { id: 0, t: 'tracking', tracking: 'a1', status: 0 },
      { id: 0, t: 'tracking', tracking: 'a2', status: 1 },
    ]);
    expect(w.tree.getValue('ups.status')).toBe('OB');
    w.post({ t: 'stop' });
    expect(await w.ended()).toBe(0);
    expect(w.messages.at(-1)).toEqual({ id: 0, t: 'stopped' });
    await w.close();
    const calls = w.messages.filter((m) => m.t === 'enter' || m.t === 'leave');
    for (let i = 0; i < calls.length; i += 2) {
      expect(calls[i]).toMatchObject({ t: 'enter' });
      expect(calls[i + 1]).toEqual({ id: 0, t: 'leave', call: (calls[i] as { call: string }).call, ms: expect.any(Number) });
      expect((calls[i + 1] as { ms: number }).ms).toBeGreaterThanOrEqual(0);
    }
  }, 120_000);

  it('a missing data file is fatal for the instance', async () => {
    const w = startWorker(spec({ port: 'missing.dev' }));
    expect(await w.ended()).toBe(1);
    await w.close();
    expect(w.messages.find((m) => m.t === 'fatal')).toMatchObject({ message: expect.stringContaining("Can't open dummy-ups definition file") });
  }, 120_000);

  it("mode 'shutdown' runs initups, shutdown and cleanup (dummy-ups: not supported)", async () => {
    writeFileSync(join(dir, 'w.dev'), '');
    const w = startWorker(spec({ mode: 'shutdown' }));
    expect(await w.ended()).toBe(1);
    await w.close();
    expect(w.messages.filter((m) => m.t === 'enter').map((m) => (m as { call: string }).call)).toEqual(['initups', 'shutdown', 'cleanup']);
    expect(w.messages.find((m) => m.t === 'fatal')).toMatchObject({ message: 'shutdown not supported' });
  }, 120_000);
});

describe('several instances in one worker', () => {
  it('each has its own state (factory per instance); their messages share batches; the worker beats', async () => {
    writeFileSync(join(dir, 'a.dev'), 'ups.mfr: Alpha\nups.status: OL\n');
    writeFileSync(join(dir, 'b.dev'), 'ups.mfr: Beta\nups.status: OB\n');
    const w = openWorker();
    const beat0 = w.board.lastBeat;
    const a = w.start(spec({ upsname: 'a', port: 'a.dev' }), 0);
    const b = w.start(spec({ upsname: 'b', port: 'b.dev' }), 1);
    await w.until(() => a.messages.some((m) => m.t === 'ready') && b.messages.some((m) => m.t === 'ready'));
    expect([a.tree.getValue('ups.mfr'), a.tree.getValue('ups.status')]).toEqual(['Alpha', 'OL']);
    expect([b.tree.getValue('ups.mfr'), b.tree.getValue('ups.status')]).toEqual(['Beta', 'OB']);
    a.post({ t: 'set', name: 'ups.status', value: 'OB LB', tracking: 't1' });
    await w.until(() => a.messages.some((m) => m.t === 'tracking'));
    expect(a.tree.getValue('ups.status')).toBe('OB LB');
    expect(b.tree.getValue('ups.status')).toBe('OB');
    // a stop ends that instance only
    b.post({ t: 'stop' });
    await w.until(() => b.messages.some((m) => m.t === 'stopped'));
    const before = a.messages.filter((m) => m.t === 'enter' && m.call === 'updateinfo').length;
    await w.until(() => a.messages.filter((m) => m.t === 'enter' && m.call === 'updateinfo').length > before);
    expect(w.batches).toBeLessThan(w.all.length);
    await w.until(() => w.board.lastBeat > beat0);
    await w.worker.terminate();
  }, 60_000);
});
