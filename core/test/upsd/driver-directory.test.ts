/** DriverSocketDirectory: ups.conf sections → driver-socket devices, NUT's reload order. */
import { afterEach, describe, expect, it } from 'vitest';
import { DriverSocketDirectory } from '../../src/upsd/driver-directory.js';
import type { UpsSection } from '../../src/upsd/config.js';

const sec = (name: string, driver = 'dummy-ups', desc?: string): UpsSection => ({ name, driver, port: 'x', desc, line: 1 });

let dir: DriverSocketDirectory | undefined;
afterEach(() => dir?.stop());

describe('DriverSocketDirectory', () => {
  it('keeps file order at start; after a reload new sections come first in file order (as NUT 2.8.0 shows)', () => {
    dir = new DriverSocketDirectory({ statePath: '/nonexistent' });
    let changes = 0;
    dir.onChange(() => changes++);
    dir.update([sec('alpha', 'dummy-ups', 'first'), sec('gone')]);
    expect(dir.list().map((d) => d.name)).toEqual(['alpha', 'gone']);
    const alpha = dir.get('ALPHA');
    dir.update([sec('alpha', 'dummy-ups', 'changed'), sec('beta'), sec('gamma')]);
    expect(dir.list().map((d) => d.name)).toEqual(['beta', 'gamma', 'alpha']);
    expect(dir.get('alpha')).toBe(alpha);
    expect(alpha?.desc).toBe('changed');
    expect(dir.get('gone')).toBeUndefined();
    // a changed driver means a different socket: a new device in the same place
    dir.update([sec('alpha', 'other-driver'), sec('beta'), sec('gamma')]);
    expect(dir.get('alpha')).not.toBe(alpha);
    expect(dir.list().map((d) => d.name)).toEqual(['beta', 'gamma', 'alpha']);
    expect(changes).toBe(3);
  });
});
