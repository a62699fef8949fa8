/**
 * Keeps the virtual USB device honest: NUT 2.8.0's own usbhid-ups, reading the model built
 * from a real device's debug log, must publish what NUT published from the real device
 * (the upsc lines recorded in the same file). Also: NUT's matching options see the virtual
 * device as they would a real one, and a command sent through NUT's upsd reaches the device
 * as a SET_REPORT that the harness logs.
 *
 * Lines that legitimately differ and are left out of the comparison: driver.* (driver
 * version, libusb version, the parameters of this run; the dump was made with a later NUT,
 * which also prints driver.state).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, startNutUpsd, stopChild, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { modelFromLogFile } from '../virtual-usb/model-from-log.js';

const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;
const USBHID = '/lib/nut/usbhid-ups';

let dev: VirtualUsb | undefined;
let sb: Sandbox | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
  await dev?.stop();
  sb?.cleanup();
  dev = sb = undefined;
});

function dumpVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z][\w.]*): (.*)$/.exec(line);
    if (m && !m[1]!.startsWith('driver.')) vars.set(m[1]!, m[2]!);
  }
  return vars;
}

function runNut(): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(USBHID, ['-a', 'ups', '-d', '1', '-u', 'root'], {
    env: { ...sb!.env, ...dev!.env },
    encoding: 'latin1',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("NUT 2.8.0's usbhid-ups on the virtual device", () => {
  it('reproduces the upsc dump recorded from the real device', async () => {
    requireOracle(USBHID);
    const { model, upsc } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    sb = makeSandbox('nut-ts-vusb-');
    // NUT's own matching: ids as 4-digit hex, strings case-insensitive, whole value (trailing blank dropped)
    const section = '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tvendorid = 051D\n\tproduct = "back-ups 500 fw: .* c1"\n';
    sb.write('ups.conf', section);
    const r = runNut();
    expect(r.status, r.stderr).toBe(0);
    const expected = dumpVars([...upsc].map(([k, v]) => `${k}: ${v}`).join('\n'));
    expect(expected.size).toBeGreaterThan(20);
    expect(dumpVars(r.stdout)).toEqual(expected);
  });

  it('does not take the device for options that match only part of a value', async () => {
    requireOracle(USBHID);
    const { model } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    sb = makeSandbox('nut-ts-vusb-');
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tproduct = Back-UPS\n');
    const r = runNut();
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('No matching HID UPS found');
  });

  it('logs the SET_REPORT a command sent through upsd makes NUT write', async () => {
    requireOracle(USBHID, '/lib/nut/upsd', '/usr/bin/upscmd');
    const { model } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    sb = makeSandbox('nut-ts-vusb-');
    const port = await freePort();
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tpollinterval = 1\n');
    sb.write('upsd.users', '[admin]\n\tpassword = secret\n\tinstcmds = ALL\n');
    children.push(spawn(USBHID, ['-a', 'ups', '-F', '-u', 'root'], { env: { ...sb.env, ...dev.env }, stdio: 'ignore' }));
    await until('driver socket', () => existsSync(join(sb!.statePath, 'usbhid-ups-ups')), 30_000);
    children.push(await startNutUpsd(sb, port));
    let answer = '';
    const accepted = () => {
      const r = spawnSync('upscmd', ['-u', 'admin', '-p', 'secret', `ups@127.0.0.1:${port}`, 'test.panel.start'], { encoding: 'latin1' });
      answer = r.stdout + r.stderr;
      return /^OK/m.test(answer);
    };
    // upsd answers "driver not connected" until it has read the driver's first dump
    await until('upscmd accepted', accepted, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; last answer: ${answer}`);
    });
    // APC's test.panel.start writes 1 to UPS.PowerSummary.APCPanelTest (feature report 0x35)
    const logged = await until('SET_REPORT', () => dev!.setReports().find((e) => e.reportId === 0x35), 15_000);
    expect([logged.reportType, logged.hex]).toEqual([3, '35 01']);
  });
});
