/**
 * A DriverContext over a StateTree for in-process tests of the plugin, with NUT's `-d N`
 * start sequence, a clock the test moves, and requestUpdate wired to run updateinfo.
 */
import type { DriverContext, DriverPlugin, UsbHandle, UsbMatch } from '@nut-ts/core/plugin-api';
import { StateTree } from '../../../../core/src/dstate/tree.js';

export interface TestInstance {
  ctx: DriverContext;
  tree: StateTree;
  logs: string[];
  /** Matches openUsb was called with. */
  matches: UsbMatch[];
  /** Times requestUpdate was called. */
  requested: number;
  clock: { now: number };
  abort: AbortController;
}

export interface InstanceOptions {
  port?: string;
  options?: Record<string, string | true>;
  tables?: readonly string[];
  usb?: () => Promise<UsbHandle>;
  onRequestUpdate?: () => void;
}

class Composer {
  tokens: string[] = [];
  constructor(private readonly onCommit: (tokens: string[]) => void) {}
  init(): void {
    this.tokens = [];
  }
  set(token: string): void {
    if (!this.tokens.includes(token)) this.tokens.push(token);
  }
  commit(): void {
    this.onCommit(this.tokens);
  }
}

export function makeInstance(o: InstanceOptions): TestInstance {
  const tree = new StateTree();
  const logs: string[] = [];
  const options = o.options ?? {};
  let alarmActive = false;
  const alarm = new Composer((t) => {
    if (t.length) {
      tree.setInfo('ups.alarm', t.join(' '));
      alarmActive = true;
    } else {
      tree.delInfo('ups.alarm');
      alarmActive = false;
    }
  });
  const status = new Composer((t) => void tree.setInfo('ups.status', (alarmActive ? 'ALARM ' : '') + t.join(' ')));
  const abort = new AbortController();
  const inst: TestInstance = { ctx: undefined as unknown as DriverContext, tree, logs, matches: [], requested: 0, clock: { now: 1_000_000 }, abort };
  inst.ctx = {
    upsname: 'ups',
    port: o.port ?? 'auto',
    confPath: '/nonexistent',
    pollinterval: 2,
    debugLevel: 0,
    tables: o.tables,
    getval: (n) => (typeof options[n] === 'string' ? (options[n] as string) : undefined),
    testvar: (n) => n in options,
    dstate: {
      setinfo: (n, v) => void tree.setInfo(n, String(v)),
      getinfo: (n) => tree.getValue(n),
      delinfo: (n) => void tree.delInfo(n),
      setflags: (n, f) => void tree.setFlags(n, f),
      addflags: (n, f) => void tree.setFlags(n, (tree.get(n)?.flags ?? 0) | f),
      setaux: (n, a) => void tree.setAux(n, a),
      addenum: (n, v) => void tree.addEnum(n, v),
      delenum: (n, v) => void tree.delEnum(n, v),
      addrange: (n, a, b) => void tree.addRange(n, a, b),
      delrange: (n, a, b) => void tree.delRange(n, a, b),
      addcmd: (n) => void tree.addCmd(n),
      delcmd: (n) => void tree.delCmd(n),
      dataok: () => void tree.setStale(false),
      datastale: () => void tree.setStale(true),
      isStale: () => tree.stale,
    },
    status,
    alarm,
    log: {
      info: (m) => void logs.push(m),
      warn: (m) => void logs.push(m),
      error: (m) => void logs.push(m),
      debug: () => {},
    },
    sleep: async (ms) => {
      inst.clock.now += ms;
    },
    now: () => inst.clock.now,
    signal: abort.signal,
    requestUpdate: () => {
      inst.requested++;
      o.onRequestUpdate?.();
    },
    openSerial: () => Promise.reject(new Error('no serial transport in this test')),
    openUsb: (m) => {
      inst.matches.push(m);
      return o.usb ? o.usb() : Promise.reject(new Error('no USB transport in this test'));
    },
    openHid: () => Promise.reject(new Error('no HID transport in this test')),
    listUsb: () => Promise.resolve([]),
  };
  return inst;
}

/** main.c up to the first update (what -d 1 dumps after). */
export async function start(plugin: DriverPlugin, inst: TestInstance): Promise<void> {
  await plugin.initups?.(inst.ctx);
  await plugin.initinfo?.(inst.ctx);
  await plugin.updateinfo(inst.ctx);
}

export async function stop(plugin: DriverPlugin, inst: TestInstance): Promise<void> {
  inst.abort.abort();
  await plugin.cleanup?.(inst.ctx);
}

export function values(tree: StateTree): Record<string, string> {
  return Object.fromEntries(tree.list().map((v) => [v.name, v.value]));
}
