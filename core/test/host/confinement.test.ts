import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confinedNodeArgs, describeDenial, permissionFlag } from '../../src/host/confinement.js';

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
