/**
 * nutdrv_qx for nut-ts: the Q1/Megatec protocol family (NUT 2.8.0's "Generic Q* USB/Serial
 * driver"). One engine per instance, created by the factory below.
 */
import { defineDriver, HandlerStatus, type DriverContext, type DriverPlugin } from '@nut-ts/core/plugin-api';
import { builtinTableFiles } from './builtin.js';
import { detectProtocol } from './detect.js';
import { QxEngine, type EngineHost, type QxLink } from './engine.js';
import { builtinFunctions, type FunctionSet } from './functions/index.js';
import { openSerialLink } from './serial-link.js';
import { openUsbLink } from './usb/link.js';
import { loadTables, type ProtocolTable } from './table.js';

export { QxEngine, QxFatal, type QxLink, type EngineHost } from './engine.js';
export { loadTable, loadTables, type ProtocolTable } from './table.js';
export { builtinTableFiles } from './builtin.js';
export { builtinFunctions } from './functions/index.js';

/** Options NUT's driver decides USB from (upsdrv_initups). */
const USB_KEYS = ['subdriver', 'vendorid', 'productid', 'vendor', 'product', 'serial', 'bus', 'langid_fix'];

export interface NutdrvQxOptions {
  /** Table files instead of the host's list / the shipped tables. */
  tables?: readonly string[];
  /** Functions beyond the built-in ones (a vendor table's own). */
  functions?: FunctionSet;
  /** Link factory, for tests that talk to a simulator in-process. */
  link?: (ctx: DriverContext) => Promise<QxLink & { close?(): Promise<void> }>;
}

export function engineHost(ctx: DriverContext): EngineHost {
  return {
    dstate: ctx.dstate,
    status: ctx.status,
    alarm: ctx.alarm,
    getval: (n) => ctx.getval(n),
    testvar: (n) => ctx.testvar(n),
    info: (m) => ctx.log.info(m),
    debug: (l, m) => ctx.log.debug(l, m),
    now: () => ctx.now(),
  };
}

export function createNutdrvQx(opts: NutdrvQxOptions = {}): DriverPlugin {
  let engine: QxEngine | undefined;
  let link: (QxLink & { close?(): Promise<void> }) | undefined;
  let tables: ProtocolTable[] | undefined;
  const fns = opts.functions ? { ...builtinFunctions, ...opts.functions } : builtinFunctions;
  const need = (): QxEngine => {
    if (!engine) throw new Error('nutdrv_qx: initups did not run');
    return engine;
  };
  return {
    async initups(ctx) {
      const usb = ctx.port.toLowerCase() === 'auto' || USB_KEYS.some((k) => ctx.getval(k) !== undefined);
      const files = opts.tables ?? (ctx.tables && ctx.tables.length ? ctx.tables : builtinTableFiles());
      tables ??= loadTables(files);
      link = opts.link ? await opts.link(ctx) : usb ? await openUsbLink(ctx) : await openSerialLink(ctx);
      engine = await detectProtocol(tables, fns, link, engineHost(ctx), ctx.getval('protocol'));
      if (!engine) {
        ctx.log.error('Device not supported!');
        throw new Error('Device not supported!');
      }
      engine.initups();
    },
    async initinfo() {
      await need().initinfo();
    },
    async updateinfo() {
      await need().updateinfo();
    },
    async instcmd(_ctx, command, param) {
      return need().instcmd(command, param);
    },
    async setvar(_ctx, name, value) {
      return need().setvar(name, value);
    },
    async shutdown(ctx) {
      const message = await need().shutdown(ctx.testvar('stayoff'));
      ctx.log.info(message);
    },
    async cleanup() {
      await link?.close?.();
      link = undefined;
    },
  };
}

export default defineDriver(() => createNutdrvQx());
export { HandlerStatus };
