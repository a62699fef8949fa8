/**
 * A plugin run confined (host setting `confined`) or out of process (`outOfProcess`) lives in
 * a child process, where the MessagePort of its device channel cannot go: the host relays the
 * channel over the child's IPC. A serial device (a socat pty) answers a confined plugin and
 * an out-of-process one, each through the host's transport process.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../core/src/host/host.js';
import { requireOracle } from '../helpers/oracle.js';
import { ptyPair, SimEnd, type PtyPair } from '../helpers/pty.js';
import { until } from '../helpers/wait.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');

describe('device access of instances in child processes', () => {
  let dir: string;
  const pairs: PtyPair[] = [];
  let host: Host;
  const logs: string[] = [];
  /** What each simulated device was asked, by device. */
  const asked = new Map<string, number>();

  beforeAll(async () => {
    requireOracle('/usr/bin/socat');
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-confined-dev-'));
    for (const name of ['confined', 'outside']) {
      const pair = await ptyPair(join(dir, `tty-${name}`), join(dir, `sim-${name}`));
      pairs.push(pair);
      const sim = new SimEnd(pair.sim);
      let pending = '';
      sim.onData((d) => {
        pending += d.toString('latin1');
        let i: number;
        while ((i = pending.indexOf('\r')) >= 0) {
          const line = pending.slice(0, i);
          pending = pending.slice(i + 1);
          if (line !== 'Q') continue;
          const n = (asked.get(name) ?? 0) + 1;
          asked.set(name, n);
          sim.send(`(${name}-${n}\r`);
        }
      });
    }
    const confPath = join(dir, 'conf');
    const statePath = join(dir, 'state');
    mkdirSync(confPath);
    mkdirSync(statePath);
    writeFileSync(
      join(confPath, 'ups.conf'),
      [
        'pollinterval = 1',
        `[confined]\n driver = test-serial-line\n port = ${join(dir, 'tty-confined')}`,
        `[outside]\n driver = test-serial-line\n port = ${join(dir, 'tty-outside')}`,
        '',
      ].join('\n'),
    );
    host = new Host({
      paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' },
      settings: { pluginPaths: [testPlugins], confined: ['confined'], outOfProcess: ['test-serial-line'] },
      pluginSearch: { builtin: false, nodeModules: false },
      driverSockets: false,
      log: (level, m) => logs.push(`${level} ${m}`),
    });
    expect(host.loadConfig().messages).toEqual([]);
  }, 30_000);

  afterAll(async () => {
    await host?.close();
    for (const p of pairs) await p.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['confined', 'outside'])('[%s] reads its serial device through the relayed channel', async (ups) => {
    const r = await host.startInstance(ups, { maxstartdelayMs: 20_000 });
    expect(r, logs.join('\n')).toEqual({ ok: true, messages: [] });
    const where = host.status().instances.find((i) => i.name === ups)?.worker ?? '';
    expect(where).toMatch(/^process /);
    // two answers in a row from this device: the plugin's polls reach it and come back
    const line = () => host.instance(ups)?.tree.getValue('test.line');
    const first = await until(`[${ups}] a test.line`, () => line()?.match(new RegExp(`^\\(${ups}-(\\d+)$`))?.[1], 15_000);
    await until(`[${ups}] a later test.line`, () => {
      const n = line()?.match(new RegExp(`^\\(${ups}-(\\d+)$`))?.[1];
      return n !== undefined && Number(n) > Number(first);
    }, 15_000);
  }, 40_000);
});
