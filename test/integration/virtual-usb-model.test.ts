// The converter from NUT debug logs to virtual USB device models (test/virtual-usb), on a
// real log: what it takes must be the bytes and strings the log shows.
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../virtual-usb/model.js';
import { modelFromLogFile, parseDump, readBits } from '../virtual-usb/model-from-log.js';

const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;

describe('model from a NUT debug log', () => {
  const { model, upsc, notes } = modelFromLogFile(FIXTURE);

  it('takes the whole report descriptor across continuation lines', () => {
    const rd = hexToBytes(model.reportDescriptor!);
    expect(rd.length).toBe(374);
    expect(Array.from(rd.subarray(0, 4))).toEqual([0x05, 0x84, 0x09, 0x04]);
    expect(Array.from(rd.subarray(-2))).toEqual([0xc0, 0xc0]);
  });

  it('takes the first Report[get] of each id, ids and strings', () => {
    expect(Object.keys(model.featureReports!)).toHaveLength(23);
    expect(model.featureReports!['12']).toBe('0c 64 00 00 14 0a');
    expect(model.featureReports!['28']).toBe('1c 04 03 07');
    expect(model.usb).toMatchObject({ vendorId: '051d', productId: '0002', bcdDevice: '0100', iProduct: 1, iSerialNumber: 2, iManufacturer: 3 });
    expect(model.usb.product).toBe('Back-UPS 500 FW: 6.5.I USB FW: c1 ');
    expect(model.strings).toEqual({ '1': 'Back-UPS 500 FW: 6.5.I USB FW: c1 ', '2': 'AB0427******', '3': 'American Power Conversion', '4': 'PbAc' });
    expect(upsc.get('battery.type')).toBe('PbAc');
    expect(notes).toEqual([]);
  });

  it('reads index bits after the report id, LSB first', () => {
    expect(readBits(Uint8Array.from([0x0c, 0x64, 0x00, 0x00, 0x14, 0x0a]), 24, 16)).toBe(2580);
  });

  it('refuses a log without descriptor bytes or reports', () => {
    expect(() => parseDump('ups.status: OL\n', 'x.dev')).toThrow(/no "Report Descriptor/);
    expect(() => parseDump('# [D3] Report Descriptor: (3 bytes) => 05 84\n', 'y.dev')).toThrow(/2 bytes, the log announced 3/);
  });
});
