/**
 * usbhid-ups for nut-ts: the plugin entry (runs in a worker). One engine per instance; the
 * device is the host's USB handle, or a recording when `port = replay:<file>`.
 */
import { defineDriver, isTransportError, type DriverContext, type DriverPlugin, type UsbMatch } from '@nut-ts/core/plugin-api';
import { UsbHidDevice, type HidDevice } from './device.js';
import { UsbHidEngine, DeviceGone, claimSubdriver, type EngineOptions } from './engine.js';
import { RecordingDevice, ReplayDevice, loadRecording } from './replay.js';
import { builtinTableFiles, sharedTables, type TableSet } from './table.js';

export { parseReportDescriptor, findObject } from './hid/descriptor.js';
export { getLogical, setLogical, decodeValue, encodeValue, unitExponent } from './hid/value.js';
export { UsageTable } from './hid/usages.js';
export { loadTables, builtinTableFiles } from './table.js';
export { recordingFromNutLog, loadRecording, ReplayDevice } from './replay.js';
export { UsbHidEngine, claimSubdriver } from './engine.js';

const INTERRUPT_TIMEOUT_MS = 750;
/** While the device is away, look for it this often (NUT waits a whole pollinterval). */
const RECONNECT_MS = 2000;

function engineOptions(ctx: DriverContext): EngineOptions {
  const size = ctx.getval('interruptsize');
  let interruptSize = 0;
  if (size !== undefined) {
    interruptSize = Number.parseInt(size, 10);
    if (!(interruptSize > 0)) throw new Error(`Error: invalid interruptsize: ${size}`);
  }
  const sub = ctx.getval('subdriver');
  return {
    pollfreq: ctx.getval('pollfreq') !== undefined ? Number.parseInt(ctx.getval('pollfreq')!, 10) || 0 : 30,
    useInterruptPipe: !ctx.testvar('pollonly'),
    interruptOnly: ctx.testvar('interruptonly'),
    interruptSize,
    maxReport: ctx.testvar('maxreport'),
    onlineDischarge: ctx.testvar('onlinedischarge'),
    explore: ctx.testvar('explore'),
    productidGiven: ctx.getval('productid') !== undefined,
    subdriver: sub ? new RegExp(sub, 'i') : undefined,
  };
}

function usbMatch(ctx: DriverContext, tables: TableSet): UsbMatch {
  const m: UsbMatch = {};
  for (const k of ['vendorid', 'productid', 'vendor', 'product', 'serial', 'bus', 'device', 'busport'] as const) {
    const v = ctx.getval(k);
    if (v !== undefined) m[k] = v;
  }
  if (!ctx.testvar('explore')) {
    // The claim list: every id a table knows; a vendor's unknown products only with `productid`.
    const ids: Array<{ vendorId: number; productId?: number }> = [];
    for (const s of tables.subdrivers) {
      for (const i of s.claim.ids ?? []) {
        ids.push({ vendorId: Number.parseInt(i.vendorId, 16), productId: m.productid ? undefined : Number.parseInt(i.productId, 16) });
      }
    }
    m.ids = ids;
  }
  return m;
}

interface Instance {
  tables: TableSet;
  device?: HidDevice;
  engine?: UsbHidEngine;
  loop?: Promise<void>;
  gone: boolean;
  lastReconnect: number;
  retryScheduled: boolean;
}

