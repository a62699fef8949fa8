import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient, findHost } from '../../src/host/control-client.js';
import { controlSocketPath, hostPidPath } from '../../src/host/paths.js';
import { runHost, type RunningHost } from '../../src/host/run.js';
import { freePort } from '../../../test/helpers/oracle.js';

const fixtures = join(import.meta.dirname, 'fixtures');

describe('control socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-ctl-'));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  const paths = { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' };
  let running: RunningHost;
  let client: ControlClient;

  beforeAll(async () => {
    mkdirSync(confPath);
    mkdirSync(statePath);
    writeFileSync(join(confPath, 'ups.conf'), 'pollinterval = 1\n[alpha]\n driver = test-good\n port = none\n desc = "first"\n[beta]\n driver = test-good\n port = none\n');
    writeFileSync(join(confPath, 'upsd.conf'), `LISTEN 127.0.0.1 ${await freePort()}\n`);
    writeFileSync(join(confPath, 'upsd.users'), '');
    running = await runHost({
      paths,
      settings: { pluginPaths: [join(fixtures, 'plugins')] },
      pluginSearch: { builtin: false, nodeModules: false },
      workerPath: join(fixtures, 'stub-worker.mjs'),
      log: () => {},
    });
    client = (await findHost(paths))!;
    expect(client).toBeDefined();
  });

  afterAll(async () => {
    client?.close();
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers ping with its pid and paths, and writes a pid file', async () => {
    const r = await client.request({ cmd: 'ping' });
    expect(r).toMatchObject({ ok: true, pid: process.pid, confPath, statePath });
    expect(existsSync(hostPidPath(statePath))).toBe(true);
  });

  it('refuses a second host on the same state path', async () => {
    await expect(runHost({ paths, log: () => {}, settings: {} })).rejects.toThrow(/already running/);
  });

  it('starts an instance, reports it in status, stops it', async () => {
    const started = await client.request({ cmd: 'start', ups: 'alpha', maxstartdelayMs: 20_000 });
    expect(started).toMatchObject({ ok: true, messages: [] });
    let st = (await client.request({ cmd: 'status' })).status!;
    expect(st.instances.map((i) => [i.name, i.state])).toEqual([
      ['alpha', 'running'],
      ['beta', 'stopped'],
    ]);
    expect(st.instances[0]).toMatchObject({ driver: 'test-good', restarts: 0, connected: true });
    const stopped = await client.request({ cmd: 'stop', ups: 'alpha' });
    expect(stopped).toMatchObject({ ok: true });
    st = (await client.request({ cmd: 'status' })).status!;
    expect(st.instances[0].state).toBe('stopped');
  });

  it('stopping an instance that does not run gives NUT\'s pid-file messages', async () => {
    const r = await client.request({ cmd: 'stop', ups: 'beta' });
    expect(r.ok).toBe(false);
    expect(r.messages).toEqual([
      `Can't open ${statePath}/test-good-beta.pid: No such file or directory`,
      `Can't open ${statePath}/test-good-none.pid either: No such file or directory`,
    ]);
    expect(await client.request({ cmd: 'start', ups: 'gamma' })).toMatchObject({ ok: false, messages: ['UPS gamma not found in ups.conf'] });
  });

  it('starts and stops upsd from upsd.conf', async () => {
    const up = await client.request({ cmd: 'upsd-start' });
    expect(up.ok, up.messages.join('\n')).toBe(true);
    expect(up.bound).toHaveLength(1);
    const again = await client.request({ cmd: 'upsd-start' });
    expect(again.messages).toEqual(['upsd is already running']);
    expect((await client.request({ cmd: 'upsd-reload' })).ok).toBe(true);
    expect((await client.request({ cmd: 'status' })).status!.upsd.running).toBe(true);
    expect((await client.request({ cmd: 'upsd-stop' })).ok).toBe(true);
    expect((await client.request({ cmd: 'upsd-stop' })).messages).toEqual(['upsd is not running']);
  });

  it('survives garbage: bad JSON, unknown commands, missing fields', async () => {
    const answers = await new Promise<string[]>((resolve) => {
      const s = connect(controlSocketPath(statePath));
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        const lines = buf.trim().split('\n');
        if (lines.length === 4) {
          s.end();
          resolve(lines);
        }
      });
      s.write('{not json\n{"id":7,"cmd":"fly"}\n{"id":8}\n{"id":9,"cmd":"start"}\n');
    });
    const parsed = answers.map((l) => JSON.parse(l) as { id: number; ok: boolean; messages: string[] });
    expect(parsed.map((p) => p.ok)).toEqual([false, false, false, false]);
    expect(parsed[0].messages[0]).toMatch(/^malformed request/);
    expect(parsed[1]).toEqual({ id: 7, ok: false, messages: ['unknown command "fly"'] });
    expect(parsed[2].messages).toEqual(['malformed request: no "cmd"']);
    expect(parsed[3].messages).toEqual(['start: no UPS named']);
    expect((await client.request({ cmd: 'ping' })).ok).toBe(true);
  });

  it('reload re-reads ups.conf: new sections appear stopped, removed ones go', async () => {
    writeFileSync(join(confPath, 'ups.conf'), 'pollinterval = 1\n[alpha]\n driver = test-good\n port = none\n[gamma]\n driver = test-good\n port = none\n');
    const r = await client.request({ cmd: 'reload' });
    expect(r.ok, r.messages.join('\n')).toBe(true);
    const st = (await client.request({ cmd: 'status' })).status!;
    expect(st.instances.map((i) => [i.name, i.state])).toEqual([
      ['alpha', 'stopped'],
      ['gamma', 'stopped'],
    ]);
    writeFileSync(join(confPath, 'ups.conf'), 'pollinterval = 1\n[alpha]\n driver = test-good\n port = none\n[beta]\n driver = test-good\n port = none\n');
    expect((await client.request({ cmd: 'reload' })).ok).toBe(true);
  });

  it('start right after stop waits for the stop to finish', async () => {
    expect((await client.request({ cmd: 'start', ups: 'alpha', maxstartdelayMs: 20_000 })).ok).toBe(true);
    const inst = running.host.instance('alpha')!;
    const stopping = inst.stop();
    const restarted = await inst.start({ maxstartdelayMs: 20_000 });
    await stopping;
    expect(restarted).toEqual({ ok: true, messages: [] });
    expect(inst.state).toBe('running');
    expect(inst.restarts).toBe(0);
    await inst.stop();
  });

  it('start over a running instance whose section changed restarts it with the new settings', async () => {
    expect((await client.request({ cmd: 'start', ups: 'alpha', maxstartdelayMs: 20_000 })).ok).toBe(true);
    const before = running.host.instance('alpha')!;
    // unchanged: nothing happens
    expect(await client.request({ cmd: 'start', ups: 'alpha' })).toMatchObject({ ok: true, messages: [] });
    expect(running.host.instance('alpha')).toBe(before);
    writeFileSync(
      join(confPath, 'ups.conf'),
      'pollinterval = 1\n[alpha]\n driver = test-good\n port = none\n desc = "first"\n override.battery.charge = 77\n[beta]\n driver = test-good\n port = none\n',
    );
    expect((await client.request({ cmd: 'start', ups: 'alpha', maxstartdelayMs: 20_000 })).ok).toBe(true);
    const after = running.host.instance('alpha')!;
    expect(after).not.toBe(before);
    expect(before.state).toBe('stopped');
    expect(after.state).toBe('running');
    expect(after.tree.getValue('battery.charge')).toBe('77');
    await client.request({ cmd: 'stop', ups: 'alpha' });
  });

  it('host-stop stops everything and removes the socket', async () => {
    await client.request({ cmd: 'start', ups: 'beta', maxstartdelayMs: 20_000 });
    const r = await client.request({ cmd: 'host-stop' });
    expect(r.ok).toBe(true);
    await running.done;
    expect(existsSync(controlSocketPath(statePath))).toBe(false);
    expect(existsSync(hostPidPath(statePath))).toBe(false);
    expect(running.host.instance('beta')!.state).toBe('stopped');
  });
});
