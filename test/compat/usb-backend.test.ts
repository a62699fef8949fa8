/**
 * The host's USB backend (node-usb 2.x) against a virtual APC Back-UPS CS 500 built from a
 * real NUT debug log: enumeration, NUT's matching options, descriptors, feature reports,
 * SET_REPORT bytes reaching the device, interrupt reports, unplug/replug and a permission
 * failure. The backend runs in a child process started under the device's environment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBackendChild, type BackendChild } from '../virtual-usb/backend-child.js';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { hexToBytes } from '../virtual-usb/model.js';
import { modelFromLogFile } from '../virtual-usb/model-from-log.js';
import { until } from '../helpers/wait.js';

const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;
const { model } = modelFromLogFile(FIXTURE);

let dev: VirtualUsb | undefined;
let child: BackendChild | undefined;
afterEach(async () => {
  await child?.stop();
  await dev?.stop();
  child = dev = undefined;
});

/** libusb learns of the replug through its hotplug thread: try until it has. */
async function retry<T>(fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const GET_REPORT = (id: number) => ({ requestType: 0xa1, request: 0x01, value: 0x0300 | id, index: 0 });
const SET_REPORT = (id: number) => ({ requestType: 0x21, request: 0x09, value: 0x0300 | id, index: 0 });

describe('USB backend on a virtual HID UPS', () => {
  it('enumerates, matches with NUT options and talks to the device', async () => {
    dev = await startVirtualUsb(model);
    child = await startBackendChild(dev.env);
    const c = child;

    const list = await c.call<Array<Record<string, unknown>>>('listUsb');
    expect(list).toEqual([
      {
        vendorId: 0x051d,
        productId: 0x0002,
        release: 0x0100,
        manufacturer: 'American Power Conversion',
        product: 'Back-UPS 500 FW: 6.5.I USB FW: c1 ',
        serial: 'AB0427******',
        bus: '001',
        device: '002',
        busport: '1-1',
      },
    ]);

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
    await c.call('close', handle);
  });

  it('loses the device on unplug (ELOST) and opens it again after replug on the same port', async () => {
    dev = await startVirtualUsb(model);
    child = await startBackendChild(dev.env);
    const c = child;
    const first = await c.open('openUsb', { vendorid: '051d', productid: '0002' });
    expect(first.info.device).toBe('002');
    const waiting = c.fail('interruptIn', first.handle, 0x81, 8, { timeoutMs: 10_000 });
    await dev.unplug();
    expect((await waiting).code).toBe('ELOST');
    await until('close event', () => c.events.find((e) => e.event === 'close' && e.handle === first.handle));
    expect(c.events.find((e) => e.event === 'close')!.error?.code).toBe('ELOST');
    expect((await c.fail('controlIn', first.handle, GET_REPORT(0x0c), 6)).code).toBe('ELOST');
    expect((await c.fail('openUsb', { vendorid: '051d' })).code).toBe('ENOENT');

    await dev.replug();
    const again = await retry(() => c.open('openUsb', { busport: '1-1' }));
    expect(again.info.busport).toBe('1-1');
    expect(again.info.device).toBe('003'); // a replugged device gets the next address
    expect(await c.call('controlIn', again.handle, GET_REPORT(0x0c), 6)).toBe(model.featureReports!['12']);
  });

  it('serves a vendor-class device (a USB serial bridge) through control, string and interrupt transfers', async () => {
    dev = await startVirtualUsb({
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
    child = await startBackendChild(dev.env);
    const c = child;
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
    dev = await startVirtualUsb(model);
    await dev.setNodeMode(0o600);
    child = await startBackendChild(dev.env, { uid: 65534, gid: 65534 });
    const e = await child.fail('openUsb', { vendorid: '051d' });
    expect(e.code, e.message).toBe('EACCES');
    expect(e.message).toContain('/dev/bus/usb/001/002');
    expect(e.message).toContain('ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", GROUP="nut"');
    expect(e.message).toContain('udevadm');
  });
});
