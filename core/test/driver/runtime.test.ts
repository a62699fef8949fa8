import { describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/wait.js';
import { FLAG_IMMUTABLE, type DstateOp } from '../../src/dstate/ops.js';
import type { InstanceSpec, PluginCall } from '../../src/driver/worker-protocol.js';
import type { DriverPlugin } from '../../src/plugin-api/index.js';
import { DriverFatal, DriverRuntime } from '../../src/driver/runtime.js';
import { DRIVER_CORE_VERSION } from '../../src/driver/version.js';
import { testInstanceSpec } from '../../src/driver/test-context.js';

const spec = (over: Partial<InstanceSpec> = {}): InstanceSpec =>
  testInstanceSpec({ upsname: 'u', driver: 'fake-ups', entryPath: '/nonexistent', pluginVersion: '1.23', pluginName: 'Fake driver', port: '/dev/null', confPath: '/tmp', pollinterval: 1, ...over });

function recorder() {
  const batches: DstateOp[][] = [];
  const calls: string[] = [];
  const tracking: Array<[string, number]> = [];
  const logs: string[] = [];
  return {
    batches,
    calls,
    tracking,
    logs,
    hooks: {
      ops: (ops: DstateOp[]) => batches.push(ops),
      enter: (c: PluginCall) => calls.push(`enter ${c}`),
      leave: (c: PluginCall) => calls.push(`leave ${c}`),
      tracking: (id: string, status: number) => tracking.push([id, status]),
      log: (_l: string, m: string) => logs.push(m),
    },
  };
}

const setinfos = (batches: DstateOp[][]) => batches.flat().flatMap((o) => (o.op === 'SETINFO' ? [o.name] : []));

describe('DriverRuntime startup (driver-core.md §4, sock-protocol.md §9)', () => {
  it('publishes in NUT order and copies escaped ups.* into device.*', async () => {
    const r = recorder();
    let seenAtInitups: string[] = [];
    const plugin: DriverPlugin = {
      initups(ctx) {
        seenAtInitups = ['device.type', 'driver.version', 'driver.parameter.port'].filter((n) => ctx.dstate.getinfo(n) !== undefined);
      },
      initinfo(ctx) {
        ctx.dstate.setinfo('ups.mfr', 'ACME "Quoted" Inc');
        ctx.dstate.setinfo('ups.model', 'M1');
      },
      updateinfo(ctx) {
        ctx.status.init();
        ctx.status.set('OL');
        ctx.status.commit();
        ctx.dstate.dataok();
      },
    };
    const rt = new DriverRuntime(spec({ options: { cable: '940', nolock: true, community: 'secret' }, sensitive: ['community'] }), plugin, r.hooks);
    await rt.init();
    rt.publishRuntimeInfo();
    expect(seenAtInitups).toEqual(['device.type', 'driver.parameter.port']);
    const order = setinfos(r.batches);
    const at = (n: string) => order.indexOf(n);
    expect(at('device.type')).toBeLessThan(at('driver.version'));
    expect(at('driver.version')).toBeLessThan(at('ups.mfr'));
    expect(at('ups.status')).toBeLessThan(at('driver.parameter.pollinterval'));
    expect(at('driver.parameter.pollinterval')).toBeLessThan(at('device.mfr'));
    const t = rt.tree;
    expect(t.getValue('driver.version')).toBe(DRIVER_CORE_VERSION);
    expect(t.getValue('driver.version.internal')).toBe('1.23');
    expect(t.getValue('driver.name')).toBe('fake-ups');
    expect(t.getValue('driver.parameter.cable')).toBe('940');
    expect(t.getValue('driver.flag.nolock')).toBe('enabled');
    expect(t.has('driver.parameter.community')).toBe(false);
    expect(t.getValue('driver.parameter.pollinterval')).toBe('1');
    expect(t.getValue('driver.parameter.synchronous')).toBe('auto');
    expect(t.getValue('device.mfr')).toBe('ACME \\"Quoted\\" Inc');
    expect(t.getValue('device.model')).toBe('M1');
    expect(t.has('device.serial')).toBe(false);
    expect(t.stale).toBe(false);
    expect(r.calls).toEqual(['enter initups', 'leave initups', 'enter initinfo', 'leave initinfo', 'enter updateinfo', 'leave updateinfo']);
  });

  it('sends a change made outside a plugin call (a device event) without waiting for the next update', async () => {
    const r = recorder();
    let event: (() => void) | undefined;
    const plugin: DriverPlugin = {
      initinfo(ctx) {
        event = () => ctx.dstate.datastale();
      },
      updateinfo(ctx) {
        ctx.dstate.setinfo('ups.status', 'OL');
        ctx.dstate.dataok();
      },
    };
    const rt = new DriverRuntime(spec(), plugin, r.hooks);
    await rt.init();
    const before = r.batches.length;
    event!();
    expect(r.batches.length).toBe(before); // one batch per turn of the event loop, not per op
    await Promise.resolve();
    expect(r.batches.slice(before)).toEqual([[{ op: 'DATASTALE' }]]);
  });

  it('override.* is IMMUTABLE, default.* may be overwritten, device.type may be overridden', async () => {
    const plugin: DriverPlugin = {
      initinfo(ctx) {
        ctx.dstate.setinfo('ups.mfr', 'Driver');
        ctx.dstate.setinfo('battery.charge', '99');
        ctx.dstate.setinfo('device.type', 'pdu');
      },
      updateinfo() {},
    };
    const rt = new DriverRuntime(spec({ overrides: [['ups.mfr', 'Mine']], defaults: [['battery.charge', '10'], ['x.y', '1']] }), plugin);
    await rt.init();
    expect(rt.tree.getValue('ups.mfr')).toBe('Mine');
    expect(rt.tree.get('ups.mfr')!.flags).toBe(FLAG_IMMUTABLE);
    expect(rt.tree.getValue('battery.charge')).toBe('99');
    expect(rt.tree.getValue('x.y')).toBe('1');
    expect(rt.tree.getValue('device.type')).toBe('pdu');
  });

  it('ignorelb without charge or runtime levels is fatal, with them it is accepted', async () => {
    const bare: DriverPlugin = { updateinfo() {} };
    await expect(new DriverRuntime(spec({ options: { ignorelb: true } }), bare).init()).rejects.toThrow(/ignorelb' flag is set/);
    const levels: DriverPlugin = {
      updateinfo(ctx) {
        ctx.dstate.setinfo('battery.runtime', '100');
        ctx.dstate.setinfo('battery.runtime.low', '60');
      },
    };
    await new DriverRuntime(spec({ options: { ignorelb: true } }), levels).init();
  });

  it('a throwing initups is fatal with the plugin message', async () => {
    const plugin: DriverPlugin = {
      initups() {
        throw new Error('no device');
      },
      updateinfo() {},
    };
    const err = await new DriverRuntime(spec(), plugin).init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverFatal);
    expect((err as Error).message).toBe('no device');
  });

  it('dump mode runs N+1 updates back to back', async () => {
    let n = 0;
    const rt = new DriverRuntime(spec({ pollinterval: 30 }), { updateinfo: () => void n++ });
    await rt.init();
    await rt.dumpUpdates(2);
    expect(n).toBe(1 + 3);
  });

  it('forceShutdown runs initups, shutdown and, as NUT at exit, cleanup', async () => {
    const r = recorder();
    const plugin: DriverPlugin = { initups() {}, initinfo() {}, updateinfo() {}, shutdown() {}, cleanup() {} };
    await new DriverRuntime(spec(), plugin, r.hooks).forceShutdown();
    expect(r.calls).toEqual(['enter initups', 'leave initups', 'enter shutdown', 'leave shutdown', 'enter cleanup', 'leave cleanup']);
  });

  it('forceShutdown runs cleanup also when shutdown fails, but not when initups did', async () => {
    const r = recorder();
    const failing: DriverPlugin = { updateinfo() {}, shutdown() { throw new Error('no'); }, cleanup() {} };
    await expect(new DriverRuntime(spec(), failing, r.hooks).forceShutdown()).rejects.toThrow('no');
    expect(r.calls.slice(-2)).toEqual(['enter cleanup', 'leave cleanup']);
    const r2 = recorder();
    const noInit: DriverPlugin = { initups() { throw new Error('init'); }, updateinfo() {}, cleanup() {} };
    await expect(new DriverRuntime(spec(), noInit, r2.hooks).forceShutdown()).rejects.toThrow('init');
    expect(r2.calls).not.toContain('enter cleanup');
  });
});

describe('DriverRuntime main loop', () => {
  it('one batch per update; commands between updates, never during one; tracking replies', async () => {
    const r = recorder();
    let release: (() => void) | undefined;
    let updates = 0;
    const plugin: DriverPlugin = {
      async updateinfo(ctx) {
        updates++;
        ctx.dstate.setinfo('a.count', updates);
        ctx.dstate.setinfo('b.count', updates * 2);
        if (updates === 2) await new Promise<void>((res) => (release = res));
      },
      instcmd(ctx, cmd) {
        ctx.dstate.setinfo('last.cmd', cmd);
        return cmd === 'load.off' ? 0 : 1;
      },
    };
    const rt = new DriverRuntime(spec({ pollinterval: 1 }), plugin, r.hooks);
    await rt.init();
    const loop = rt.runLoop();
    await until('updateinfo held', () => release !== undefined);
    rt.instcmd('load.off', undefined, 't1');
    rt.instcmd('beeper.on', 'x', 't2');
    await new Promise((res) => setTimeout(res, 50));
    expect(r.tracking).toEqual([]);
    release!();
    await until('both replies', () => r.tracking.length >= 2);
    rt.stop();
    await loop;
    expect(r.tracking).toEqual([
      ['t1', 0],
      ['t2', 1],
    ]);
    const enterLeave = r.calls.filter((c) => c !== 'enter cleanup' && c !== 'leave cleanup');
    for (let i = 0; i < enterLeave.length; i += 2) expect(enterLeave[i].replace('enter', 'leave')).toBe(enterLeave[i + 1]);
    const updateBatches = r.batches.filter((b) => b.some((o) => o.op === 'SETINFO' && o.name === 'a.count'));
    for (const b of updateBatches) expect(b.map((o) => (o.op === 'SETINFO' ? o.name : o.op))).toEqual(['a.count', 'b.count']);
    expect(r.calls.at(-1)).toBe('leave cleanup');
  });

  it('SET without a handler gets no reply; a handler that throws answers FAILED', async () => {
    const r = recorder();
    const rt = new DriverRuntime(spec(), { updateinfo() {} }, r.hooks);
    await rt.init();
    const loop = rt.runLoop();
    rt.setvar('ups.id', 'x', 's1');
    await until('the SET handled', () => r.logs.includes('Got SET, but driver lacks a handler'));
    rt.stop();
    await loop;
    expect(r.tracking).toEqual([]);
    expect(r.logs).toContain('Got SET, but driver lacks a handler');
    const r2 = recorder();
    const rt2 = new DriverRuntime(
      spec(),
      {
        updateinfo() {},
        setvar() {
          throw new Error('boom');
        },
      },
      r2.hooks,
    );
    await rt2.init();
    const loop2 = rt2.runLoop();
    rt2.setvar('ups.id', 'x', 's2');
    await until('the reply', () => r2.tracking.length > 0);
    rt2.stop();
    await loop2;
    expect(r2.tracking).toEqual([['s2', 3]]);
  });

  it('a throwing updateinfo in the loop is fatal, and cleanup still runs', async () => {
    let n = 0;
    let cleaned = false;
    const rt = new DriverRuntime(spec(), {
      updateinfo() {
        if (++n === 2) throw new Error('device gone');
      },
      cleanup() {
        cleaned = true;
      },
    });
    await rt.init();
    await expect(rt.runLoop()).rejects.toThrow('device gone');
    expect(cleaned).toBe(true);
  });
});

/** A clock the test moves: timers fire only when advance() passes their time. */
function virtualClock(start = 1_000_000) {
  let now = start;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    now: () => now,
    timer: {
      set: (fn: () => void, ms: number) => {
        const t = { at: now + ms, fn };
        timers.add(t);
        return t;
      },
      clear: (h: unknown) => void timers.delete(h as { at: number; fn: () => void }),
    },
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.delete(due);
        now = due.at;
        due.fn();
        for (let i = 0; i < 20; i++) await Promise.resolve();
      }
      now = end;
      for (let i = 0; i < 20; i++) await Promise.resolve();
    },
  };
}

