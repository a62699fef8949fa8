import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTransportError } from '../../src/plugin-api/transports.js';
import { deviceKey, LockTable } from '../../src/transport/lock-table.js';

describe('LockTable', () => {
  it('gives a port to one section and names both when another asks, through a symlink too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-locks-'));
    try {
      const node = join(dir, 'ttyUSB0');
      writeFileSync(node, '');
      const byId = join(dir, 'usb-APC_Smart-UPS-if00-port0');
      symlinkSync(node, byId);
      const key = await deviceKey(node);
      expect(await deviceKey(byId)).toBe(key);
      const t = new LockTable();
      t.claim(key, node, { instanceId: 'a#1', upsname: 'a' });
      let e: unknown;
      try {
        t.claim(key, byId, { instanceId: 'b#1', upsname: 'b' });
      } catch (x) {
        e = x;
      }
      expect(isTransportError(e, 'EBUSY')).toBe(true);
      expect((e as Error).message).toBe(`${byId} is already in use by UPS [a] (as ${node}): sections [a] and [b] name the same port`);
      t.release(key, 'b#1');
      expect(t.holder(key)?.upsname).toBe('a');
      t.releaseAll('a#1');
      expect(t.size).toBe(0);
      t.claim(key, byId, { instanceId: 'b#1', upsname: 'b' });
      expect(t.holder(key)?.upsname).toBe('b');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys a name that does not exist (yet) by its absolute path', async () => {
    expect(await deviceKey('/dev/ttyNOPE')).toBe('/dev/ttyNOPE');
  });
});
