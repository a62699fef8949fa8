/**
 * The worker side of core/src/host/worker-protocol.ts: runs any number of instances of one
 * plugin, each with its own DriverRuntime and plugin object (the module is loaded once per
 * worker). Everything the instances say within one event-loop turn leaves as one `batch`.
 * The call board is kept up to date: a heartbeat independent of plugin calls, the instance
 * whose code runs now (followed across awaits with AsyncLocalStorage), and each instance's
 * open call, so the host can tell a blocked worker from a slow device and name the culprit.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import {
  BEAT_MS,
  CallBoard,
  type HostToWorker,
  type InstanceEvent,
  type InstanceId,
  type InstanceSpec,
  type WorkerToHost,
} from './worker-protocol.js';
import type { DriverFactory, DriverPlugin } from '../plugin-api/index.js';
import type { DeviceAccess } from '../plugin-api/transports.js';
import { loadDriverFactory } from './load-plugin.js';
import { DriverFatal, DriverRuntime, errorText, type RuntimeHooks } from './runtime.js';

export interface WorkerPort {
  postMessage(message: WorkerToHost): void;
  on(event: 'message', listener: (message: HostToWorker) => void): unknown;
}

export interface WorkerSessionOptions {
  /** Shared call board (worker thread); default: a private one, sent with every heartbeat. */
  board?: CallBoard;
  /** Plugin loader (tests inject one); default loads spec.entryPath with jiti, once per path. */
  load?(spec: InstanceSpec): Promise<DriverPlugin>;
  /**
   * The device access of one instance. `channel` is what the host's transport service
   * attached for it (passed with `start`); default: no devices (every open fails).
   */
  devicesFor?(id: InstanceId, spec: InstanceSpec, channel: unknown): DeviceAccess | undefined;
}

interface Slot {
  spec: InstanceSpec;
  runtime?: DriverRuntime;
  early: HostToWorker[];
  ended: boolean;
}

const factories = new Map<string, Promise<DriverFactory>>();

/** One load per plugin module per worker; every instance gets its own object from the factory. */
function defaultLoad(spec: InstanceSpec): Promise<DriverPlugin> {
  let f = factories.get(spec.entryPath);
  if (!f) {
    f = loadDriverFactory(spec.entryPath);
    factories.set(spec.entryPath, f);
    f.catch(() => factories.delete(spec.entryPath));
  }
  return f.then((factory) => factory({ upsname: spec.upsname }));
}

export function serveWorker(port: WorkerPort, options: WorkerSessionOptions = {}): { close(): void } {
  const privateBoard = options.board === undefined;
  const board = options.board ?? CallBoard.create(1024, false);
  const slots = new Map<InstanceId, Slot>();
  const current = new AsyncLocalStorage<InstanceId>();
  const hook = createHook({
    before() {
      board.setRunning(current.getStore());
    },
    after() {
      board.setRunning(undefined);
    },
  });
  hook.enable();

  let outbox: InstanceEvent[] = [];
  let flushing = false;
  const flush = () => {
    flushing = false;
    if (outbox.length === 0) return;
    const events = outbox;
    outbox = [];
    port.postMessage({ t: 'batch', events });
  };
  const send = (e: InstanceEvent) => {
    outbox.push(e);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };

  const beat = () => {
    board.beat(Date.now());
    if (privateBoard) port.postMessage({ t: 'beat', board: Array.from(board.cells.subarray(0, 2 + 2 * (Math.max(-1, ...slots.keys()) + 1))) });
  };
  beat();
  const beating = setInterval(beat, BEAT_MS);

  const end = (id: InstanceId, e: InstanceEvent) => {
    const slot = slots.get(id);
    if (!slot || slot.ended) return;
    slot.ended = true;
    slots.delete(id);
    board.leave(id);
    send(e);
  };

  const fatal = (id: InstanceId, e: unknown) => {
    end(id, { id, t: 'fatal', message: e instanceof DriverFatal ? e.message : `plugin error: ${errorText(e)}` });
  };

  const dispatch = (slot: Slot, id: InstanceId, m: HostToWorker) => {
    const rt = slot.runtime;
    if (!rt) {
      if (m.t === 'stop') end(id, { id, t: 'stopped' });
      else slot.early.push(m);
      return;
    }
    switch (m.t) {
      case 'instcmd':
        rt.instcmd(m.command, m.param, m.tracking);
        break;
      case 'set':
        rt.setvar(m.name, m.value, m.tracking);
        break;
      case 'shutdown':
        rt.requestShutdown();
        break;
      case 'stop':
        rt.stop();
        break;
      default:
        break;
    }
  };

  const start = async (id: InstanceId, slot: Slot, channel: unknown) => {
    const spec = slot.spec;
    const plugin = await (options.load ?? defaultLoad)(spec);
    if (slot.ended) return;
    const hooks: RuntimeHooks = {
      ops: (ops) => send({ id, t: 'ops', ops }),
      enter: (call) => {
        board.enter(id, call, Date.now());
        send({ id, t: 'enter', call });
      },
      leave: (call, ms) => {
        board.leave(id);
        send({ id, t: 'leave', call, ms });
      },
      tracking: (tracking, status) => send({ id, t: 'tracking', tracking, status }),
      log: (level, message) => send({ id, t: 'log', level, message }),
      devices: options.devicesFor?.(id, spec, channel),
    };
    const rt = new DriverRuntime(spec, plugin, hooks);
    // device calls in flight end when the instance stops
    const devices = hooks.devices as (DeviceAccess & { bindSignal?(signal: AbortSignal): void }) | undefined;
    devices?.bindSignal?.(rt.ctx.signal);
    if (spec.mode === 'shutdown') {
      await rt.forceShutdown();
      end(id, { id, t: 'stopped' });
      return;
    }
    await rt.init();
    if (slot.ended) {
      // given up on while it started (its init overstayed): let it close what it opened
      rt.stop();
      await rt.cleanup();
      return;
    }
    rt.publishRuntimeInfo();
    slot.runtime = rt;
    send({ id, t: 'ready' });
    for (const m of slot.early.splice(0)) dispatch(slot, id, m);
    // let 'ready' leave before the loop runs plugin code again (which might block the worker)
    await new Promise((resolve) => setImmediate(resolve));
    await rt.runLoop();
    end(id, { id, t: 'stopped' });
  };

  port.on('message', (m: HostToWorker) => {
    const id = m.id;
    if (m.t === 'start') {
      if (slots.has(id)) return;
      const slot: Slot = { spec: m.spec, early: [], ended: false };
      slots.set(id, slot);
      current.run(id, () => {
        board.setRunning(id);
        start(id, slot, m.devices).catch((e) => fatal(id, e));
      });
      board.setRunning(undefined);
      return;
    }
    const slot = slots.get(id);
    if (!slot) return;
    if (m.t === 'drop') {
      slot.ended = true;
      slots.delete(id);
      board.leave(id);
      slot.runtime?.stop();
      return;
    }
    current.run(id, () => {
      board.setRunning(id);
      dispatch(slot, id, m);
    });
    board.setRunning(undefined);
  });

  return {
    close() {
      clearInterval(beating);
      hook.disable();
      flush();
    },
  };
}
