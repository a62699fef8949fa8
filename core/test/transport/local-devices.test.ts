/** LocalDevices.listUsb: everything the backend sees, or only what a match passes. */
import { describe, expect, it } from 'vitest';
import type { UsbDeviceInfo } from '../../src/plugin-api/transports.js';
import { LocalDevices } from '../../src/transport/local-devices.js';

const device = (vendorId: number, serial: string): UsbDeviceInfo => ({
  vendorId,
  productId: 2,
  release: 0x100,
  manufacturer: 'Maker',
  product: 'UPS',
  serial,
  bus: '001',
  device: '002',
  busport: '1-1',
});

describe('LocalDevices.listUsb', () => {
  const seen = [device(0x051d, 'AS1234'), device(0x051d, 'AS9999'), device(0x0463, 'E1')];
  const devices = new LocalDevices({ usb: { listUsb: () => Promise.resolve(seen), openUsb: () => Promise.reject(new Error('unused')) } });

  it('lists every device without a match', async () => {
    expect(await devices.listUsb()).toEqual(seen);
  });

  it("lists only the devices that pass a match (NUT's rules: regex, case-insensitive, whole value)", async () => {
    expect(await devices.listUsb({ match: { vendorid: '051D', serial: 'as1234' } })).toEqual([seen[0]]);
    expect(await devices.listUsb({ match: { serial: 'AS.*' } })).toEqual([seen[0], seen[1]]);
    expect(await devices.listUsb({ match: { vendorid: '9999' } })).toEqual([]);
  });
});