describe('the plugins’ clock (virtual in tests)', () => {
  it('ctx.now, ctx.sleep and the poll schedule follow the clock the runtime is given; a stop ends a sleep at once', async () => {
    const clock = virtualClock();
    const seen: number[] = [];
    let sleeping: Promise<void> | undefined;
    const plugin: DriverPlugin = {
      async updateinfo(ctx) {
        seen.push(ctx.now());
        ctx.dstate.dataok();
      },
      instcmd(ctx) {
        sleeping = ctx.sleep(3_600_000);
        return 0;
      },
    };
    const rt = new DriverRuntime(spec({ pollinterval: 10 }), plugin, { now: clock.now, timer: clock.timer });
    await rt.init();
    const loop = rt.runLoop();
    await clock.advance(0);
    expect(seen).toEqual([1_000_000, 1_000_000]);
    await clock.advance(9_999);
    expect(seen).toHaveLength(2);
    await clock.advance(1);
    expect(seen).toEqual([1_000_000, 1_000_000, 1_010_000]);
    await clock.advance(20_000);
    expect(seen).toEqual([1_000_000, 1_000_000, 1_010_000, 1_020_000, 1_030_000]);
    rt.instcmd('x');
    await clock.advance(0);
    expect(sleeping).toBeDefined();
    rt.stop();
    await sleeping;
    await loop;
  });
});
