import { describe, expect, it } from 'vitest';
import { makeTestContext } from '../../src/driver/test-context.js';

describe('makeTestContext', () => {
  it('writes through the runtime DriverState (status commit, ALARM prefix, value cut)', () => {
    const { ctx, tree } = makeTestContext();
    ctx.alarm.init();
    ctx.alarm.set('Replace battery!');
    ctx.alarm.commit();
    ctx.status.init();
    ctx.status.set('OL');
    ctx.status.set('OL');
    ctx.status.commit();
    expect(tree.getValue('ups.status')).toBe('ALARM OL OL');
    ctx.dstate.setinfo('ups.model', 'x'.repeat(300));
    expect(tree.getValue('ups.model')).toHaveLength(255);
  });

  it('reads options case-insensitively, as ups.conf does', () => {
    const { ctx } = makeTestContext({ options: { MIBs: 'apcc', flag: true } });
    expect(ctx.getval('mibs')).toBe('apcc');
    expect(ctx.getval('flag')).toBeUndefined();
    expect(ctx.testvar('FLAG')).toBe(true);
  });

  it('fails the device opens it was not given, with the port as the default serial path', async () => {
    const opened: Array<string | undefined> = [];
    const { ctx } = makeTestContext({ port: '/dev/ttyX', devices: { openSerial: async (path) => (opened.push(path), Promise.reject(new Error('x'))) } });
    await expect(ctx.openSerial()).rejects.toThrow('x');
    expect(opened).toEqual(['/dev/ttyX']);
    await expect(ctx.openUsb({})).rejects.toMatchObject({ code: 'EIO' });
  });
});
