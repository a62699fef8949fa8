/**
 * Our upscmd against NUT 2.8.0's upsd prints what NUT's upscmd prints: -l, commands with
 * and without a value, refusals, prompts, tracked -w results (SUCCESS, ERR UNKNOWN, ERR FAILED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBoth, runNut, runOurs, startNutStack, type NutStack } from './clients-harness.js';

let stack: NutStack;

beforeAll(async () => {
  stack = await startNutStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function same(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const { nut, ours } = await runBoth('upscmd', args, input);
  expect(ours).toEqual(nut);
  return nut;
}

const ADMIN = ['-u', 'admin', '-p', 'secret'];

describe('upscmd vs NUT upscmd, against NUT upsd', () => {
  it('-l lists commands with descriptions', async () => {
    const nut = await same(['-l', stack.ups('fake')]);
    expect(nut.stdout).toMatch(/^Instant commands supported on UPS \[fake\]:\n\n/);
    expect(nut.stdout).toContain('\nvendor.special - Description unavailable\n');
    await same(['-l', stack.ups('dummy')]);
    await same(['-l', stack.ups('ddl')]);
    await same(['-l', `bogus@127.0.0.1:${stack.port}`]);
    await same(['-l', `dummy@127.0.0.1:${stack.closedPort}`]);
  });

  it('runs a command: OK on stderr, exit 0', async () => {
    const nut = await same([...ADMIN, stack.ups('dummy'), 'load.off']);
    expect(nut).toEqual({ stdout: '', stderr: 'OK\n', code: 0 });
    await same([...ADMIN, stack.ups('fake'), 'test.battery.start', '10']);
  });

  it('refusals: unsupported command, no right, wrong password, old name, unknown UPS', async () => {
    await same([...ADMIN, stack.ups('dummy'), 'load.on']);
    await same(['-u', 'ro', '-p', 'ro', stack.ups('dummy'), 'load.off']);
    await same(['-u', 'admin', '-p', 'nope', stack.ups('dummy'), 'load.off']);
    await same([...ADMIN, stack.ups('dummy'), 'nodot']);
    await same([...ADMIN, `bogus@127.0.0.1:${stack.port}`, 'load.off']);
    await same([...ADMIN, 'nosuch@nonexistent.invalid', 'load.off']);
  });

  it('-w waits for the driver result and exits 0 even for ERR results', async () => {
    const success = await same(['-w', ...ADMIN, stack.ups('fake'), 'load.off']);
    expect(success).toEqual({ stdout: '', stderr: 'SUCCESS\n', code: 0 });
    const failed = await same(['-w', ...ADMIN, stack.ups('fake'), 'beeper.toggle']);
    expect(failed.stderr).toBe('ERR FAILED\n');
    const unknown = await same(['-w', '-t', '5', ...ADMIN, stack.ups('dummy'), 'load.off']);
    expect(unknown.stderr).toBe('ERR UNKNOWN\n');
    await same(['-w', ...ADMIN, stack.ups('dummy'), 'load.on']);
  });

  it('prompts for the username when -u is missing', async () => {
    await same(['-p', 'secret', stack.ups('dummy'), 'load.off'], 'admin\n');
    await same(['-p', 'secret', stack.ups('dummy'), 'load.off'], 'ro\n');
    // without a terminal getpass() prompts on stderr and reads stdin
    await same(['-u', 'admin', stack.ups('dummy'), 'load.off'], 'secret\n');
    await same([stack.ups('dummy'), 'load.off'], 'admin\nsecret\n');
  });

  it('usage, version, bad options', async () => {
    await same([]);
    await same([stack.ups('dummy')]);
    await same(['-h']);
    await same(['-V']);
    await same(['-q', stack.ups('dummy')]);
    await same(['-t', '-5', stack.ups('dummy'), 'load.off']);
    await same(['-u']);
    await same(['dummy@', 'load.off']);
  });
});

describe('upscmd --json (beyond NUT)', () => {
  it('-l as a list of name and description', async () => {
    const nut = await runNut('upscmd', ['-l', stack.ups('fake')]);
    const ours = await runOurs('upscmd', ['--json', '-l', stack.ups('fake')]);
    const fromNut = nut.stdout
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf(' - ');
        return i < 0 ? { name: l } : { name: l.slice(0, i), description: l.slice(i + 3) };
      });
    expect(JSON.parse(ours.stdout)).toEqual(fromNut);
  });

  it('a tracked command as JSON', async () => {
    const ours = await runOurs('upscmd', ['--json', '-w', ...ADMIN, stack.ups('fake'), 'load.off']);
    expect(ours.code).toBe(0);
    const report = JSON.parse(ours.stdout) as { result: string; tracking: string };
    expect(report).toMatchObject({ ups: 'fake', command: 'load.off', result: 'SUCCESS' });
    expect(report.tracking).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  });
});
