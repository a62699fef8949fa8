import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HidDevice } from '../src/device.js';
import { RecordingDevice } from '../src/replay.js';

const device: HidDevice = {
  info: { vendorId: 0x051d, productId: 0x0002, release: 0x0106, manufacturer: 'American Power Conversion', product: 'Back-UPS CS 500', serial: 'BB0100009999', bus: '001', device: '002', busport: '1-1' } as HidDevice['info'],
  reportDescriptor: async () => Uint8Array.of(0x05, 0x84),
  getFeature: async (id) => Uint8Array.of(id, 0x64),
  setFeature: async (_id, data) => data.length,
  interrupt: async () => undefined,
  getString: async () => '',
  close: async () => {},
};

describe('-x record', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-recording-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes what the device answered', async () => {
    const file = join(dir, 'rec.json');
    const rec = new RecordingDevice(device, file);
    await rec.reportDescriptor();
    await rec.getFeature(12, 2);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { descriptor: string; features: Record<string, unknown> };
    expect(saved.descriptor.replace(/\s/g, '')).toBe('0584');
    expect(Object.keys(saved.features)).toContain('12');
  });

  it('says once, not on every write, when the recording cannot be written', async () => {
    const told: string[] = [];
    const file = join(dir, 'no-such-dir', 'rec.json');
    const rec = new RecordingDevice(device, file, (m) => told.push(m));
    await rec.reportDescriptor();
    await rec.getFeature(12, 2);
    await rec.getFeature(13, 2);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`cannot write the recording ${file}: ENOENT`);
  });
});
