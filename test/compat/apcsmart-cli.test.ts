/**
 * apcsmart run alone, NUT-style: `nut-driver apcsmart -a ups -d 1` on the simulator prints the
 * same dump as NUT 2.8.0's `apcsmart -a ups -d 1` on a simulator of the same unit; and the
 * simulator's own command line.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { DDL, NUT_CLI, ROOT, startSimulator } from './apcsmart-harness.js';

const DRIVER_CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');
const sandboxes: Sandbox[] = [];
afterAll(() => {
  for (const sb of sandboxes) sb.cleanup();
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

/** The dump without the lines that name the driver program (banner, driver.*). */
const body = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.includes(': ') && !l.startsWith('driver.') && !l.startsWith('Network UPS Tools'))
    .join('\n');

describe('apcsmart alone', () => {
  it('-d 1 prints what NUT 2.8.0 prints', async () => {
    requireOracle('/lib/nut/apcsmart');
    const sb = makeSandbox('nut-ts-apcsmart-cli-');
    sandboxes.push(sb);
    const dump = join(DDL, 'APC__Smart-UPS_DP_8000_XL__apcsmart__2.0.0__01.dev');
    const a = await startSimulator(dump, sb.dir, 'a');
    const b = await startSimulator(dump, sb.dir, 'b');
    try {
      sb.write('ups.conf', `[nut]\n\tdriver = apcsmart\n\tport = ${a.port}\n[ours]\n\tdriver = apcsmart\n\tport = ${b.port}\n`);
      const [nut, ours] = await Promise.all([
        run('/lib/nut/apcsmart', ['-a', 'nut', '-d', '1', '-u', 'root'], sb.env),
        run(process.execPath, [DRIVER_CLI, 'apcsmart', '-a', 'ours', '-d', '1'], sb.env),
      ]);
      expect(nut.code, nut.err).toBe(0);
      expect(ours.code, ours.err).toBe(0);
      expect(body(nut.out)).toContain('ups.model: Smart-UPS DP 8000 XL');
      expect(body(ours.out)).toBe(body(nut.out));
      // both leave smart mode on the way out
      expect(a.received().endsWith('R')).toBe(true);
      expect(b.received().endsWith('R')).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('nut simulate apcsmart: help, and a clear error without a dump', async () => {
    const help = await run(process.execPath, [NUT_CLI, 'simulate', 'apcsmart', '--help'], process.env);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/socat/);
    const bare = await run(process.execPath, [NUT_CLI, 'simulate', 'apcsmart'], process.env);
    expect(bare.code).toBe(1);
    expect(bare.err).toMatch(/--from <dump\.dev> is required/);
    const missing = await run(process.execPath, [NUT_CLI, 'simulate', 'smart-ups', '--from', '/nonexistent.dev'], process.env);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read \/nonexistent\.dev/);
  });
});
