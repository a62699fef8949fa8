/**
 * The USB and HID backends behind the broker, as a plugin worker reaches them: a virtual APC
 * Back-UPS (umockdev) seen only by the transport process, handles proxied method by method,
 * input reports forwarded as they arrive, and a SIGSEGV of the transport process ending in
 * ELOST and a reopen in the new process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isTransportError, type HidHandle } from '../../core/src/plugin-api/transports.js';
import { createDeviceClient } from '../../core/src/transport/client.js';
import { TransportService } from '../../core/src/transport/service.js';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { modelFromLogFile } from '../virtual-usb/model-from-log.js';
import { until } from '../helpers/wait.js';

const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;
const { model } = modelFromLogFile(FIXTURE);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

let dev: VirtualUsb | undefined;
let service: TransportService | undefined;
afterEach(async () => {
  await service?.close();
  await dev?.stop();
  service = dev = undefined;
});

describe('USB and HID through the transport process', () => {
  it('proxies HID and USB handles, forwards input reports, and reopens after the process dies', async () => {
    dev = await startVirtualUsb(model);
    const logs: string[] = [];
    service = new TransportService({ env: { ...process.env, ...dev.env }, log: (level, m) => logs.push(`${level} ${m}`) });
    const devices = createDeviceClient(service.attach('ups#1', 'ups'));

    const listed = await devices.listUsb();
    expect(listed.map((d) => [d.vendorId, d.productId, d.busport])).toEqual([[0x051d, 0x0002, '1-1']]);

    const hid = (await devices.openHid({ vendorid: '051d', serial: 'ab0427.*' })) as HidHandle;
    expect(hid.info).toMatchObject({ vendorId: 0x051d, productId: 0x0002, manufacturer: 'American Power Conversion', busport: '1-1' });
    expect(hex(await hid.reportDescriptor())).toBe(model.reportDescriptor!.replace(/\s+/g, '').toLowerCase());
    expect(hex(await hid.getFeature(0x0c, 6, { timeoutMs: 2000 }))).toBe(model.featureReports!['12'].replace(/\s+/g, '').toLowerCase());

    const inputs: string[] = [];
    hid.onInput((report) => inputs.push(hex(report)));
    await dev.queueInterrupt('13 00');
    await until('the input report', () => inputs.includes('1300'), 10_000);

    const closed = new Promise((resolve) => hid.onClose((e) => resolve(e)));
    const pid = service.pid!;
    process.kill(pid, 'SIGSEGV');
    const lost = await closed;
    expect(isTransportError(lost, 'ELOST')).toBe(true);
    expect((lost as Error).message).toBe('device lost: the device transport process was killed by SIGSEGV');
    expect(isTransportError(await hid.getFeature(0x0c, 6).catch((e: unknown) => e), 'ELOST')).toBe(true);

    const usb = await devices.openUsb({ vendorid: '051d' });
    expect(service.pid).not.toBe(pid);
    const descriptor = await usb.controlIn({ requestType: 0x80, request: 6, value: 0x0100, index: 0 }, 18, { timeoutMs: 2000 });
    expect([...descriptor.subarray(8, 12)]).toEqual([0x1d, 0x05, 0x02, 0x00]);
    await usb.close();
    expect(logs.some((l) => l.startsWith('error device transport process was killed by SIGSEGV; 1 open device handle(s) lost'))).toBe(true);
  });
});
