/**
 * Repeater mode (`port = ups@host:port`): our dummy-ups repeating a NUT upsd gives the same
 * dump as NUT's dummy-ups repeating it, and fails the same way when it cannot.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, startNutDriver, startNutUpsd, stopChild, type Sandbox } from '../helpers/oracle.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');

let sb: Sandbox;
const children: ChildProcess[] = [];

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { env: sb.env, cwd: sb.dir, timeout: 90_000, encoding: 'latin1' }, (error, out, err) => {
      res({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err });
    });
  });
}

const comparable = (t: string) => t.split('\n').filter((l) => l !== '' && !l.startsWith('Network UPS Tools') && !/^driver\.version/.test(l));

describe('dummy-ups repeater mode against NUT 2.8.0', () => {
  requireOracle();
  beforeAll(async () => {
    sb = makeSandbox('nut-ts-repeater-');
    const port = await freePort();
    sb.copy(join(ROOT, 'test/fixtures/nut-data/epdu-managed.dev'));
    sb.copy(join(ROOT, 'test/fixtures/ddl/APC__Smart-UPS_X_750__usbhid-ups__2.7.4__02.dev'), 'apc.dev');
    sb.write(
      'ups.conf',
      `[src]\n\tdriver = dummy-ups\n\tport = epdu-managed.dev\n[apc]\n\tdriver = dummy-ups\n\tport = apc.dev\n` +
        `[rep]\n\tdriver = dummy-ups\n\tport = src@127.0.0.1:${port}\n[rep2]\n\tdriver = dummy-ups\n\tport = apc@127.0.0.1:${port}\n` +
        `[forced]\n\tdriver = dummy-ups\n\tport = apc.dev\n\tmode = repeater\n` +
        `[dead]\n\tdriver = dummy-ups\n\tport = src@127.0.0.1:1\n[nosuch]\n\tdriver = dummy-ups\n\tport = nosuch@127.0.0.1:${port}\n`,
    );
    children.push(startNutDriver(sb, 'dummy-ups', 'src'), startNutDriver(sb, 'dummy-ups', 'apc'));
    for (let i = 0; i < 200 && !(existsSync(join(sb.statePath, 'dummy-ups-src')) && existsSync(join(sb.statePath, 'dummy-ups-apc'))); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    children.push(await startNutUpsd(sb, port));
    await new Promise((r) => setTimeout(r, 3000));
  }, 120_000);
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    sb?.cleanup();
  });

  it.each(['rep', 'rep2', 'dead', 'nosuch', 'forced'])('[%s]: same dump or same error, same exit code', async (ups) => {
    const [ours, nut] = await Promise.all([run(process.execPath, [CLI, 'dummy-ups', '-a', ups, '-d', '1']), run('/lib/nut/dummy-ups', ['-a', ups, '-d', '1', '-u', 'root'])]);
    expect(ours.code).toBe(nut.code);
    expect(comparable(ours.out)).toEqual(comparable(nut.out));
    if (nut.code !== 0) {
      const error = nut.err.split('\n').find((l) => l.startsWith('Error:'));
      expect(error).toBeDefined();
      expect(ours.err).toContain(error!.replace(/\. Any errors.*$/, ''));
    } else {
      expect(ours.out).toMatch(/^driver\.parameter\.mode: repeater$/m);
    }
  }, 240_000);
});
