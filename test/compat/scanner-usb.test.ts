/**
 * USB scan on a virtual USB UPS (umockdev, the model built from a real APC Back-UPS log):
 * NUT 2.8.0's `nut-scanner -U` and ours under the same environment print the same section.
 * Ours names the driver from an installed plugin manifest's `match.usb`; until the usbhid-ups
 * plugin is in the tree, a manifest-only package stands in for it (no driver code is loaded
 * by a scan).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { modelFromLogFile } from '../virtual-usb/model-from-log.js';
import { nutScan, ourScan } from './scanner-harness.js';

const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;

describe('nut-scanner -U on a virtual USB UPS, NUT 2.8.0 vs ours', () => {
  let dev: VirtualUsb;
  let cwd: string;
  beforeAll(async () => {
    const { model } = modelFromLogFile(FIXTURE);
    dev = await startVirtualUsb(model);
    cwd = mkdtempSync(join(tmpdir(), 'scanner-usb-'));
    const pkg = join(cwd, 'plugins', 'usbhid-ups');
    mkdirSync(pkg, { recursive: true });
    const manifest = {
      name: 'usbhid-ups-manifest',
      version: '0.0.0',
      'nut-ts': {
        driver: 'usbhid-ups',
        kind: 'hid',
        description: 'Generic HID driver',
        version: '0.47',
        entry: 'index.js',
        match: { usb: [{ vendorId: model.usb.vendorId, productId: model.usb.productId }] },
      },
    };
    writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest));
    // a scan reads manifests only: loading this would fail the scan
    writeFileSync(join(pkg, 'index.js'), "throw new Error('a scan loaded driver code');\n");
    writeFileSync(join(cwd, 'nut-ts.config.json'), JSON.stringify({ pluginPaths: [pkg] }));
  });
  afterAll(async () => {
    await dev?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  for (const format of ['-N', '-P']) {
    it(`${format}: the same device lines`, async () => {
      const env = { ...process.env, ...dev.env };
      const nut = await nutScan(['-U', '-q', format], env);
      const ours = await ourScan(['-U', '-q', format], env, 60_000, cwd);
      expect(nut.stdout).toContain('usbhid-ups');
      expect(nut.stdout).toContain('051D');
      expect(ours.status).toBe(nut.status);
      expect(ours.stdout).toBe(nut.stdout);
    });
  }

  it('--json: the ids, strings and bus, and the driver', async () => {
    const ours = await ourScan(['-U', '-q', '--json'], { ...process.env, ...dev.env }, 60_000, cwd);
    const { devices } = JSON.parse(ours.stdout) as { devices: Array<{ driver: string; options: Record<string, string> }> };
    expect(devices).toHaveLength(1);
    expect(devices[0].driver).toBe('usbhid-ups');
    expect(devices[0].options.vendorid).toBe('051D');
    expect(devices[0].options.bus).toBe(dev.state().bus);
  });
});
