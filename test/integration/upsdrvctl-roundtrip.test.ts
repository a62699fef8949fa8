/**
 * upsdrvctl against the background host in a sandbox: start returns once the instances run in
 * a detached host, status shows them, stop ends them and the idle host exits.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/oracle.js';
import { runCli, stopHostIfAny, waitGone } from './cli.js';
import { untilAsync } from '../helpers/wait.js';

const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');

describe('upsdrvctl start / status / stop round trip', () => {
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    sb = makeSandbox('nut-ts-roundtrip-');
    // host settings found from the working directory: where the test plugins are
    writeFileSync(join(sb.dir, '.nut-tsrc.json'), JSON.stringify({ pluginPaths: [testPlugins] }));
    sb.write(
      'ups.conf',
      [
        'pollinterval = 1',
        'maxretry = 2',
        'retrydelay = 1',
        '[one]\n driver = test-good\n port = none',
        '[two]\n driver = test-good\n port = none\n desc = "second"',
        '[broken]\n driver = test-failinit\n port = /dev/nothing',
        '',
      ].join('\n'),
    );
    env = { ...sb.env };
  });

  afterAll(async () => {
    await stopHostIfAny(sb);
    sb.cleanup();
  });

  it('status with no host running says so', async () => {
    const r = await runCli('upsdrvctl', ['status'], { env, cwd: sb.dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('host: not running');
    expect(r.stdout).toMatch(/one\s+test-good\s+stopped/);
  });

  it('start <ups> returns once the instance runs in the background host', async () => {
    const r = await runCli('upsdrvctl', ['start', 'one'], { env, cwd: sb.dir });
    expect(r.stderr).toBe('');
    // NUT's drivers print their banner on stdout when upsdrvctl starts them
    expect(r.stdout).toBe('Network UPS Tools - UPS driver controller 2.8.0\nNetwork UPS Tools - Test plugin (good) driver 0.01 (2.8.0-nut-ts-0.1.0)\n');
    expect(r.status).toBe(0);
    const st = await runCli('upsdrvctl', ['status', '--json'], { env, cwd: sb.dir });
    expect(st.status).toBe(0);
    const json = JSON.parse(st.stdout) as { instances: Array<{ name: string; state: string; provider: string }> };
    expect(json.instances.map((i) => [i.name, i.state])).toEqual([
      ['one', 'running'],
      ['two', 'stopped'],
      ['broken', 'stopped'],
    ]);
    expect(json.instances[0].provider).toBe('plugin nut-ts-test-good@1.0.0');
  });

  it('two upsdrvctl at once share one host', async () => {
    expect((await runCli('upsdrvctl', ['stop', 'one'], { env, cwd: sb.dir })).status).toBe(0);
    await waitGone(join(sb.statePath, 'nut-ts.ctl'));
    const [a, b] = await Promise.all([
      runCli('upsdrvctl', ['start', 'one'], { env, cwd: sb.dir }),
      runCli('upsdrvctl', ['start', 'two'], { env, cwd: sb.dir }),
    ]);
    expect([a.status, b.status, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const st = await runCli('upsdrvctl', ['status'], { env, cwd: sb.dir });
    expect(st.stdout).toMatch(/^one\s+test-good\s+running/m);
    expect(st.stdout).toMatch(/^two\s+test-good\s+running/m);
  });

  it('start (all) reports the broken one with NUT messages and exit 1, the rest run', async () => {
    const r = await runCli('upsdrvctl', ['start'], { env, cwd: sb.dir });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l === 'Driver failed to start (exit status=1)')).toHaveLength(2);
    expect(lines.some((l) => l.includes('cannot open /dev/nothing'))).toBe(true);
    const st = await runCli('upsdrvctl', ['status'], { env, cwd: sb.dir });
    expect(st.stdout).toMatch(/^one\s+test-good\s+running\s+ok/m);
    expect(st.stdout).toMatch(/^two\s+test-good\s+running\s+ok/m);
    expect(st.stdout).toMatch(/^broken\s+test-failinit\s+failed\s+.*cannot open \/dev\/nothing/m);
  });

  it('-D shows what it does', async () => {
    const r = await runCli('upsdrvctl', ['-D', 'start', 'one'], { env, cwd: sb.dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/\[D1\] Starting UPS: one\n/);
  });

  it('stop ends every instance and the idle host exits', async () => {
    const r = await runCli('upsdrvctl', ['stop'], { env, cwd: sb.dir });
    // broken is not running: NUT's pid-file messages and exit 1, the others stop
    expect(r.stderr).toContain(`Can't open ${sb.statePath}/test-failinit-broken.pid: No such file or directory`);
    expect(r.status).toBe(1);
    expect(await waitGone(join(sb.statePath, 'nut-ts.ctl'))).toBe(true);
    const st = await runCli('upsdrvctl', ['status'], { env, cwd: sb.dir });
    expect(st.stdout).toContain('host: not running');
  });
});

describe('upsdrvctl shutdown', () => {
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    sb = makeSandbox('nut-ts-shutdown-');
    env = { ...sb.env };
  });
  afterAll(async () => {
    await stopHostIfAny(sb);
    sb.cleanup();
  });

  it('runs the plugins\' shutdown in sdorder (negative never), through running instances or one-shot', async () => {
    const marker = join(sb.dir, 'shutdown.log');
    writeFileSync(join(sb.dir, '.nut-tsrc.json'), JSON.stringify({ pluginPaths: [testPlugins] }));
    sb.write(
      'ups.conf',
      [
        'pollinterval = 1',
        `[late]\n driver = test-good\n port = none\n sdorder = 2\n marker = "${marker}"`,
        `[first]\n driver = test-good\n port = none\n marker = "${marker}"`,
        `[never]\n driver = test-good\n port = none\n sdorder = -1\n marker = "${marker}"`,
        `[middle]\n driver = test-good\n port = none\n sdorder = 1\n marker = "${marker}"`,
        '',
      ].join('\n'),
    );
    // one of them running: its own worker does the shutdown
    expect((await runCli('upsdrvctl', ['start', 'middle'], { env, cwd: sb.dir })).status).toBe(0);
    const r = await runCli('upsdrvctl', ['-D', 'shutdown'], { env, cwd: sb.dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.match(/\[D1\] Shutdown UPS: \S+/g)).toEqual(['[D1] Shutdown UPS: first', '[D1] Shutdown UPS: middle', '[D1] Shutdown UPS: late']);
    expect(existsSync(marker)).toBe(true);
    expect(readFileSync(marker, 'utf8')).toBe('first\nmiddle\nlate\n');
    expect((await runCli('upsdrvctl', ['stop', 'middle'], { env, cwd: sb.dir })).status).toBe(0);
    expect(await waitGone(join(sb.statePath, 'nut-ts.ctl'))).toBe(true);
  });
});

describe('upsdrvctl start of a driver slower than maxstartdelay', () => {
  let sb: Sandbox | undefined;

  afterAll(async () => {
    if (!sb) return;
    await stopHostIfAny(sb);
    sb.cleanup();
  });

  it('says "Startup timer elapsed, continuing...", exits 1 as NUT does, and the driver goes on to run', async () => {
    sb = makeSandbox('nut-ts-slowstart-');
    const env = { ...sb.env };
    writeFileSync(join(sb.dir, '.nut-tsrc.json'), JSON.stringify({ pluginPaths: [testPlugins] }));
    sb.write('ups.conf', 'maxstartdelay = 1\n[slow]\n driver = test-slowinit\n port = none\n');
    const r = await runCli('upsdrvctl', ['start', 'slow'], { env, cwd: sb.dir });
    expect(r.stdout + r.stderr).toContain('Startup timer elapsed, continuing...');
    expect(r.status).toBe(1);
    const state = async () => {
      const st = await runCli('upsdrvctl', ['status', '--json'], { env, cwd: sb!.dir });
      return (JSON.parse(st.stdout) as { instances: Array<{ name: string; state: string; restarts: number }> }).instances[0];
    };
    await untilAsync('the slow driver to run', async () => (await state())?.state === 'running', 30_000);
    expect((await state()).restarts).toBe(0);
  });
});
