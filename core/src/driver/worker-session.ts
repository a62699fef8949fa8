/**
 * The worker side of core/src/host/worker-protocol.ts: receives the InstanceSpec, loads the
 * plugin, runs a DriverRuntime and reports batches, enter/leave, tracking results and logs.
 */
import type { HostToWorker, InstanceSpec, WorkerToHost } from './worker-protocol.js';
import type { DriverPlugin } from '../plugin-api/index.js';
import type { BrokerPort } from '../transport/client.js';
import { createDeviceClient } from '../transport/client.js';
import { loadDriverPlugin } from './load-plugin.js';
import { DriverFatal, DriverRuntime, errorText } from './runtime.js';

export interface WorkerPort {
  postMessage(message: WorkerToHost): void;
  on(event: 'message', listener: (message: HostToWorker) => void): unknown;
}

export interface WorkerSessionOptions {
  /** Ends the worker (process.exit inside a worker thread); default: nothing. */
  exit?(code: number): void;
  /** Plugin loader (tests inject one); default loads spec.entryPath with jiti. */
  load?(spec: InstanceSpec): Promise<DriverPlugin>;
}

export function serveWorker(port: WorkerPort, options: WorkerSessionOptions = {}): void {
  const post = (m: WorkerToHost) => port.postMessage(m);
  const exit = (code: number) => setImmediate(() => options.exit?.(code));
  let runtime: DriverRuntime | undefined;
  let started = false;
  let ending = false;
  const early: HostToWorker[] = [];

  const fatal = (e: unknown) => {
    if (ending) return;
    ending = true;
    post({ t: 'fatal', message: e instanceof DriverFatal ? e.message : `plugin error: ${errorText(e)}` });
    exit(1);
  };

  const dispatch = (m: HostToWorker) => {
    const rt = runtime;
    if (!rt) {
      if (m.t === 'stop') {
        ending = true;
        post({ t: 'stopped' });
        exit(0);
      } else early.push(m);
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

  const start = async (spec: InstanceSpec, devicePort?: BrokerPort) => {
    const plugin = await (options.load ?? ((s: InstanceSpec) => loadDriverPlugin(s.entryPath, s.upsname)))(spec);
    const devices = devicePort ? createDeviceClient(devicePort) : undefined;
    const rt = new DriverRuntime(spec, plugin, {
      ops: (ops) => post({ t: 'ops', ops }),
      enter: (call) => post({ t: 'enter', call }),
      leave: (call) => post({ t: 'leave', call }),
      tracking: (id, status) => post({ t: 'tracking', id, status }),
      log: (level, message) => post({ t: 'log', level, message }),
      devices,
    });
    devices?.bindSignal(rt.ctx.signal);
    if (spec.mode === 'shutdown') {
      await rt.forceShutdown();
      ending = true;
      post({ t: 'stopped' });
      exit(0);
      return;
    }
    await rt.init();
    rt.publishRuntimeInfo();
    runtime = rt;
    post({ t: 'ready' });
    for (const m of early.splice(0)) dispatch(m);
    await rt.runLoop();
    ending = true;
    post({ t: 'stopped' });
    exit(0);
  };

  port.on('message', (m: HostToWorker) => {
    if (ending) return;
    if (m.t === 'start') {
      if (started) return;
      started = true;
      start(m.spec, m.devices).catch(fatal);
      return;
    }
    dispatch(m);
  });
}
