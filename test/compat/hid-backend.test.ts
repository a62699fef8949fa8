/**
 * The host's HID backend (node-hid 3.x, hidraw) against the same virtual APC Back-UPS CS 500:
 * matching, report descriptor, feature reports, SET_REPORT bytes reaching the device, input
 * reports as they arrive, unplug/replug and a permission failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBackendChild, type BackendChild } from '../virtual-usb/backend-child.js';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
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

describe('HID backend on a virtual HID UPS', () => {
  it('matches, reads descriptor and reports, writes feature reports, gets input reports, survives a replug', async () => {
    dev = await startVirtualUsb(model);
    child = await startBackendChild(dev.env);
    const c = child;

    expect((await c.fail('openHid', { product: 'Back-UPS' })).code).toBe('ENOENT');
    expect((await c.fail('openHid', { vendorid: '0463' })).message).toMatch(/^no HID device matches vendorid=0463; seen: 051d:0002 at \/dev\/hidraw0/);
    const { handle, info } = await c.open('openHid', { vendor: 'AMERICAN POWER CONVERSION', serial: 'ab0427.*', busport: '1-1' });
    expect(info).toEqual({
      vendorId: 0x051d,
      productId: 0x0002,
      release: 0x0100,
      manufacturer: 'American Power Conversion',
      product: 'Back-UPS 500 FW: 6.5.I USB FW: c1 ',
      serial: 'AB0427******',
      bus: '001',
      device: '002',
      busport: '1-1',
    });

    expect(await c.call('reportDescriptor', handle)).toBe(model.reportDescriptor);
    expect(await c.call('getFeature', handle, 0x0c, 6)).toBe(model.featureReports!['12']);
    await dev.setFeature(0x13, '13 00');
    expect(await c.call('getFeature', handle, 0x13, 2)).toBe('13 00');

    expect(await c.call('setFeature', handle, '35 01')).toBe(2);
    expect(dev.setReports().map((e) => [e.reportType, e.reportId, e.hex])).toEqual([[3, 0x35, '35 01']]);

    await c.call('watchInput', handle);
    await dev.queueInterrupt('14 01 01');
    const input = await until('input report', () => c.events.find((e) => e.event === 'input'));
    expect(input.hex).toBe('14 01 01');

    await dev.unplug();
    const closed = await until('close event', () => c.events.find((e) => e.event === 'close' && e.handle === handle));
    expect(closed.error?.code).toBe('ELOST');
    expect((await c.fail('getFeature', handle, 0x0c, 6)).code).toBe('ELOST');
    expect((await c.fail('openHid', { vendorid: '051d' })).code).toBe('ENOENT');

    await dev.replug();
    const again = await retry(() => c.open('openHid', { vendorid: '051d', busport: '1-1' }));
    expect(again.info.device).toBe('003');
    expect(await c.call('getFeature', again.handle, 0x0c, 6)).toBe(model.featureReports!['12']);
  });

  it('turns a permission failure into the hidraw node and the udev rule', async () => {
    dev = await startVirtualUsb(model);
    await dev.setNodeMode(0o600);
    child = await startBackendChild(dev.env, { uid: 65534, gid: 65534 });
    const e = await child.fail('openHid', { vendorid: '051d' });
    expect(e.code, e.message).toBe('EACCES');
    expect(e.message).toContain('/dev/hidraw0');
    expect(e.message).toContain('SUBSYSTEM=="hidraw", ATTRS{idVendor}=="051d", ATTRS{idProduct}=="0002"');
  });
});
