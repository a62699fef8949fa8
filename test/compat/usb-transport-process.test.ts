/**
 * The product path for a USB UPS: a plugin's device client → the host's TransportService →
 * the transport process (which runs the USB/HID backends) → a virtual APC Back-UPS. Feature
 * reads, a SET_REPORT, an input report pushed to the plugin, unplug (ELOST at the plugin) and
 * replug (the plugin opens the device again). The transport process inherits this test
 * process's environment at fork, so it sees the virtual device.
 */
import { describe, expect, it } from 'vitest';
import { isTransportError, type HidHandle, type TransportError, type UsbHandle } from '../../core/src/plugin-api/transports.js';
import { createDeviceClient } from '../../core/src/transport/client.js';
import { TransportService } from '../../core/src/transport/service.js';
import { retry, until } from '../helpers/wait.js';
import { backUpsCs500, virtualUsbSession } from '../virtual-usb/session.js';

const { model } = backUpsCs500();
const GET_REPORT = (id: number) => ({ requestType: 0xa1, request: 0x01, value: 0x0300 | id, index: 0 });
const SET_REPORT = (id: number) => ({ requestType: 0x21, request: 0x09, value: 0x0300 | id, index: 0 });
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

const session = virtualUsbSession();

describe('USB UPS through the host transport process', () => {
  it('serves reports, SET_REPORT and input reports to a plugin, ELOST on unplug, reopen after replug', async () => {
    const dev = await session.start(model);
    session.lendEnv(); // the transport process is forked with this environment
    const service = new TransportService({ mode: 'process' });
    session.onReset(() => service.close());
    const client = createDeviceClient(service.attach('instance-1', 'ups'));

    const usb: UsbHandle = await client.openUsb({ vendorid: '051d', product: 'back-ups 500.*' });
    expect(service.pid).toBeGreaterThan(0);
    expect(usb.info).toMatchObject({ vendorId: 0x051d, productId: 0x0002, bus: '001', device: '002', busport: '1-1' });
    expect(hex(await usb.controlIn(GET_REPORT(0x0c), 6))).toBe(model.featureReports!['12']);
    expect(await usb.controlOut(SET_REPORT(0x11), Uint8Array.from([0x11, 0x14, 0, 0]))).toBe(4);
    expect(dev.setReports().map((e) => e.hex)).toEqual(['11 14 00 00']);

    const hid: HidHandle = await client.openHid({ vendorid: '051d' });
    const inputs: string[] = [];
    hid.onInput((r) => inputs.push(hex(r)));
    await dev.queueInterrupt('13 00');
    await until('input report at the plugin', () => inputs.includes('13 00'), 10_000);

    const lost: Array<TransportError | undefined> = [];
    usb.onClose((e) => lost.push(e));
    hid.onClose((e) => lost.push(e));
    const waiting = usb.interruptIn(0x81, 8, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await dev.unplug();
    expect(isTransportError(await waiting, 'ELOST')).toBe(true);
    await until('both handles closed with ELOST', () => lost.length === 2 && lost.every((e) => e?.code === 'ELOST'), 10_000);
    expect(isTransportError(await client.openUsb({ vendorid: '051d' }).catch((e: unknown) => e), 'ENOENT')).toBe(true);

    await dev.replug();
    const again = await retry(() => client.openUsb({ vendorid: '051d', busport: '1-1' }), 10_000, 100);
    expect(again.info.device).toBe('003');
    expect(hex(await again.controlIn(GET_REPORT(0x0c), 6))).toBe(model.featureReports!['12']);
    await again.close();
  });
});
