/**
 * The host's HID backend (node-hid 3.x, hidraw) against the same virtual APC Back-UPS CS 500:
 * matching, report descriptor, feature reports, SET_REPORT bytes reaching the device, input
 * reports as they arrive, unplug/replug and a permission failure.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BACK_UPS_CS_500_INFO, backUpsCs500, virtualUsbSession } from '../virtual-usb/session.js';
import { retry, until } from '../helpers/wait.js';

const { model } = backUpsCs500();
const session = virtualUsbSession();

describe('HID backend on a virtual HID UPS', () => {
  it('matches, reads descriptor and reports, writes feature reports, gets input reports, survives a replug', async () => {
    const dev = await session.start(model);
    const c = await session.backend();

    expect((await c.fail('openHid', { product: 'Back-UPS' })).code).toBe('ENOENT');
    expect((await c.fail('openHid', { vendorid: '0463' })).message).toMatch(/^no HID device matches vendorid=0463; seen: 051d:0002 at \/dev\/hidraw0/);
    const { handle, info } = await c.open('openHid', { vendor: 'AMERICAN POWER CONVERSION', serial: 'ab0427.*', busport: '1-1' });
    expect(info).toEqual(BACK_UPS_CS_500_INFO);

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
    const closed = await until('close event', () => c.events.find((e) => e.event === 'close' && e.handle === handle), 10_000);
    expect(closed.error?.code).toBe('ELOST');
    expect((await c.fail('getFeature', handle, 0x0c, 6)).code).toBe('ELOST');
    expect((await c.fail('openHid', { vendorid: '051d' })).code).toBe('ENOENT');

    await dev.replug();
    const again = await retry(() => c.open('openHid', { vendorid: '051d', busport: '1-1' }));
    expect(again.info.device).toBe('003');
    expect(await c.call('getFeature', again.handle, 0x0c, 6)).toBe(model.featureReports!['12']);
  });

  it('turns a permission failure into the hidraw node and the udev rule', async () => {
    const dev = await session.start(model);
    await dev.setNodeMode(0o600);
    const child = await session.backend({ uid: 65534, gid: 65534 });
    const e = await child.fail('openHid', { vendorid: '051d' });
    expect(e.code, e.message).toBe('EACCES');
    expect(e.message).toContain('/dev/hidraw0');
    expect(e.message).toContain('SUBSYSTEM=="hidraw", ATTRS{idVendor}=="051d", ATTRS{idProduct}=="0002"');
  });

  it('answers the hidraw ioctls and read() as the kernel does (what hidapi and NUT-style code call)', async () => {
    const dev = await session.start({ ...model, interrupt: ['13 00'] });
    const py = String.raw`
import array, fcntl, json, os, struct
def ioc(d, nr, size): return (d << 30) | (size << 16) | (ord('H') << 8) | nr
fd = os.open('/dev/hidraw0', os.O_RDWR)
size = array.array('i', [0]); fcntl.ioctl(fd, ioc(2, 1, 4), size)
rd = bytearray(4100); struct.pack_into('<I', rd, 0, size[0]); fcntl.ioctl(fd, ioc(2, 2, 4100), rd)
feature = bytearray(6); feature[0] = 0x0c; fcntl.ioctl(fd, ioc(3, 7, 6), feature)
fcntl.ioctl(fd, ioc(3, 6, 4), bytearray([0x11, 0x0f, 0, 0]))
print(json.dumps({'size': size[0], 'rd': rd[4:4 + size[0]].hex(), 'feature': feature.hex(), 'read': os.read(fd, 64).hex()}))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', py], { env: { ...process.env, ...dev.env }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, unknown>;
    const hex = (s: string) => s.replace(/ /g, '');
    expect(got).toEqual({
      size: 374,
      rd: hex(model.reportDescriptor!),
      feature: hex(model.featureReports!['12']!),
      read: '1300',
    });
    expect(dev.setReports().map((e) => e.hex)).toEqual(['11 0f 00 00']);
  });
});
