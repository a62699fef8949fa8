import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLAG_NUMBER, FLAG_RW, FLAG_STRING } from '../../../core/src/dstate/ops.js';
import { DriverRuntime } from '../../../core/src/driver/runtime.js';
import { testInstanceSpec } from '../../../core/src/driver/test-context.js';
import type { InstanceSpec } from '../../../core/src/host/worker-protocol.js';
import type { DriverPlugin } from '../../../core/src/plugin-api/index.js';
import { createDummyUps } from '../src/index.js';
import { chooseMode } from '../src/mode.js';
import { until } from '../../../test/helpers/wait.js';

/** The plugin typed against core/src (it is written against the published core/dist types). */
const dummyUps = () => createDummyUps() as unknown as DriverPlugin;

const dir = mkdtempSync(join(tmpdir(), 'nut-ts-dummy-plugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (port: string, options: Record<string, string | true> = {}): InstanceSpec =>
  testInstanceSpec({ upsname: 'd', driver: 'dummy-ups', pluginVersion: '0.15', pluginName: 'Device simulation and repeater driver', port, confPath: dir, options });

/** The plugin without its 1 s pause per update. */
async function start(file: string, text: string, options: Record<string, string | true> = {}) {
  writeFileSync(join(dir, file), text);
  const rt = new DriverRuntime(spec(file, options), dummyUps());
  (rt.ctx as { sleep: (ms: number) => Promise<void> }).sleep = async () => {};
  await rt.init();
  rt.publishRuntimeInfo();
  return rt;
}

describe('dummy-ups mode selection (dummy-ups.md §1)', () => {
  it.each([
    [undefined, 'ups@host:3493', 'repeater', 'repeater'],
    ['repeater', 'x.dev', 'repeater', 'repeater'],
    ['dummy-once', 'ups@host', 'dummy-once', 'dummy-once'],
    [undefined, 'a.seq', 'dummy-loop', 'dummy-loop'],
    [undefined, 'a.dev', 'dummy-once', 'dummy-once'],
    [undefined, 'a.txt', 'dummy-loop', 'dummy'],
    ['dummy', 'a.dev', 'dummy-loop', 'dummy-loop'],
    ['bogus', 'a.dev', 'dummy-once', 'dummy-once'],
  ] as const)('mode=%s port=%s → %s (published %s)', (opt, port, mode, published) => {
    expect(chooseMode(opt, port)).toEqual({ mode, published });
  });
});

describe('dummy-ups plugin', () => {
  it('built-in startup values, table flags, unknown variables RW STRING 32, load.off', async () => {
    const rt = await start('flags.dev', 'ups.id: abc\nbattery.charge: 90\noutlet.1.current: 0.5\ninput.sensitivity: H\n');
    const t = rt.tree;
    expect(t.getValue('ups.mfr')).toBe('Dummy Manufacturer');
    expect(t.getValue('ups.model')).toBe('Dummy UPS');
    expect(t.getValue('ups.status')).toBe('OL');
    expect(t.get('ups.mfr')).toMatchObject({ flags: FLAG_RW | FLAG_STRING, aux: 32 });
    expect(t.get('ups.id')).toMatchObject({ flags: FLAG_RW | FLAG_STRING, aux: 16 });
    expect(t.get('battery.charge')).toMatchObject({ flags: FLAG_RW, aux: 0 });
    expect(t.get('outlet.1.current')).toMatchObject({ flags: FLAG_RW | FLAG_STRING, aux: 32 });
    expect(t.get('input.sensitivity')).toMatchObject({ flags: FLAG_RW | FLAG_STRING, aux: 1 });
    expect(t.get('driver.name')!.flags & FLAG_NUMBER).toBe(0);
    expect(t.commands()).toEqual(['load.off']);
    expect(t.getValue('driver.parameter.mode')).toBe('dummy-once');
    expect(t.stale).toBe(false);
  });

  it('SET: values and flags, empty value deletes, ups.status as one token; INSTCMD load.off is UNKNOWN', async () => {
    const rt = await start('set.dev', 'ups.id: abc\n');
    const results: number[] = [];
    const loop = rt.runLoop();
    rt.setvar('ups.id', 'new id', 't', (s) => results.push(s));
    rt.setvar('ups.status', 'OB LB', 't', (s) => results.push(s));
    rt.setvar('ups.id', '', 't', (s) => results.push(s));
    rt.instcmd('load.off', undefined, 't', (s) => results.push(s));
    await until('the four replies', () => results.length >= 4);
    rt.stop();
    await loop;
    expect(results).toEqual([0, 0, 0, 1]);
    expect(rt.tree.getValue('ups.status')).toBe('OB LB');
    expect(rt.tree.has('ups.id')).toBe(false);
  });

  it('dummy-once keeps SET values until the file changes, then reads it again', async () => {
    const rt = await start('once.dev', 'ups.id: first\n');
    await rt.update();
    rt.state.setinfo('ups.id', 'changed');
    await rt.update();
    expect(rt.tree.getValue('ups.id')).toBe('changed');
    writeFileSync(join(dir, 'once.dev'), 'ups.id: second\n');
    const future = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'once.dev'), future, future);
    await rt.update();
    expect(rt.tree.getValue('ups.id')).toBe('second');
  });

  it('dummy-loop reads the file again on every pass (SET values are overwritten)', async () => {
    const rt = await start('loop.seq', 'ups.id: fixed\n');
    rt.state.setinfo('ups.id', 'changed');
    await rt.update();
    expect(rt.tree.getValue('ups.id')).toBe('fixed');
  });

  it('-k: shutdown is not supported (fatal)', async () => {
    writeFileSync(join(dir, 'k.dev'), '');
    await expect(new DriverRuntime(spec('k.dev'), dummyUps()).forceShutdown()).rejects.toThrow('shutdown not supported');
  });
});
