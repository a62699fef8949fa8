import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeOfUsbError, decodeStringDescriptor, findUdevRule, permissionMessage } from '../../src/transport/usb-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'nut-ts-udev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('permission failures', () => {
  // the shape of NUT's 62-nut-usbups.rules (nut-server 2.8.0)
  const rules = join(dir, '62-nut-usbups.rules');
  writeFileSync(
    rules,
    [
      'ACTION=="remove", GOTO="nut-usbups_rules_end"',
      '#  Back-UPS  - usbhid-ups',
      '# ATTR{idVendor}=="051d", ATTR{idProduct}=="0003", MODE="664", GROUP="nut"',
      'ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", GROUP="nut"',
    ].join('\n'),
  );

  it('finds the rule line for a vendor/product pair, ignoring comments', () => {
    expect(findUdevRule(0x051d, 0x0002, [join(dir, 'missing'), rules])).toEqual({
      file: rules,
      line: 'ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", GROUP="nut"',
    });
    expect(findUdevRule(0x051d, 0x0003, [rules])).toBeUndefined();
  });

  it('names the node and the rule that would fix it', () => {
    const usb = permissionMessage('/dev/bus/usb/003/007', { vendorId: 0x0764, productId: 0x0501 }, 'usb');
    expect(usb).toContain('cannot open /dev/bus/usb/003/007 (USB device 0764:0501): permission denied');
    expect(usb).toMatch(/SUBSYSTEM=="usb", ATTR\{idVendor\}=="0764", ATTR\{idProduct\}=="0501", MODE="664", GROUP="nut"|udev rule for it is installed/);
    expect(usb).toContain('udevadm control --reload-rules');
    const hid = permissionMessage('/dev/hidraw3', { vendorId: 0x0764, productId: 0x0501 }, 'hidraw');
    expect(hid).toContain('cannot open /dev/hidraw3');
    expect(hid).toContain('KERNEL=="hidraw*", SUBSYSTEM=="hidraw", ATTRS{idVendor}=="0764", ATTRS{idProduct}=="0501", MODE="664", GROUP="nut"');
  });
});

describe('libusb results', () => {
  it('maps libusb errors and transfer statuses to transport codes', () => {
    expect(codeOfUsbError({ errno: -3 })).toBe('EACCES');
    expect(codeOfUsbError({ errno: -4 })).toBe('ELOST');
    expect(codeOfUsbError({ errno: 5 })).toBe('ELOST'); // LIBUSB_TRANSFER_NO_DEVICE
    expect(codeOfUsbError({ errno: -6 })).toBe('EBUSY');
    expect(codeOfUsbError({ errno: 2 })).toBe('ETIMEDOUT'); // LIBUSB_TRANSFER_TIMED_OUT
    expect(codeOfUsbError({ errno: -7 })).toBe('ETIMEDOUT');
    expect(codeOfUsbError({ errno: 3 })).toBe('ECLOSED'); // cancelled
    expect(codeOfUsbError({ errno: -1 })).toBe('EIO');
    expect(codeOfUsbError(new Error('x'))).toBe('EIO');
  });

  it('decodes string descriptors (UTF-16LE after length and type)', () => {
    expect(decodeStringDescriptor(Uint8Array.from([0x0a, 0x03, 0x50, 0, 0x62, 0, 0x41, 0, 0x63, 0]))).toBe('PbAc');
    expect(decodeStringDescriptor(Uint8Array.from([0x06, 0x03, 0xe9, 0, 0x26, 0x20]))).toBe('é…');
    expect(decodeStringDescriptor(Uint8Array.from([0x04, 0x02, 0x41, 0]))).toBe(''); // not a string descriptor
    expect(decodeStringDescriptor(Uint8Array.from([0x20, 0x03, 0x41, 0]))).toBe('A'); // bLength beyond the data
  });
});
