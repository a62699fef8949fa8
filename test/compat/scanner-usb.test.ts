/**
 * USB scan on a virtual USB UPS (umockdev, the model built from a real APC Back-UPS log):
 * NUT 2.8.0's `nut-scanner -U` and ours under the same environment print the same section.
 * Ours names the driver and subdriver from the installed usbhid-ups plugin's tables (their
 * `claim.ids`), read as data: no driver code is loaded by a scan. Likewise a Q1 unit behind a
 * serial-over-USB bridge (nutdrv_qx's simulator on the virtual device) by nutdrv_qx's match.usb.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stopChild } from '../helpers/oracle.js';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { modelFromLogFile } from '../virtual-usb/model-from-log.js';
import { ROOT, nutScan, ourScan } from './scanner-harness.js';

const Q1_DUMP = join(ROOT, 'test/fixtures/ddl/Santak__Castle_C1K__blazer_ser__2.7.4__01.dev');
const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;

describe('nut-scanner -U on a virtual USB UPS, NUT 2.8.0 vs ours', () => {
  let dev: VirtualUsb;
  beforeAll(async () => {
    dev = await startVirtualUsb(modelFromLogFile(FIXTURE).model);
  });
  afterAll(async () => {
    await dev?.stop();
  });

  for (const format of ['-N', '-P']) {
    it(`${format}: the same device lines`, async () => {
      const env = { ...process.env, ...dev.env };
      const nut = await nutScan(['-U', '-q', format], env);
      const ours = await ourScan(['-U', '-q', format], env);
      expect(nut.stdout).toContain('usbhid-ups');
      expect(nut.stdout).toContain('051D');
      expect(ours.status).toBe(nut.status);
      expect(ours.stdout).toBe(nut.stdout);
    });
  }

  it('--json: the driver and subdriver, the ids, strings and bus', async () => {
    const ours = await ourScan(['-U', '-q', '--json'], { ...process.env, ...dev.env });
    const { devices } = JSON.parse(ours.stdout) as { devices: Array<{ driver: string; subdriver?: string; options: Record<string, string> }> };
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ driver: 'usbhid-ups', subdriver: 'apc' });
    expect(devices[0].options).toMatchObject({ vendorid: '051D', productid: '0002', bus: dev.state().bus, vendor: 'American Power Conversion' });
  });

  it('a Q1 unit behind a Cypress serial-over-USB bridge: nutdrv_qx, as NUT prints it', async () => {
    const sim = spawn(process.execPath, [join(ROOT, 'core/dist/cli/nut.js'), 'simulate', 'qx', '--from', Q1_DUMP, '--usb', 'cypress'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    onTestFinished(() => stopChild(sim));
    // the first line is the environment under which a process sees the virtual device
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: sim.stdout! }).once('line', resolve);
      sim.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    });
    const env = { ...process.env, ...Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) };
    const nut = await nutScan(['-U', '-q', '-P'], env);
    const ours = await ourScan(['-U', '-q', '-P'], env);
    expect(nut.stdout).toContain('driver="nutdrv_qx"');
    expect(ours.stdout).toBe(nut.stdout);
  });
});
