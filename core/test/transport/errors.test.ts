import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/plugin-api/transports.js';
import { codeOf, fromWire, toTransportError, toWire } from '../../src/transport/errors.js';

describe('transport error mapping', () => {
  it('maps errno names and the texts libraries give to codes', () => {
    expect(codeOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(codeOf(new Error('Error: No such file or directory, cannot open /dev/ttyS9'))).toBe('ENOENT');
    expect(codeOf(new Error('Error: Permission denied, cannot open /dev/ttyS0'))).toBe('EACCES');
    expect(codeOf(new Error('Error Resource temporarily unavailable Cannot lock port'))).toBe('EBUSY');
    expect(codeOf(new Error('LIBUSB_ERROR_ACCESS'))).toBe('EACCES');
    expect(codeOf(new Error('LIBUSB_ERROR_NO_DEVICE'))).toBe('ELOST');
    expect(codeOf(new Error('LIBUSB_ERROR_TIMEOUT'))).toBe('ETIMEDOUT');
    expect(codeOf(new Error('Input/output error'))).toBe('EIO');
    expect(codeOf(new TransportError('ECLOSED', 'closed'))).toBe('ECLOSED');
  });

  it('names the node and the fix on a permission failure', () => {
    const e = toTransportError(new Error('Error: Permission denied, cannot open /dev/null-ish'), '/dev/ttyS0', 'serial');
    expect(e.code).toBe('EACCES');
    expect(e.message).toMatch(/^open \/dev\/ttyS0: permission denied; /);
    expect(e.message).toMatch(/usermod -a -G \w+ nut/);
    const u = toTransportError(new Error('LIBUSB_ERROR_ACCESS'), '/dev/bus/usb/001/004', 'usb');
    expect(u.message).toContain('/dev/bus/usb/001/004');
    expect(u.message).toContain('udev');
  });

  it('says a held lock the way NUT does', () => {
    const e = toTransportError(new Error('Error Resource temporarily unavailable Cannot lock port'), '/dev/ttyS0', 'serial');
    expect(e).toMatchObject({ code: 'EBUSY', message: '/dev/ttyS0 is locked by another process' });
  });

  it('crosses a message channel as plain data and comes back a TransportError', () => {
    const back = fromWire(structuredClone(toWire(new TransportError('ELOST', 'gone'))));
    expect(back).toBeInstanceOf(TransportError);
    expect(back).toMatchObject({ code: 'ELOST', message: 'gone' });
    expect(toWire(new Error('Permission denied'))).toEqual({ code: 'EACCES', message: 'Permission denied' });
  });
});
