/**
 * core's test DriverContext for in-process tests of the plugin, with NUT's `-d N` start
 * sequence, a clock the test moves, and requestUpdate counted.
 */
import type { DriverContext, DriverPlugin, UsbHandle, UsbMatch } from '@nut-ts/core/plugin-api';
import type { StateTree } from '../../../../core/src/dstate/tree.js';
import { makeTestContext } from '../../../../core/src/driver/test-context.js';

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

export function makeInstance(o: InstanceOptions): TestInstance {
  const clock = { now: 1_000_000 };
  const matches: UsbMatch[] = [];
  const t = makeTestContext({
    port: o.port,
    options: o.options,
    tables: o.tables,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
    requestUpdate: () => {
      inst.requested++;
      o.onRequestUpdate?.();
    },
    devices: {
      openUsb: (m) => {
        matches.push(m);
        return o.usb ? o.usb() : Promise.reject(new Error('no USB transport in this test'));
      },
    },
  });
  const inst: TestInstance = { ctx: t.ctx, tree: t.tree, logs: t.logs, matches, requested: 0, clock, abort: t.abort };
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
