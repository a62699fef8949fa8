/**
 * A small in-test driver runtime for the snmp-ups plugin: a DriverContext over a StateTree and
 * NUT's `-d N` dump sequence (main.c), so the plugin can be compared with NUT's driver before
 * the real driver runtime is used.
 */
import type { DriverContext, DriverPlugin } from '@nut-ts/core/plugin-api';
import { StateTree, compareNames } from '../../../../core/src/dstate/tree.js';
import { encodeValue } from '../../../../core/src/config/parseconf.js';

export interface TestInstance {
  ctx: DriverContext;
  tree: StateTree;
  logs: string[];
}

export interface InstanceOptions {
  upsname?: string;
  port: string;
  /** Driver options: value, or true for a flag. */
  options?: Record<string, string | true>;
  sensitive?: readonly string[];
  tables?: readonly string[];
  /** The instance's clock (ctx.now); tests move it instead of waiting. Default: Date.now. */
  now?: () => number;
}

class Composer {
  tokens: string[] = [];
  constructor(private readonly onCommit: (tokens: string[]) => void) {}
  init(): void {
    this.tokens = [];
  }
  set(token: string): void {
    this.tokens.push(token);
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
  const status = new Composer((t) => {
    tree.setInfo('ups.status', (alarmActive ? 'ALARM ' : '') + t.join(' '));
  });
  const ctx: DriverContext & { tables?: readonly string[] } = {
    upsname: o.upsname ?? 't',
    port: o.port,
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
      info: (m) => logs.push(m),
      warn: (m) => logs.push(m),
      error: (m) => logs.push(m),
      debug: () => {},
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: o.now ?? (() => Date.now()),
    signal: new AbortController().signal,
    requestUpdate: () => {},
    openSerial: () => Promise.reject(new Error('no serial transport in this test')),
    openUsb: () => Promise.reject(new Error('no USB transport in this test')),
    openHid: () => Promise.reject(new Error('no HID transport in this test')),
    listUsb: () => Promise.resolve([]),
  };
  return { ctx, tree, logs };
}

/** main.c's sequence up to the first update, plus the variables the core publishes. */
export async function startDriver(plugin: DriverPlugin, inst: TestInstance, o: InstanceOptions): Promise<void> {
  const { ctx, tree } = inst;
  tree.setInfo('device.type', 'ups');
  tree.setInfo('driver.parameter.port', o.port);
  for (const [k, v] of Object.entries(o.options ?? {})) {
    if (o.sensitive?.includes(k)) continue;
    if (v === true) tree.setInfo(`driver.flag.${k}`, 'enabled');
    else tree.setInfo(`driver.parameter.${k}`, v);
  }
  await plugin.initups?.(ctx);
  tree.setInfo('driver.version', '2.8.0');
  tree.setInfo('driver.version.internal', '1.21');
  tree.setInfo('driver.name', 'snmp-ups');
  await plugin.initinfo?.(ctx);
  await plugin.updateinfo(ctx);
  tree.setInfo('driver.parameter.pollinterval', '2');
  tree.setInfo('driver.parameter.synchronous', 'auto');
  for (const v of ['mfr', 'model', 'serial']) {
    const val = tree.getValue(`ups.${v}`);
    if (val !== undefined) tree.setInfo(`device.${v}`, val);
  }
}

/** `-d N`: N more update loops, then the sorted `var: value` listing (values pconf-encoded, as NUT prints them). */
export async function dumpDriver(plugin: DriverPlugin, inst: TestInstance, o: InstanceOptions, updates = 1): Promise<string[]> {
  await startDriver(plugin, inst, o);
  for (let i = 0; i < updates; i++) await plugin.updateinfo(inst.ctx);
  return [...inst.tree.list()].sort((a, b) => compareNames(a.name, b.name)).map((v) => `${v.name}: ${encodeValue(v.value)}`);
}
