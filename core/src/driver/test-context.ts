/**
 * A DriverContext for in-process tests of a plugin: the runtime's DriverState over a StateTree
 * (so dstate, status and alarm behave as they do in a worker), option lookup as ups.conf gives
 * it, logs kept in a list, and the clock, sleep and device access the test chooses.
 */
import { TransportError, type DeviceAccess } from '../plugin-api/transports.js';
import type { DriverContext } from '../plugin-api/index.js';
import { StateTree } from '../dstate/tree.js';
import { DriverState } from './state.js';
import type { InstanceSpec } from './worker-protocol.js';

export interface TestContextOptions {
  upsname?: string;
  /** Default `auto`. */
  port?: string;
  /** Driver options: value, or true for a flag (names case-insensitive, as in ups.conf). */
  options?: Record<string, string | true>;
  tables?: readonly string[];
  pollinterval?: number;
  debugLevel?: number;
  /** The plugin's clock; default Date.now. */
  now?: () => number;
  /** ctx.sleep; default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  requestUpdate?: () => void;
  /** Device access; what is not given fails with EIO. */
  devices?: Partial<DeviceAccess>;
}

export interface TestContext {
  ctx: DriverContext;
  tree: StateTree;
  state: DriverState;
  /** Every info, warn and error line (and the state's warnings), in order. */
  logs: string[];
  /** Aborts ctx.signal (the instance is stopping). */
  abort: AbortController;
}

const none = (what: string) => () => Promise.reject(new TransportError('EIO', `no ${what} transport in this test`));

export function makeTestContext(o: TestContextOptions = {}): TestContext {
  const tree = new StateTree();
  const logs: string[] = [];
  const state = new DriverState(tree, (m) => void logs.push(m));
  const options = new Map<string, string | true>();
  for (const [k, v] of Object.entries(o.options ?? {})) options.set(k.toLowerCase(), v);
  const abort = new AbortController();
  const devices: DeviceAccess = {
    openSerial: none('serial'),
    openUsb: none('USB'),
    openHid: none('HID'),
    listUsb: () => Promise.resolve([]),
    ...o.devices,
  };
  const port = o.port ?? 'auto';
  const ctx: DriverContext = {
    upsname: o.upsname ?? 'ups',
    port,
    confPath: '/nonexistent',
    pollinterval: o.pollinterval ?? 2,
    debugLevel: o.debugLevel ?? 0,
    tables: o.tables,
    getval: (name) => {
      const v = options.get(name.toLowerCase());
      return typeof v === 'string' ? v : undefined;
    },
    testvar: (name) => options.has(name.toLowerCase()),
    dstate: state,
    status: state.status,
    alarm: state.alarm,
    log: {
      info: (m) => void logs.push(m),
      warn: (m) => void logs.push(m),
      error: (m) => void logs.push(m),
      debug: () => {},
    },
    sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    now: o.now ?? (() => Date.now()),
    signal: abort.signal,
    requestUpdate: o.requestUpdate ?? (() => {}),
    openSerial: (path, opts) => devices.openSerial(path ?? port, opts),
    openUsb: (match) => devices.openUsb(match),
    openHid: (match) => devices.openHid(match),
    listUsb: () => devices.listUsb(),
  };
  return { ctx, tree, state, logs, abort };
}

/** An InstanceSpec for a DriverRuntime in a test: the fields a test does not care about filled in. */
export function testInstanceSpec(over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    upsname: 'ups',
    driver: 'test',
    entryPath: '',
    pluginVersion: '0.1',
    pluginName: 'Test driver',
    port: 'auto',
    confPath: '/nonexistent',
    pollinterval: 2,
    synchronous: 'auto',
    debugLevel: 0,
    options: {},
    sensitive: [],
    overrides: [],
    defaults: [],
    watchdogMs: 0,
    ...over,
  };
}
