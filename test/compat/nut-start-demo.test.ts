/**
 * `nut start` (what `npm start` runs) with no NUT configuration: the built-in demo, served by
 * upsd and read with NUT's own upsc; SIGTERM stops it cleanly.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import { CLI_DIR, runCli } from '../integration/cli.js';

interface NutStart {
  child: ChildProcess;
  stdout(): string;
  /** stdout and stderr as they came. */
  output(): string;
  /** Resolves once stdout holds `text`; throws with the output when it exits or a minute passes first. */
  ready(text: string): Promise<void>;
  exit(): Promise<number | null>;
}

/** `nut start …` under the sandbox's environment (or the one given). */
function nutStart(sb: Sandbox, args: string[], cwd?: string, env: NodeJS.ProcessEnv = sb.env): NutStart {
  const child = spawn(process.execPath, [join(CLI_DIR, 'nut.js'), 'start', ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    stdout: () => stdout,
    output: () => output,
    async ready(text) {
      const up = () => stdout.includes(text);
      await until(`nut start: ${text}`, () => up() || child.exitCode !== null, 60_000).catch(() => {});
      if (!up()) throw new Error(`nut start did not come up:\n${output}`);
    },
    exit: () => exited,
  };
}

describe('nut start without NUT configuration runs the demo', () => {
  let sb: Sandbox;
  let nut: NutStart;
  let port: number;

  beforeAll(async () => {
    requireOracle('/usr/bin/upsc');
    sb = makeSandbox('nut-ts-demo-');
    port = await freePort();
    // conf/ has no ups.conf: that is what makes it the demo
    nut = nutStart(sb, ['--port', String(port)]);
    await nut.ready('Stop with Ctrl-C.');
  }, 90_000);

  afterAll(() => {
    if (nut && nut.child.exitCode === null) nut.child.kill('SIGKILL');
    sb?.cleanup();
  });

  it('says what it runs and how to look at it', () => {
    const stdout = nut.stdout();
    expect(stdout).toContain(`No NUT configuration in ${sb.confPath} (no ups.conf): running the built-in demo.`);
    expect(stdout).toContain(`Demo UPS "demo" served on 127.0.0.1 port ${port}`);
    expect(stdout).toContain(`npx upsc demo@localhost:${port}`);
  });

  it('serves the demo UPS to NUT upsc', async () => {
    const upsc = (...args: string[]) => promisify(execFile)('upsc', args, { encoding: 'utf8' }).then((r) => r.stdout);
    expect((await upsc('-l', `127.0.0.1:${port}`)).trim()).toBe('demo');
    const all = await upsc(`demo@127.0.0.1:${port}`);
    expect(all).toContain('ups.model: Demo UPS 1000');
    expect(all).toContain('driver.name: dummy-ups');
    expect(all).toMatch(/^ups\.status: (OL|OB DISCHRG|OB DISCHRG LB|OL CHRG)$/m);
  });

  it('answers upsdrvctl status on its control socket', async () => {
    const r = await runCli('upsdrvctl', ['status'], { env: sb.env });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^demo\s+dummy-ups\s+running\s+ok/m);
    expect(r.stdout).toContain(`upsd listening on 127.0.0.1:${port}`);
  });

  it('stops cleanly on SIGTERM', async () => {
    nut.child.kill('SIGTERM');
    expect(await nut.exit()).toBe(0);
    expect(existsSync(join(sb.statePath, 'nut-ts.ctl'))).toBe(false);
  }, 30_000);
});