export default defineDriver((_instance: { readonly upsname: string }): DriverPlugin => {
  let inst: Instance | undefined;

  async function open(ctx: DriverContext, tables: TableSet): Promise<{ device: HidDevice; engine: UsbHidEngine }> {
    let device: HidDevice;
    const port = ctx.port;
    if (port.startsWith('replay:')) {
      const hexId = (v: string | undefined) => (v && /^[0-9a-fA-F]{1,4}$/.test(v) ? Number.parseInt(v, 16) : undefined);
      const fallback = { vendorId: hexId(ctx.getval('vendorid')), productId: hexId(ctx.getval('productid')) };
      device = new ReplayDevice(loadRecording(port.slice('replay:'.length), fallback), ctx.signal);
    } else {
      const match = usbMatch(ctx, tables);
      let usb = await ctx.openUsb({ ...match, interface: 0 });
      const claimed = claimSubdriver(tables, usb.info, engineOptions(ctx), () => {});
      const iface = claimed?.claim.usb?.interface ?? 0;
      if (iface !== 0) {
        await usb.close();
        usb = await ctx.openUsb({ ...match, interface: iface });
      }
      const quirkIndex = usb.info.vendorId === 0x0463 && usb.info.release === 0x0202 ? 1 : 0;
      device = new UsbHidDevice(usb, { interface: iface, endpointIn: claimed?.claim.usb?.endpointIn ?? 1, descriptorIndex: quirkIndex });
    }
    const record = ctx.getval('record');
    if (record) device = new RecordingDevice(device, record, (m) => ctx.log.warn(m));
    try {
      const descriptor = await device.reportDescriptor();
      const opts = engineOptions(ctx);
      const sub = claimSubdriver(tables, device.info, opts, (m) => ctx.log.info(m));
      if (!sub) throw new Error('No matching HID UPS found');
      const engine = new UsbHidEngine(ctx, device, descriptor, tables, sub, opts);
      if (!engine.desc.objects.length) throw new Error('Failed to parse report descriptor!');
      await engine.identify();
      if (opts.explore) for (const l of await engine.dumpTree()) ctx.log.info(l);
      return { device, engine };
    } catch (e) {
      await device.close().catch(() => {});
      throw e;
    }
  }

  function startInterruptLoop(ctx: DriverContext, i: Instance): void {
    const engine = i.engine!;
    const device = i.device!;
    if (!engine.interruptPipe) return;
    i.loop = (async () => {
      while (!ctx.signal.aborted && i.engine === engine && !i.gone) {
        try {
          const report = await device.interrupt(engine.interruptSize, INTERRUPT_TIMEOUT_MS);
          if (report?.length) {
            engine.queueInterrupt(report);
            ctx.requestUpdate();
          }
        } catch (e) {
          if (ctx.signal.aborted) return;
          if (isTransportError(e, 'ELOST') || isTransportError(e, 'ECLOSED') || isTransportError(e, 'EIO') || isTransportError(e, 'EACCES') || isTransportError(e, 'ENOENT')) {
            i.gone = true;
            ctx.requestUpdate();
            return;
          }
          await ctx.sleep(INTERRUPT_TIMEOUT_MS).catch(() => {});
        }
      }
    })();
  }

  function tablesFor(ctx: DriverContext): TableSet {
    return sharedTables(ctx.tables && ctx.tables.length ? ctx.tables : builtinTableFiles());
  }

  return {
    async initups(ctx) {
      if (ctx.testvar('explore') && ctx.getval('vendorid') === undefined) throw new Error('must specify "vendorid" when using "explore"');
      const tables = tablesFor(ctx);
      const { device, engine } = await open(ctx, tables);
      inst = { tables, device, engine, gone: false, lastReconnect: 0, retryScheduled: false };
      ctx.log.debug(1, `Detected a UPS: ${device.info.manufacturer || 'unknown'}/${device.info.product || 'unknown'}`);
      await engine.init();
    },
    initinfo(ctx) {
      const i = inst!;
      ctx.dstate.setinfo('driver.version.data', i.engine!.subdriver.version);
      ctx.dstate.setinfo('driver.parameter.pollfreq', String(engineOptions(ctx).pollfreq));
      i.engine!.startClock();
      startInterruptLoop(ctx, i);
    },
    async updateinfo(ctx) {
      const i = inst!;
      if (i.gone || !i.engine) {
        const now = ctx.now();
        if (now < i.lastReconnect + Math.min(ctx.pollinterval * 1000, RECONNECT_MS)) return;
        i.lastReconnect = now;
        await i.device?.close().catch(() => {});
        i.engine = undefined;
        try {
          const { device, engine } = await open(ctx, i.tables);
          i.device = device;
          i.engine = engine;
          i.gone = false;
          await engine.init();
          engine.startClock();
          startInterruptLoop(ctx, i);
        } catch (e) {
          ctx.log.debug(1, `reconnect failed: ${(e as Error).message}`);
          ctx.dstate.datastale();
          if (!i.retryScheduled && !ctx.signal.aborted) {
            i.retryScheduled = true;
            void ctx
              .sleep(RECONNECT_MS)
              .then(() => {
                if (!ctx.signal.aborted) ctx.requestUpdate();
              })
              .catch(() => {})
              .finally(() => {
                i.retryScheduled = false;
              });
          }
          return;
        }
      }
      try {
        await i.engine.update();
      } catch (e) {
        if (e instanceof DeviceGone) {
          i.gone = true;
          ctx.dstate.datastale();
          return;
        }
        throw e;
      }
    },
    async instcmd(ctx, command, param) {
      const e = inst?.engine;
      if (!e) return 2;
      return e.instcmd(command, param);
    },
    async setvar(ctx, name, value) {
      const e = inst?.engine;
      if (!e) return 1;
      return e.setvar(name, value);
    },
    async shutdown(ctx) {
      await inst!.engine!.shutdown();
    },
    async cleanup() {
      const i = inst;
      inst = undefined;
      if (!i) return;
      i.gone = true;
      await i.device?.close().catch(() => {});
      await i.loop?.catch(() => {});
    },
  };
});
