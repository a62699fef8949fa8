/**
 * snmp-ups for nut-ts: the plugin entry (runs in a worker). Holds one engine per instance, so
 * a worker can host several instances of this plugin.
 */
import { defineDriver, type DriverContext, type DriverFactory, type DriverPlugin, type HandlerStatus } from '@nut-ts/core/plugin-api';
import { SnmpUpsEngine } from './engine.js';
import { sessionConfig } from './options.js';
import { NetSnmpTransport, type SnmpTransport } from './session.js';
import { builtinTableFiles, type MibEntry } from './table.js';
import { loadTableSet } from './table-set.js';

export { SnmpUpsEngine, mibListing } from './engine.js';
export { loadMibs, builtinTableFiles, parseTable, loadTableFile } from './table.js';
export { loadTableSet } from './table-set.js';
export type { SnmpTransport, SnmpValue } from './session.js';

export interface SnmpUpsPluginOptions {
  /** Table files to use instead of the shipped ones (the host passes engine + vendor tables). */
  tables?: readonly string[];
  /** Transport factory, for tests that swap in a simulator. */
  transport?: (ctx: DriverContext) => SnmpTransport;
}

/** Table files for an instance: the host's list when it gives one, else the shipped tables. */
function tableFilesFor(ctx: DriverContext, opts: SnmpUpsPluginOptions): readonly string[] {
  const fromHost = ctx.tables;
  return opts.tables ?? (fromHost && fromHost.length ? fromHost : builtinTableFiles());
}

export function createSnmpUpsDriver(opts: SnmpUpsPluginOptions = {}, mibCache = new Map<string, Promise<MibEntry[]>>()): DriverPlugin {
  const engines = new WeakMap<DriverContext, SnmpUpsEngine>();
  const engineOf = (ctx: DriverContext): SnmpUpsEngine => {
    const e = engines.get(ctx);
    if (!e) throw new Error('snmp-ups: initups did not run for this instance');
    return e;
  };
  return {
    async initups(ctx) {
      const files = tableFilesFor(ctx, opts);
      const key = files.join('\n');
      // the promise is kept, not its result: instances starting together load the tables once
      let loading = mibCache.get(key);
      if (!loading) {
        loading = loadTableSet(files);
        mibCache.set(key, loading);
        loading.catch(() => mibCache.delete(key));
      }
      const mibs = await loading;
      if (ctx.getval('mibs') === '--list') {
        const lister = new SnmpUpsEngine(ctx, mibs, { get: async () => undefined, getNext: async () => undefined, set: async () => false, close() {} });
        ctx.log.info(lister.listing());
        throw new Error("mibs=--list: listing printed, nothing to monitor");
      }
      const transport = opts.transport ? opts.transport(ctx) : new NetSnmpTransport(sessionConfig(ctx.port, ctx), ctx.log);
      const engine = new SnmpUpsEngine(ctx, mibs, transport);
      engines.set(ctx, engine);
      try {
        await engine.initups();
      } catch (e) {
        engine.close();
        engines.delete(ctx);
        throw e;
      }
    },
    async initinfo(ctx) {
      await engineOf(ctx).initinfo();
    },
    async updateinfo(ctx) {
      await engineOf(ctx).updateinfo();
    },
    async instcmd(ctx, command, param) {
      return (await engineOf(ctx).instcmd(command, param)) as number as HandlerStatus;
    },
    async setvar(ctx, name, value) {
      return (await engineOf(ctx).setvar(name, value)) as number as HandlerStatus;
    },
    async shutdown(ctx) {
      await engineOf(ctx).shutdown();
    },
    cleanup(ctx) {
      engines.get(ctx)?.close();
      engines.delete(ctx);
    },
  };
}

/** Parsed tables are shared by the instances in a worker (read-only data, not device state). */
const sharedMibs = new Map<string, Promise<MibEntry[]>>();

/** One driver object per instance (instances of snmp-ups may share a worker). */
export default defineDriver<DriverFactory>(() => createSnmpUpsDriver({}, sharedMibs));
