/**
 * The host's USB backend (node-usb 2.x) against a virtual APC Back-UPS CS 500 built from a
 * real NUT debug log: enumeration, NUT's matching options, descriptors, feature reports,
 * SET_REPORT bytes reaching the device, interrupt reports, unplug/replug and a permission
 * failure. The backend runs in a child process started under the device's environment.
 */
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../virtual-usb/model.js';
import { BACK_UPS_CS_500_INFO, backUpsCs500, virtualUsbSession } from '../virtual-usb/session.js';
import { retry, until } from '../helpers/wait.js';

const { model } = backUpsCs500();
const session = virtualUsbSession();

const GET_REPORT = (id: number) => ({ requestType: 0xa1, request: 0x01, value: 0x0300 | id, index: 0 });
const SET_REPORT = (id: number) => ({ requestType: 0x21, request: 0x09, value: 0x0300 | id, index: 0 });

describe('USB backend on a virtual HID UPS', () => {
  it('enumerates, matches with NUT options and talks to the device', async () => {
    const dev = await session.start(model);
    const c = await session.backend();

    const list = await c.call<Array<Record<string, unknown>>>('listUsb');
    expect(list).toEqual([BACK_UPS_CS_500_INFO]);

    // each option, case-insensitive whole-value regexes
    for (const match of [
      { vendorid: '051D', productid: '0002' },
      { vendor: 'american power.*' },
      { product: 'Back-UPS 500 FW: 6\\.5\\.I USB FW: c1' }, // the value's trailing blank is dropped
      { serial: 'AB0427\\*+' },
      { bus: '001' },
      { device: '00[0-9]' },
      { busport: '1-1' },
      { busport: '001' },
      { ids: [{ vendorId: 0x051d }] },
    ]) {
      const opened = await c.open('openUsb', match);
      expect(opened.info.busport, JSON.stringify(match)).toBe('1-1');
      await c.call('close', opened.handle);
    }
    for (const match of [
      { vendor: 'American' }, // a prefix is not a whole match
      { productid: '0003' },
      { serial: '' },
      { bus: '1' },
      { ids: [{ vendorId: 0x0463 }] },
    ]) {
      const e = await c.fail('openUsb', match);
      expect(e.code, JSON.stringify(match)).toBe('ENOENT');
      expect(e.message).toMatch(/^no USB device matches .*seen: 051d:0002 at 1-1/);
    }
    expect((await c.fail('openUsb', { product: '(' })).message).toMatch(/invalid regular expression for product/);

    const { handle } = await c.open('openUsb', { vendorid: '051d' });
    // the HID descriptor inside the configuration gives the report descriptor's length
    const config = hexToBytes(await c.call<string>('configDescriptor', handle));
    const hidAt = config.findIndex((b, i) => b === 9 && config[i + 1] === 0x21);
    const rdLength = config[hidAt + 7]! | (config[hidAt + 8]! << 8);
    expect(rdLength).toBe(hexToBytes(model.reportDescriptor!).length);
    const rd = await c.call<string>('controlIn', handle, { requestType: 0x81, request: 6, value: 0x2200, index: 0 }, rdLength);
    expect(rd).toBe(model.reportDescriptor);

    expect(await c.call('getString', handle, 1)).toBe('Back-UPS 500 FW: 6.5.I USB FW: c1 ');
    expect(await c.call('getString', handle, 4)).toBe('PbAc');
    expect(await c.call('getStringRaw', handle, 4, 0x0409, 255)).toBe('0a 03 50 00 62 00 41 00 63 00');

    expect(await c.call('controlIn', handle, GET_REPORT(0x0c), 6)).toBe(model.featureReports!['12']);
    await dev.setFeature(0x0c, '0c 32 00 00 0a 05');
    expect(await c.call('controlIn', handle, GET_REPORT(0x0c), 6)).toBe('0c 32 00 00 0a 05');
    // a report the device does not have stalls: no data, as NUT reads EPIPE
    expect(await c.call('controlIn', handle, GET_REPORT(0x77), 8)).toBe('');

    expect(await c.call('controlOut', handle, SET_REPORT(0x11), '11 14 00 00')).toBe(4);
    expect(dev.setReports().map((e) => [e.reportType, e.reportId, e.hex])).toEqual([[3, 0x11, '11 14 00 00']]);

    // interrupt IN: nothing queued → ETIMEDOUT without spinning; queued → the report
    const cpu0 = await c.call<{ user: number; system: number }>('cpu');
    const t0 = Date.now();
    const timeout = await c.fail('interruptIn', handle, 0x81, 8, { timeoutMs: 1000 });
    const wall = Date.now() - t0;
    const cpu1 = await c.call<{ user: number; system: number }>('cpu');
    expect(timeout.code).toBe('ETIMEDOUT');
    // a busy loop would burn the whole second; waiting costs a small part of it
    expect((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1000).toBeLessThan(wall / 2);
    const pending = c.call<string>('interruptIn', handle, 0x81, 8, { timeoutMs: 5000 });
    await dev.queueInterrupt('13 00');
    expect(await pending).toBe('13 00');

    // the call's signal and close() end a waiting transfer with ECLOSED
    expect((await c.fail('interruptIn', handle, 0x81, 8, { timeoutMs: 10_000, abortAfterMs: 100 })).code).toBe('ECLOSED');
    const waiting = c.fail('interruptIn', handle, 0x81, 8, { timeoutMs: 10_000 });
    await c.call('close', handle);
    expect((await waiting).code).toBe('ECLOSED');
    await until('close event', () => c.events.find((e) => e.event === 'close' && e.handle === handle));
    expect(c.events.find((e) => e.event === 'close' && e.handle === handle)!.error).toBeNull();
    // the device is free again for the next open
    const reopened = await c.open('openUsb', { vendorid: '051d' });
    expect(await c.call('controlIn', reopened.handle, GET_REPORT(0x13), 2)).toBe(model.featureReports!['19']);
  });

  it('loses the device on unplug (ELOST) and opens it again after replug on the same port', async () => {
    const dev = await session.start(model);
    const c = await session.backend();
    const first = await c.open('openUsb', { vendorid: '051d', productid: '0002' });
    expect(first.info.device).toBe('002');
    const waiting = c.fail('interruptIn', first.handle, 0x81, 8, { timeoutMs: 10_000 });
    await dev.unplug();
    expect((await waiting).code).toBe('ELOST');
    await until('close event', () => c.events.find((e) => e.event === 'close' && e.handle === first.handle));
    expect(c.events.find((e) => e.event === 'close')!.error?.code).toBe('ELOST');
    expect((await c.fail('controlIn', first.handle, GET_REPORT(0x0c), 6)).code).toBe('ELOST');
    expect((await c.fail('openUsb', { vendorid: '051d' })).code).toBe('ENOENT');

    await c.call('watchAttach');
    await dev.replug();
    // hotplug tells the transport the device is back; the open then succeeds at once
    const attached = await until('attach event', () => c.events.find((e) => e.event === 'attach'));
    expect([attached.info?.busport, attached.info?.device]).toEqual(['1-1', '003']);
    const again = await c.open('openUsb', { busport: '1-1' });
    expect(again.info.busport).toBe('1-1');
    expect(again.info.device).toBe('003'); // a replugged device gets the next address
    expect(await c.call('controlIn', again.handle, GET_REPORT(0x0c), 6)).toBe(model.featureReports!['12']);
  });

  it('tells identical units without serial numbers apart by busport, also after a replug', async () => {
    const unit = { ...model, usb: { ...model.usb, serial: '', iSerialNumber: 0 } };
    const dev = await session.start([unit, unit]);
    const c = await session.backend();
    const list = await c.call<Array<{ busport: string; device: string; serial: string }>>('listUsb');
    expect(list.map((d) => [d.busport, d.device, d.serial]).sort()).toEqual([
      ['1-1', '002', ''],
      ['1-2', '003', ''],
    ]);
    const second = await c.open('openUsb', { vendorid: '051d', busport: '1-2' });
    expect(await c.call('controlOut', second.handle, SET_REPORT(0x11), '11 0f 00 00')).toBe(4);
    expect(dev.device(1).setReports().map((e) => e.hex)).toEqual(['11 0f 00 00']);
    expect(dev.device(0).setReports()).toEqual([]);

    await dev.device(1).unplug();
    await until('close event', () => c.events.find((e) => e.event === 'close' && e.handle === second.handle));
    await dev.device(1).replug();
    const back = await retry(() => c.open('openUsb', { vendorid: '051d', busport: '1-2' }));
    expect([back.info.busport, back.info.device]).toEqual(['1-2', '004']);
    const hid = await retry(() => c.open('openHid', { busport: '1-2' }));
    expect(hid.info.device).toBe('004');
  });

  it('serves a vendor-class device (a USB serial bridge) through control, string and interrupt transfers', async () => {
    const dev = await session.start({
      name: 'vendor bridge',
      usb: { vendorId: '0665', productId: '5161', manufacturer: 'INNO TECH', product: 'USB to Serial', port: '2.4' },
      interfaces: [
        {
          class: 'ff',
          endpoints: [
            { address: '81', type: 'interrupt', maxPacketSize: 8 },
            { address: '02', type: 'interrupt', maxPacketSize: 8 },
          ],
        },
      ],
      control: [{ match: { requestType: 'c0', request: '01' }, reply: '28 32 33 30 2e 30' }],
      rawStrings: { '13': '08 03 28 00 31 00 0d 00' },
      reactions: [{ when: { kind: 'interruptOut', prefix: '51 31' }, interrupt: ['28 32 33 30', '2e 30 0d'] }],
    });
    const c = await session.backend();
    const { handle, info } = await c.open('openUsb', { vendorid: '0665', busport: '1-2\\.4' });
    expect(info.busport).toBe('1-2.4');
    expect(await c.call('controlIn', handle, { requestType: 0xc0, request: 1, value: 0, index: 0 }, 8)).toBe('28 32 33 30 2e 30');
    expect(await c.call('getStringRaw', handle, 13, 0x0409, 255)).toBe('08 03 28 00 31 00 0d 00');
    expect(await c.call('interruptOut', handle, 0x02, '51 31 0d')).toBe(3);
    expect(await c.call('interruptIn', handle, 0x81, 8)).toBe('28 32 33 30');
    expect(await c.call('interruptIn', handle, 0x81, 8)).toBe('2e 30 0d');
    expect(dev.outLog().map((e) => [e.kind, e.hex])).toEqual([['interruptOut', '51 31 0d']]);
    expect((await c.fail('openHid', {})).code).toBe('ENOENT'); // no HID interface, no hidraw node
  });

  it('turns a permission failure into the device node and the udev rule', async () => {
    const dev = await session.start(model);
    await dev.setNodeMode(0o600);
    const child = await session.backend({ uid: 65534, gid: 65534 });
    const e = await child.fail('openUsb', { vendorid: '051d' });
    expect(e.code, e.message).toBe('EACCES');
    expect(e.message).toContain('/dev/bus/usb/001/002');
    expect(e.message).toContain('ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", GROUP="nut"');
    expect(e.message).toContain('udevadm');
  });
});
