/**
 * The plugin in-process over a USB handle that answers from a real device's recording (the
 * live path: ctx.openUsb, control transfers, interrupt endpoint). Expected values come from
 * the recording's own upsc/upscmd output and from the report descriptor.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/wait.js';
import factory from '../src/index.js';
import { loadRecording } from '../src/replay.js';
import { makeInstance, start, stop, values, type TestInstance } from './helpers/context.js';
import { RecordedUsbHandle } from './helpers/recorded-usb.js';

const FIXTURE = join(__dirname, 'fixtures', 'APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev');
const fixtureText = readFileSync(FIXTURE, 'utf8');
const recording = loadRecording(FIXTURE);
const hex = (b?: Uint8Array) => (b ? Buffer.from(b).toString('hex') : '');

function upsc(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of text.split('\n')) {
    const m = /^([a-z][a-z0-9_.]*): (.*)$/.exec(l);
    if (m && !m[1].startsWith('driver.')) out[m[1]] = m[2];
  }
  return out;
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function live(options: Record<string, string | true> = {}) {
  const plugin = factory({ upsname: 'ups' });
  let handle = new RecordedUsbHandle(recording);
  const inst: TestInstance = makeInstance({ options, usb: async () => handle });
  const replug = () => (handle = new RecordedUsbHandle(recording));
  await start(plugin, inst);
  cleanup.push(() => stop(plugin, inst));
  return { plugin, inst, handle: () => handle, replug };
}

describe('usbhid-ups over a USB device (live path)', () => {
  it('asks the host for the device with the ups.conf options and the subdrivers claim list', async () => {
    const { inst } = await live({ vendorid: '051d', serial: 'AB0427.*' });
    expect(inst.matches[0]).toMatchObject({ vendorid: '051d', serial: 'AB0427.*', interface: 0 });
    expect(inst.matches[0].ids).toContainEqual({ vendorId: 0x051d, productId: 0x0002 });
    expect(inst.matches[0].ids).toContainEqual({ vendorId: 0x0463, productId: 0xffff });
  });

  it('reads the descriptor and feature reports with NUT\'s requests and publishes what NUT published', async () => {
    const { inst, handle } = await live();
    const ins = handle().controls.filter((c) => c.direction === 'in');
    expect(ins[0].setup).toEqual({ requestType: 0x81, request: 0x06, value: 0x2200, index: 0 });
    const gets = ins.slice(1);
    expect(gets.length).toBeGreaterThan(10);
    for (const g of gets) {
      expect(g.setup.requestType).toBe(0xa1);
      expect(g.setup.request).toBe(0x01);
      expect(g.setup.value >> 8).toBe(3);
      expect(g.setup.index).toBe(0);
    }
    const expected = upsc(fixtureText);
    const got = values(inst.tree);
    // battery.type: the chemistry string is not in the log (see replay-fixtures.test.ts).
    for (const [k, v] of Object.entries(expected)) if (k !== 'battery.type' && !k.startsWith('device.')) expect([k, got[k]]).toEqual([k, v]);
  });

  it('offers the commands NUT offered for this device (upscmd -l in the recording)', async () => {
    const { inst } = await live();
    const nut = [...fixtureText.matchAll(/^#CMD:(\S+)/gm)].map((m) => m[1]).sort();
    expect(nut.length).toBe(3);
    expect([...inst.tree.commands()].sort()).toEqual(nut);
  });

  it('shutdown.reboot writes its default (10) into APCDelayBeforeReboot: SET_REPORT 0x40, one byte', async () => {
    const { plugin, inst, handle } = await live();
    expect(await plugin.instcmd!(inst.ctx, 'shutdown.reboot')).toBe(0);
    const out = handle().controls.filter((c) => c.direction === 'out');
    expect(out).toHaveLength(1);
    expect(out[0].setup).toEqual({ requestType: 0x21, request: 0x09, value: 0x0340, index: 0 });
    expect(hex(out[0].data)).toBe('400a');
    expect(await plugin.instcmd!(inst.ctx, 'load.off')).toBe(2);
  });

  it('-k: shutdown.return has no row nor its load.on.delay/load.off.delay parts here, so shutdown.reboot does it', async () => {
    const { plugin, inst, handle } = await live();
    await plugin.shutdown!(inst.ctx);
    expect(handle().controls.filter((c) => c.direction === 'out').map((c) => hex(c.data))).toEqual(['400a']);
  });

  it('setvar writes the new limit into RemainingCapacityLimit (report 0x11, 24 bits) and re-reads semi-static rows', async () => {
    const { plugin, inst, handle } = await live();
    const v = inst.tree.get('battery.charge.low')!;
    expect(v.value).toBe('10');
    expect(v.flags & 0x3).toBe(0x3); // RW | STRING
    expect(v.aux).toBe(10);
    expect(await plugin.setvar!(inst.ctx, 'battery.charge.low', '15')).toBe(0);
    const out = handle().controls.filter((c) => c.direction === 'out');
    expect(hex(out[0].data)).toBe('110f0000');
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.getValue('battery.charge.low')).toBe('15');
  });

  it('an interrupt report reaches ups.status at once (requestUpdate), before the next poll', async () => {
    const { plugin, inst, handle } = await live();
    expect(inst.tree.getValue('ups.status')).toBe('OL');
    const before = inst.requested;
    handle().pushInterrupt(new Uint8Array([0x13, 0x00])); // ACPresent = 0
    await until('requestUpdate', () => inst.requested > before, 1000);
    await plugin.updateinfo(inst.ctx); // what the runtime does on requestUpdate; the clock has not moved
    expect(inst.tree.getValue('ups.status')).toBe('OB');
  });

  it('unplug makes the data stale; the device coming back brings it back without a restart', async () => {
    const { plugin, inst, handle, replug } = await live();
    handle().unplug();
    inst.clock.now += 3000;
    await plugin.updateinfo(inst.ctx);
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.stale).toBe(true);
    replug();
    inst.clock.now += 3000;
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.stale).toBe(false);
    expect(inst.tree.getValue('battery.charge')).toBe('100');
  });
});

describe('polling as NUT does', () => {
  it('a quick poll each pollinterval reads only quick-poll rows; a full poll every pollfreq reads the rest', async () => {
    const { plugin, inst, handle } = await live();
    // Report 0x0c: RemainingCapacity (24 bits) and RunTimeToEmpty (16 bits); 0x13: ACPresent.
    handle().setFeatureReport(new Uint8Array([0x0c, 50, 0, 0, 0x08, 0x07]));
    handle().setFeatureReport(new Uint8Array([0x13, 0x00]));
    inst.clock.now += 3000;
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.getValue('ups.status')).toBe('OB'); // ACPresent is a quick-poll row
    expect(inst.tree.getValue('battery.charge')).toBe('100'); // RemainingCapacity is not
    inst.clock.now += 30_000;
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.getValue('battery.charge')).toBe('50');
    expect(inst.tree.getValue('battery.runtime')).toBe('1800');
  });

  it('pollfreq sets the full-poll period and is published', async () => {
    const { plugin, inst, handle } = await live({ pollfreq: '5' });
    expect(inst.tree.getValue('driver.parameter.pollfreq')).toBe('5');
    handle().setFeatureReport(new Uint8Array([0x0c, 42, 0, 0, 0x08, 0x07]));
    inst.clock.now += 6000;
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.getValue('battery.charge')).toBe('42');
  });

  it('pollonly: the interrupt endpoint is never read', async () => {
    const { plugin, inst, handle } = await live({ pollonly: true });
    const before = inst.requested;
    handle().pushInterrupt(new Uint8Array([0x13, 0x00]));
    await plugin.updateinfo(inst.ctx);
    expect(handle().interruptReads).toBe(0);
    expect(inst.requested).toBe(before);
    expect(inst.tree.getValue('ups.status')).toBe('OL');
  });

  it('interruptonly: no GET_REPORT at all; rows read the input objects, filled by interrupt reports', async () => {
    const { plugin, inst, handle } = await live({ interruptonly: true });
    expect(handle().controls.filter((c) => c.setup.request === 0x01)).toEqual([]);
    handle().pushInterrupt(new Uint8Array([0x0c, 77, 0, 0, 0x10, 0x0e]));
    await until('requestUpdate', () => inst.requested > 0, 1000);
    inst.clock.now += 31_000;
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.getValue('battery.charge')).toBe('77');
    expect(inst.tree.getValue('battery.runtime')).toBe('3600');
  });
});

describe('options that change what is published', () => {
  // Report 0x06: Charging, Discharging, APC status flag.
  const discharging = new Uint8Array([0x06, 0x00, 0x01, 0x08]);

  it('OL with DISCHRG: NUT keeps OL and warns; onlinedischarge makes it OB', async () => {
    const a = await live();
    a.handle().setFeatureReport(discharging);
    a.inst.clock.now += 31_000;
    await a.plugin.updateinfo(a.inst.ctx);
    expect(a.inst.tree.getValue('ups.status')).toBe('OL DISCHRG');
    expect(a.inst.logs.some((l) => /OL\+DISCHRG state now.*onlinedischarge/.test(l))).toBe(true);
    const b = await live({ onlinedischarge: true });
    b.handle().setFeatureReport(discharging);
    b.inst.clock.now += 31_000;
    await b.plugin.updateinfo(b.inst.ctx);
    expect(b.inst.tree.getValue('ups.status')).toBe('OB DISCHRG');
  });

  it('lowbatt replaces battery.charge.low when the device has it', async () => {
    const { inst } = await live({ lowbatt: '25' });
    expect(inst.tree.getValue('battery.charge.low')).toBe('25');
  });

  it('explore needs vendorid', async () => {
    const plugin = factory({ upsname: 'ups' });
    const inst = makeInstance({ options: { explore: true } });
    await expect(plugin.initups!(inst.ctx)).rejects.toThrow('must specify "vendorid" when using "explore"');
  });
});

describe('recording a device and replaying the recording', () => {
  it('record=<file> writes what passed; replay:<file> of it gives the same data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'usbhid-rec-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'cs500.json');
    const { inst } = await live({ record: file });
    const first = values(inst.tree);
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    expect(rec.format).toBe('nut-ts-usbhid-recording');
    expect(rec.descriptor).toBe(recording.descriptor);
    const plugin = factory({ upsname: 'ups' });
    const again = makeInstance({ port: `replay:${file}` });
    await start(plugin, again);
    cleanup.push(() => stop(plugin, again));
    const second = values(again.tree);
    delete first['driver.parameter.record'];
    expect(second).toEqual(first);
  });
});
