/**
 * Our upsrw against NUT 2.8.0's upsd prints what NUT's upsrw prints: listings (STRING,
 * NUMBER, ENUM STRING/NUMBER, RANGE, ENUM+RANGE), sets with -u/-p or prompts, refusals, -w.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from '../../core/src/client/index.js';
import { runBoth, runNut, runOurs, startNutStack, type NutStack } from './clients-harness.js';

let stack: NutStack;

beforeAll(async () => {
  stack = await startNutStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function same(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const { nut, ours } = await runBoth('upsrw', args, input);
  expect(ours).toEqual(nut);
  return nut;
}

async function value(ups: string, name: string): Promise<string> {
  const c = new NutClient({ host: '127.0.0.1', port: stack.port });
  try {
    await c.connect();
    return await c.getVar(ups, name);
  } finally {
    c.close();
  }
}

describe('upsrw listing vs NUT upsrw', () => {
  it.each(['dummy', 'ddl', 'epdu', 'fake'])('lists the writable variables of %s', async (ups) => {
    const nut = await same([stack.ups(ups)]);
    expect(nut.code).toBe(0);
    expect(nut.stdout).toContain('Type: ');
  });

  it('shows enums and ranges with the current value selected', async () => {
    const nut = await same(['-l', stack.ups('fake')]);
    expect(nut.stdout).toContain('Type: ENUM STRING\nMaximum length: 10\n');
    expect(nut.stdout).toContain('Type: RANGE NUMBER\n');
    expect(nut.stdout).toContain('Option: "100" SELECTED\n');
  });

  it('-l overrides an earlier -s; unknown UPS; connection failure', async () => {
    await same(['-s', 'ups.id=x', '-l', stack.ups('fake')]);
    await same([`bogus@127.0.0.1:${stack.port}`]);
    await same([`dummy@127.0.0.1:${stack.closedPort}`]);
    await same(['nosuch@nonexistent.invalid']);
  });

  it('bad arguments, help, version', async () => {
    await same([]);
    await same(['-h']);
    await same(['-V']);
    await same(['-s']);
    await same(['-t', 'abc', stack.ups('dummy')]);
    await same(['-z', stack.ups('dummy')]);
    await same(['dummy@']);
  });
});

describe('upsrw set vs NUT upsrw', () => {
  const ADMIN = ['-u', 'admin', '-p', 'secret'];

  it('sets a value (OK on stderr) and the driver applies it', async () => {
    const nut = await same(['-s', 'ups.id=xyz', ...ADMIN, stack.ups('dummy')]);
    expect(nut).toEqual({ stdout: '', stderr: 'OK\n', code: 0 });
    await expect.poll(() => value('dummy', 'ups.id'), { timeout: 20_000 }).toBe('xyz');
  });

  it('values with spaces, quotes and hashes arrive intact', async () => {
    await same(['-s', 'ups.id=a "b" #c', ...ADMIN, stack.ups('fake')]);
    await expect.poll(() => value('fake', 'ups.id'), { timeout: 20_000 }).toBe('a "b" #c');
  });

  it('refusals: wrong password, no SET right, readonly, unknown, too long, not in enum or range', async () => {
    await same(['-s', 'ups.id=xyz', '-u', 'admin', '-p', 'wrong', stack.ups('dummy')]);
    await same(['-s', 'ups.id=xyz', '-u', 'ro', '-p', 'ro', stack.ups('dummy')]);
    await same(['-s', 'driver.name=x', ...ADMIN, stack.ups('dummy')]);
    await same(['-s', 'ups.model=x', ...ADMIN, stack.ups('fake')]);
    await same(['-s', 'nosuch.var=1', ...ADMIN, stack.ups('dummy')]);
    await same(['-s', 'ups.id=waytoolongvalue', ...ADMIN, stack.ups('fake')]);
    await same(['-s', 'input.transfer.low=101', ...ADMIN, stack.ups('fake')]);
    await same(['-s', 'ups.delay.shutdown=90', ...ADMIN, stack.ups('fake')]);
    await same(['-s', 'input.sensitivity=h', ...ADMIN, stack.ups('fake')]);
    await same(['-s', 'nodot=1', ...ADMIN, stack.ups('dummy')]);
    await same(['-s', 'ups.id=1', ...ADMIN, `bogus@127.0.0.1:${stack.port}`]);
  });

  it('prompts for the username and the value when they are not given', async () => {
    // NUT reads the answers with fgets(): the username line, then the value line
    await same(['-p', 'secret', '-s', 'ups.id', stack.ups('dummy')], 'admin\nfromprompt\n');
    await same(['-p', 'secret', '-s', 'ups.id=x', stack.ups('dummy')], 'ro\n');
    await same([...ADMIN, '-s', 'ups.id', stack.ups('dummy')], 'prompted\n');
    await same(['-s', 'ups.id', stack.ups('dummy')], 'admin\nsecret\nall three\n');
  });

  it('-w waits for the driver result', async () => {
    const tracked = await same(['-w', '-s', 'ups.delay.shutdown=30', ...ADMIN, stack.ups('fake')]);
    expect(tracked).toEqual({ stdout: '', stderr: 'SUCCESS\n', code: 0 });
    await same(['-w', '-t', '5', '-s', 'ups.id=tracked', ...ADMIN, stack.ups('dummy')]);
    await same(['-w', '-s', 'ups.id=tracked', '-u', 'ro', '-p', 'ro', stack.ups('dummy')]);
  });
});

describe('upsrw --json (beyond NUT)', () => {
  it('lists the same variables, types, values and options as NUT prints', async () => {
    const nut = await runNut('upsrw', [stack.ups('fake')]);
    const ours = await runOurs('upsrw', ['--json', stack.ups('fake')]);
    expect(ours.code).toBe(0);
    const list = JSON.parse(ours.stdout) as Array<{
      name: string;
      description: string;
      type?: string;
      valueType?: string;
      maxLength?: number;
      value?: string;
      options?: string[];
      ranges?: Array<{ min: number; max: number }>;
    }>;
    // rebuild NUT's text from our JSON
    const text = list
      .map((v) => {
        const lines = [`[${v.name}]`, v.description];
        if (v.type === 'ENUM') {
          lines.push(v.valueType ? `Type: ENUM ${v.valueType}` : 'Type: ENUM');
          if (v.valueType === 'STRING') lines.push(`Maximum length: ${v.maxLength}`);
          for (const o of v.options ?? []) lines.push(`Option: "${o}"${o === v.value ? ' SELECTED' : ''}`);
        } else if (v.type === 'RANGE') {
          lines.push('Type: RANGE NUMBER');
          const cur = parseInt(v.value ?? '0', 10);
          for (const r of v.ranges ?? []) lines.push(`Option: "${r.min}-${r.max}"${cur >= r.min && cur <= r.max ? ' SELECTED' : ''}`);
        } else if (v.type === 'STRING') {
          lines.push('Type: STRING', `Maximum length: ${v.maxLength}`, `Value: ${v.value}`);
        } else if (v.type === 'NUMBER') {
          lines.push('Type: NUMBER', `Value: ${v.value}`);
        }
        return lines.join('\n') + '\n\n';
      })
      .join('');
    expect(text).toBe(nut.stdout);
  });

  it('reports a set as JSON on stdout', async () => {
    const ours = await runOurs('upsrw', ['--json', '-s', 'ups.id=json', '-u', 'admin', '-p', 'secret', stack.ups('dummy')]);
    expect(ours.code).toBe(0);
    expect(JSON.parse(ours.stdout)).toMatchObject({ ups: 'dummy', variable: 'ups.id', value: 'json', result: 'OK' });
  });
});
