import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confinedNodeArgs, describeDenial, narrowConfinedOpen, permissionFlag } from '../../src/host/confinement.js';

const pkg = join(import.meta.dirname, 'fixtures', 'confined-plugin');

describe('confined plugins (Node permission model)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-confined-'));
  const users = join(dir, 'upsd.users');
  const data = join(dir, 'ups.dev');
  writeFileSync(users, '[admin]\n password = secret\n');
  writeFileSync(data, 'ups.status: OL\n');
  const target = join(dir, 'written');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('picks the flag of the Node version', () => {
    expect(permissionFlag('v20.20.2')).toBe('--experimental-permission');
    expect(permissionFlag('v22.13.0')).toBe('--permission');
  });

  it('refuses reading upsd.users, writing, spawning and workers; reads its own package', () => {
    const args = confinedNodeArgs({ packageDir: pkg, sectionFiles: [data] });
    const r = spawnSync(process.execPath, [...args, join(pkg, 'probe.mjs'), users, target, join(pkg, 'probe.mjs')], { encoding: 'utf8' });
    const results = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { name: string; ok: boolean; code?: string; permission?: string; resource?: string })
        .map((x) => [x.name, x]),
    );
    expect(results['read own package']).toMatchObject({ ok: true });
    expect(results['read upsd.users']).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED', permission: 'FileSystemRead' });
    expect(results['write a file']).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED', permission: 'FileSystemWrite' });
    expect(results['spawn a process']).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED', permission: 'ChildProcess' });
    expect(results['start a worker']).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED', permission: 'WorkerThreads' });
    expect(existsSync(target)).toBe(false);
    expect(describeDenial('probe', results['read upsd.users'])).toBe(`plugin probe (confined) was refused: read ${users}`);
    expect(describeDenial('probe', results['spawn a process'])).toBe('plugin probe (confined) was refused: start a process');
  });
});

describe("a confined instance's device opens, held to its section", () => {
  const spec = { upsname: 'ups1', port: 'auto', options: { vendorid: '051D', serial: 'AS1234', pollfreq: '30' } as Record<string, string | true> };

  it("adds the section's USB matching options to a request that leaves them out", () => {
    expect(narrowConfinedOpen(spec, 'openUsb', [{ productid: '0002', interface: 0 }])).toEqual({
      args: [{ productid: '0002', interface: 0, vendorid: '051D', serial: 'AS1234' }],
    });
    expect(narrowConfinedOpen(spec, 'openHid', [{}])).toEqual({ args: [{ vendorid: '051D', serial: 'AS1234' }] });
  });

  it('takes the same value in another case (NUT matches USB ids and strings without case)', () => {
    expect(narrowConfinedOpen(spec, 'openHid', [{ vendorid: '051d', serial: 'as1234' }])).toEqual({ args: [{ vendorid: '051D', serial: 'AS1234' }] });
  });

  it('refuses a request for another device than the section names', () => {
    expect(narrowConfinedOpen(spec, 'openUsb', [{ vendorid: '0463' }])).toEqual({
      refused: '[ups1] is confined: it may open only USB devices its section matches (vendorid = 051D), not vendorid 0463',
    });
    expect(narrowConfinedOpen(spec, 'openHid', [{ vendorid: '051d', serial: 'OTHER' }])).toMatchObject({ refused: expect.stringContaining('(serial = AS1234), not serial OTHER') });
  });

  it("opens only the section's serial port", () => {
    expect(narrowConfinedOpen({ ...spec, port: '/dev/ttyUSB0' }, 'openSerial', ['/dev/ttyUSB0', { baudRate: 2400 }])).toEqual({ args: ['/dev/ttyUSB0', { baudRate: 2400 }] });
    expect(narrowConfinedOpen({ ...spec, port: '/dev/ttyUSB0' }, 'openSerial', ['/etc/shadow'])).toHaveProperty('refused');
  });

  it("lists only the USB devices the section matches (all of them when it names none)", () => {
    expect(narrowConfinedOpen(spec, 'listUsb', [])).toEqual({ args: [{ match: { vendorid: '051D', serial: 'AS1234' } }] });
    expect(narrowConfinedOpen(spec, 'listUsb', [{ timeoutMs: 50 }])).toEqual({ args: [{ timeoutMs: 50, match: { vendorid: '051D', serial: 'AS1234' } }] });
    expect(narrowConfinedOpen({ ...spec, options: { pollfreq: '30' } }, 'listUsb', [])).toEqual({ args: [] });
  });

  it('passes other calls on as they are', () => {
    expect(narrowConfinedOpen(spec, 'somethingElse', [1, { a: 2 }])).toEqual({ args: [1, { a: 2 }] });
  });
});
