/**
 * A small in-test driver runtime for the snmp-ups plugin: core's test DriverContext and NUT's
 * `-d N` dump sequence (main.c), so the plugin can be compared with NUT's driver before the
 * real driver runtime is used.
 */
import type { DriverContext, DriverPlugin } from '@nut-ts/core/plugin-api';
import { compareNames, type StateTree } from '../../../../core/src/dstate/tree.js';
import { makeTestContext } from '../../../../core/src/driver/test-context.js';
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

export function makeInstance(o: InstanceOptions): TestInstance {
  const { ctx, tree, logs } = makeTestContext({ upsname: o.upsname ?? 't', port: o.port, options: o.options, tables: o.tables, now: o.now });
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
