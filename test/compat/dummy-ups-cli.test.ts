/**
 * `nut-driver dummy-ups …` against NUT 2.8.0's `/lib/nut/dummy-ups …`: exit codes and the
 * messages of the option handling (banner aside, whose parenthesis carries our version).
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, requireOracle } from '../helpers/oracle.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'core', 'dist', 'cli', 'driver.js');
const sb = makeSandbox('nut-ts-dummy-cli-');
afterAll(() => sb.cleanup());
sb.write('t.dev', 'ups.mfr: ACME\nbattery.charge: 90\nbattery.charge.low: 20\n');
sb.write('nolevels.dev', 'ups.mfr: ACME\nbattery.charge: 90\n');
sb.write(
  'ups.conf',
  '[ok]\n\tdriver = dummy-ups\n\tport = t.dev\n[bad]\n\tdriver = dummy-ups\n\tport = t.dev\n\tbogus = 1\n[badflag]\n\tdriver = dummy-ups\n\tport = t.dev\n\tsomeflag\n' +
    '[other]\n\tdriver = usbhid-ups\n\tport = auto\n[noport]\n\tdriver = dummy-ups\n',
);

interface Result {
  code: number;
  out: string;
  err: string;
}

function run(cmd: string, args: string[]): Promise<Result> {
  return new Promise((res) => {
    execFile(cmd, args, { env: sb.env, cwd: sb.dir, timeout: 90_000, encoding: 'latin1' }, (error, out, err) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      res({ code, out, err });
    });
  });
}

const ours = (args: string[]) => run(process.execPath, [CLI, 'dummy-ups', ...args]);
const nut = (args: string[]) => run('/lib/nut/dummy-ups', [...args, '-u', 'root']);

/** Output lines without the banner and our hints (NUT has none). */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('Network UPS Tools - ') && !l.startsWith('Hint:'));
}

describe('nut-driver dummy-ups: options, messages and exit codes as NUT 2.8.0', () => {
  requireOracle('/lib/nut/dummy-ups');
  const cases: Array<[string, string[]]> = [
    ['-V', ['-V']],
    ['-L', ['-L']],
    ['no -a/-s', ['-x', 'port=t.dev']],
    ['missing section', ['-a', 'nosuch']],
    ['section for another driver', ['-a', 'other']],
    ['no port', ['-a', 'noport']],
    ['unknown variable in ups.conf (exit 0)', ['-a', 'bad']],
    ['unknown flag in ups.conf (exit 0)', ['-a', 'badflag']],
    ['unknown -x variable (exit 0)', ['-s', 'cli', '-x', 'port=t.dev', '-x', 'cable=1']],
    ['-x pollinterval is not a driver variable', ['-s', 'cli', '-x', 'port=t.dev', '-x', 'pollinterval=5']],
    ['invalid -i', ['-a', 'ok', '-i', '0']],
    ['-k: shutdown not supported', ['-a', 'ok', '-k']],
    ['missing data file', ['-s', 'cli', '-x', 'port=nofile.dev', '-d', '1']],
    ['ignorelb without levels', ['-s', 'cli', '-x', 'port=nolevels.dev', '-x', 'ignorelb', '-d', '1']],
  ];
  it.concurrent.each(cases)('%s', async (_name, args) => {
    const [a, b] = await Promise.all([ours(args), nut(args)]);
    expect(a.code).toBe(b.code);
    expect(lines(a.out)).toEqual(lines(b.out));
    if (b.code !== 0) {
      for (const l of lines(b.err).filter((l) => !l.includes('invalid option'))) expect(a.err).toContain(l);
    }
  }, 240_000);

  it('ignorelb is accepted when charge levels exist', async () => {
    const args = ['-s', 'cli', '-x', 'port=t.dev', '-x', 'ignorelb', '-d', '1'];
    const [a, b] = await Promise.all([ours(args), nut(args)]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(lines(a.out).filter((l) => !l.startsWith('driver.version'))).toEqual(lines(b.out).filter((l) => !l.startsWith('driver.version')));
  }, 240_000);

  it('-h lists the driver variables like NUT', async () => {
    const [a, b] = await Promise.all([ours(['-h']), nut(['-h'])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const tail = (t: string) => t.slice(t.indexOf('Acceptable values'));
    expect(tail(a.out)).toBe(tail(b.out));
    expect(a.out).toContain('usage: dummy-ups (-a <id>|-s <id>) [OPTIONS]');
  }, 240_000);

  it('the unknown-variable error carries a hint', async () => {
    const a = await ours(['-s', 'cli', '-x', 'port=t.dev', '-x', 'mdoe=dummy-once']);
    expect(a.code).toBe(0);
    expect(a.out).toContain("Fatal error: 'mdoe' is not a valid variable name for this driver.");
    expect(a.out).toContain("Hint: did you mean 'mode'?");
  }, 240_000);
});
