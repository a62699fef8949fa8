/**
 * Keeps the virtual USB device honest: NUT 2.8.0's own usbhid-ups, reading the model built
 * from a real device's debug log, must publish what NUT published from the real device
 * (the upsc lines recorded in the same file). Also: NUT's matching options see the virtual
 * device as they would a real one, a command sent through NUT's upsd reaches the device as a
 * SET_REPORT that the harness logs, and NUT loses the device on unplug and takes it again
 * after replug.
 *
 * Lines that legitimately differ and are left out of the comparison: driver.* (driver
 * version, libusb version, the parameters of this run; the dump was made with a later NUT,
 * which also prints driver.state).
 */
import { describe, expect, it } from 'vitest';
import { freePort, requireOracle, startNutUpsd } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import { dumpVars, nutDumpOnVirtualUsb, untilAccepted } from '../virtual-usb/nut.js';
import { backUpsCs500, virtualUsbSession } from '../virtual-usb/session.js';

const USBHID = '/lib/nut/usbhid-ups';
const session = virtualUsbSession('nut-ts-vusb-');
const runNut = () => nutDumpOnVirtualUsb(session.sb, session.dev, 'ups');

/** NUT's driver in the foreground at -DD, after its first update; the output it has written so far. */
async function nutDebugLog(): Promise<() => string> {
  const nut = session.spawn(USBHID, ['-a', 'ups', '-F', '-DD', '-u', 'root']);
  let log = '';
  nut.stdout!.on('data', (d: Buffer) => (log += d.toString('latin1')));
  nut.stderr!.on('data', (d: Buffer) => (log += d.toString('latin1')));
  await until('first update', () => /Detected a UPS[\s\S]*upsdrv_updateinfo/.test(log), 30_000);
  return () => log;
}

describe("NUT 2.8.0's usbhid-ups on the virtual device", () => {
  it('reproduces the upsc dump recorded from the real device', async () => {
    requireOracle(USBHID);
    const { model, upsc } = backUpsCs500();
    // NUT's own matching: ids as 4-digit hex, strings case-insensitive, whole value (trailing blank dropped)
    await session.start(model, '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tvendorid = 051D\n\tproduct = "back-ups 500 fw: .* c1"\n');
    const r = runNut();
    expect(r.status, r.stderr).toBe(0);
    const expected = dumpVars([...upsc].map(([k, v]) => `${k}: ${v}`).join('\n'));
    expect(expected.size).toBeGreaterThan(20);
    expect(dumpVars(r.stdout)).toEqual(expected);
  });

  it('does not take the device for options that match only part of a value', async () => {
    requireOracle(USBHID);
    await session.start(backUpsCs500().model, '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tproduct = Back-UPS\n');
    const r = runNut();
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('No matching HID UPS found');
  });

  it('logs the SET_REPORT a command sent through upsd makes NUT write', async () => {
    requireOracle(USBHID, '/lib/nut/upsd', '/usr/bin/upscmd');
    const dev = await session.start(backUpsCs500().model, '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tpollinterval = 1\n');
    const port = await freePort();
    session.sb.write('upsd.users', '[admin]\n\tpassword = secret\n\tinstcmds = ALL\n');
    session.spawn(USBHID, ['-a', 'ups', '-F', '-u', 'root'], { stdio: 'ignore' });
    await session.driverSocket('usbhid-ups-ups');
    session.adopt(await startNutUpsd(session.sb, port));
    // upsd answers "driver not connected" until it has read the driver's first dump
    await untilAccepted(['upscmd', '-u', 'admin', '-p', 'secret', `ups@127.0.0.1:${port}`, 'test.panel.start']);
    // APC's test.panel.start writes 1 to UPS.PowerSummary.APCPanelTest (feature report 0x35)
    const logged = await until('SET_REPORT', () => dev.setReports().find((e) => e.reportId === 0x35), 15_000);
    expect([logged.reportType, logged.hex]).toEqual([3, '35 01']);
  });

  it('lets NUT lose the device on unplug and reconnect after replug', async () => {
    requireOracle(USBHID);
    const dev = await session.start(backUpsCs500().model, '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tpollinterval = 1\n');
    const log = await nutDebugLog();
    const claims = () => log().split('Claimed interface 0 successfully').length - 1;
    await dev.unplug();
    await until('NUT notices the loss', () => /Got to reconnect/.test(log()), 30_000);
    expect(claims()).toBe(1);
    await dev.replug();
    await until('NUT claims the device again', () => claims() === 2, 30_000);
  });

  it("delivers an interrupt report to NUT's driver and to ours at the same time", async () => {
    requireOracle(USBHID);
    const dev = await session.start(backUpsCs500().model, '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tpollinterval = 1\n');
    const log = await nutDebugLog();
    const ours = await session.backend();
    const { handle } = await ours.open('openUsb', { vendorid: '051d' });
    // each open device file has its own copy of the reports queued after it opened
    const waiting = ours.call<string>('interruptIn', handle, 0x81, 8, { timeoutMs: 10_000 });
    await dev.queueInterrupt('13 00'); // AC lost: UPS.PowerSummary.ACPresent = 0
    expect(await waiting).toBe('13 00');
    await until('NUT reads the report', () => /Got 1 HID objects/.test(log()), 15_000);
  });
});
