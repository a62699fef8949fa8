/** A DirectoryFeed and the MirrorDirectory it feeds (here in one thread, as the port would carry them). */
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryFeed, MirrorDirectory, type FeedMessage, type MirrorRequest } from '../../src/http/mirror.js';
import type { DstateOp } from '../../src/dstate/ops.js';
import { until } from '../../../test/helpers/wait.js';
import { FakeDirectory, sampleDevice, type FakeDevice } from '../upsd/helpers.js';

let feed: DirectoryFeed | undefined;
afterEach(() => feed?.close());

function pair(devices: FakeDevice[]) {
  const host = new FakeDirectory(devices);
  const requests: MirrorRequest[] = [];
  const mirror = new MirrorDirectory((r) => {
    requests.push(r);
    feed!.handle(r);
  });
  // structuredClone: what crosses a MessagePort
  feed = new DirectoryFeed(host, (batch: FeedMessage[]) => mirror.apply(structuredClone(batch)));
  return { host, mirror, requests };
}

const dump = (ops: DstateOp[]) => JSON.stringify(ops);

describe('mirror of a device directory', () => {
  it('starts with every tree and follows each change, reporting the same changes', async () => {
    const d = sampleDevice('ups1');
    const { mirror } = pair([d]);
    await until('the first image', () => mirror.get('ups1'));
    const m = mirror.get('ups1')!;
    expect(dump(m.tree.dump())).toBe(dump(d.tree.dump()));
    expect(m.connected).toBe(true);
    expect(m.desc).toBe(d.desc);
    const seen: DstateOp[] = [];
    const hostSeen: DstateOp[] = [];
    m.tree.onChange((op) => seen.push(op));
    d.tree.onChange((op) => hostSeen.push(op));
    d.tree.setInfo('ups.status', 'OB DISCHRG');
    d.tree.setInfo('battery.charge', '99');
    d.tree.delInfo('zeta.var');
    d.tree.addCmd('test.battery.start');
    d.tree.setStale(true);
    await until('the changes', () => seen.length === hostSeen.length && seen.length > 0);
    expect(seen).toEqual(hostSeen);
    expect(dump(m.tree.dump())).toBe(dump(d.tree.dump()));
    expect(mirror.get('UPS1')).toBe(m);
  });

  it('a driver coming back with a rebuilt tree (cleared without events) is resynchronised, telling only what differs', async () => {
    const d = sampleDevice('ups1');
    const { mirror } = pair([d]);
    await until('the first image', () => mirror.get('ups1'));
    const m = mirror.get('ups1')!;
    const seen: DstateOp[] = [];
    m.tree.onChange((op) => seen.push(op));
    d.connected = false;
    await until('down', () => !m.connected);
    // as a worker instance rebuilds its tree when a new run is ready: clear() says nothing
    const before = d.tree.dump();
    d.tree.clear();
    for (const op of before) if (!(op.op === 'SETINFO' && op.name === 'beta.var')) d.tree.apply(op);
    d.tree.setInfo('battery.charge', '50');
    d.connected = true;
    await until('up', () => m.connected);
    expect(dump(m.tree.dump())).toBe(dump(d.tree.dump()));
    expect(seen.filter((op) => op.op !== 'DATAOK' && op.op !== 'DATASTALE')).toEqual([
      { op: 'SETINFO', name: 'battery.charge', value: '50' },
      { op: 'DELINFO', name: 'beta.var' },
    ]);
  });

  it('devices added and removed follow the directory', async () => {
    const a = sampleDevice('a');
    const { host, mirror } = pair([a]);
    await until('a', () => mirror.list().length === 1);
    let changes = 0;
    mirror.onChange(() => changes++);
    const b = sampleDevice('b');
    host.set([a, b]);
    await until('b', () => mirror.get('b'));
    expect(mirror.list().map((d) => d.name)).toEqual(['a', 'b']);
    host.set([b]);
    await until('a gone', () => !mirror.get('a'));
    expect(changes).toBe(2);
  });

  it('INSTCMD and SET go to the host device; outcomes come back; an undeliverable one fails its tracking id', async () => {
    const d = sampleDevice('ups1');
    const { mirror } = pair([d]);
    await until('the first image', () => mirror.get('ups1'));
    const m = mirror.get('ups1')!;
    const results: Array<[string, number]> = [];
    m.onCommandResult((id, status) => results.push([id, status]));
    expect(m.instcmd('beeper.toggle', undefined, 'T1')).toBe(true);
    expect(m.setvar('battery.charge', '42', 'T2')).toBe(true);
    expect(d.sent).toEqual(['INSTCMD beeper.toggle T1', 'SET battery.charge 42 T2']);
    d.result('T1', 0);
    await until('T1', () => results.length === 1);
    d.deliver = false;
    m.instcmd('beeper.toggle', undefined, 'T3');
    await until('T3', () => results.length === 2);
    expect(results).toEqual([
      ['T1', 0],
      ['T3', 3],
    ]);
  });
});