describe('nut start as root: the demo in its own state directory', () => {
  // As root (what `sudo npm start` and CI do) the host switches to `nut` when that user exists;
  // the demo hands its private state directory to it first, so a newcomer sees no warning.
  // Where the checkout is out of nut's reach the demo stays root, without a word.
  let sb: Sandbox;
  let demo: NutStart | undefined;
  afterAll(() => {
    if (demo && demo.child.exitCode === null) demo.child.kill('SIGKILL');
    sb?.cleanup();
  });

  it('says nothing about staying root, runs as nut where it can, and serves the demo', async () => {
    requireOracle('/usr/bin/upsc');
    sb = makeSandbox('nut-ts-demo-root-');
    chmodSync(sb.dir, 0o755); // the private state directory is made under it (TMPDIR)
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...sb.env, TMPDIR: sb.dir };
    delete env.NUT_STATEPATH;
    delete env.NUT_ALTPIDPATH;
    demo = nutStart(sb, ['--port', String(port)], undefined, env);
    await demo.ready('Stop with Ctrl-C.');
    const child = demo.child;
    const out = demo.output();
    expect(out).not.toMatch(/staying root|warn /);
    const nut = spawnSync('id', ['-u', 'nut'], { encoding: 'utf8' });
    const root = process.getuid?.() === 0;
    // nut can read the checkout (the demo's .seq and dummy-ups) when every folder above is open to it
    const nutReads =
      nut.status === 0 &&
      spawnSync('test', ['-r', join(CLI_DIR, '..', '..', 'demo', 'demo.seq')], { uid: Number(nut.stdout.trim()), gid: Number(spawnSync('id', ['-g', 'nut'], { encoding: 'utf8' }).stdout.trim()) }).status === 0;
    const user = spawnSync('ps', ['-o', 'user=', '-p', String(child.pid)], { encoding: 'utf8' }).stdout.trim();
    expect(user).toBe(root && nutReads ? 'nut' : spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim());
    if (root && nutReads) expect(demo.output()).toContain('running as user nut');
    const status = await until('demo served', () =>
      promisify(execFile)('upsc', [`demo@127.0.0.1:${port}`, 'ups.status'], { encoding: 'utf8' }).then(
        (r) => r.stdout.trim(),
        () => undefined,
      ), 30_000);
    expect(status).toMatch(/^(OL|OB DISCHRG|OB DISCHRG LB|OL CHRG)$/);
    child.kill('SIGTERM');
    expect(await demo.exit()).toBe(0);
  }, 120_000);
});

describe('nut start with a NUT configuration runs it in the foreground', () => {
  const testPlugins = join(import.meta.dirname, '..', '..', 'core', 'test', 'host', 'fixtures', 'plugins');
  let sb: Sandbox;
  let nut: NutStart;
  let port: number;

  beforeAll(async () => {
    requireOracle('/usr/bin/upsc');
    sb = makeSandbox('nut-ts-start-');
    port = await freePort();
    writeFileSync(join(sb.dir, '.nut-tsrc.json'), JSON.stringify({ pluginPaths: [testPlugins] }));
    sb.write('ups.conf', 'pollinterval = 1\n[left]\n driver = test-good\n port = none\n[right]\n driver = test-good\n port = none\n');
    sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
    sb.write('upsd.users', '');
    nut = nutStart(sb, [], sb.dir);
    await nut.ready('Ctrl-C stops.');
  }, 90_000);

  afterAll(() => {
    if (nut && nut.child.exitCode === null) nut.child.kill('SIGKILL');
    sb?.cleanup();
  });

  it('starts every section and upsd from upsd.conf', async () => {
    expect(nut.stdout()).toContain(`nut-ts running: 2 UPS, upsd on 127.0.0.1:${port}`);
    const { stdout: list } = await promisify(execFile)('upsc', ['-l', `127.0.0.1:${port}`], { encoding: 'utf8' });
    expect(list.trim().split('\n')).toEqual(['left', 'right']);
    const { stdout: mfr } = await promisify(execFile)('upsc', [`right@127.0.0.1:${port}`, 'ups.mfr'], { encoding: 'utf8' });
    expect(mfr.trim()).toBe('nut-ts tests');
  });

  it('refuses a second nut start on the same state path', async () => {
    const r = await runCli('nut', ['start'], { env: sb.env, cwd: sb.dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('a nut-ts host is already running');
  });

  it('nut stop ends it', async () => {
    expect((await runCli('nut', ['stop'], { env: sb.env })).status).toBe(0);
    expect(await nut.exit()).toBe(0);
  }, 30_000);
});

describe('nut start: an empty ups.conf, and a port already taken', () => {
  it("runs the demo when ups.conf defines no UPS (Debian's packaged /etc/nut), and exits 1 when upsd cannot listen", async () => {
    const sb = makeSandbox('nut-ts-empty-');
    const busy = makeSandbox('nut-ts-busy-');
    try {
      sb.write('ups.conf', '# only comments and globals, as Debian ships it\nmaxretry = 3\n');
      const port = await freePort();
      const first = nutStart(sb, ['--port', String(port)]);
      await first.ready('Stop with Ctrl-C.');
      expect(first.output()).toContain(`No NUT configuration in ${sb.confPath} (ups.conf defines no UPS): running the built-in demo.`);

      // a second host on another state path cannot have the same port: it says so and exits 1
      const second = nutStart(busy, ['--port', String(port)]);
      expect(await second.exit()).toBe(1);
      expect(second.output()).toContain('upsd could not start');

      first.child.kill('SIGTERM');
      expect(await first.exit()).toBe(0);
    } finally {
      sb.cleanup();
      busy.cleanup();
    }
  }, 120_000);
});
