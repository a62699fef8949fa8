/**
 * "Anything NUT 2.8.0 accepts, we accept": one ups.conf line at a time, NUT's dummy-ups decides
 * (it runs, or it refuses the configuration), and our validation must agree: no error where NUT
 * runs, an error where NUT refuses. The one deliberate exception (maxstartdelay in a section,
 * accepted by later NUT releases) is checked to be a warning.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, NUT_DRIVER_DIR, requireOracle, type Sandbox } from '../helpers/oracle.js';
import type { OptionsSchema } from '../../core/src/plugins/manifest.js';
import { parseUpsConf } from '../../core/src/config/ups-conf.js';
import { validateUpsConf } from '../../core/src/config/validate-ups-conf.js';

/** dummy-ups's addvar table (`dummy-ups -h`): one value option, `mode`. */
const DUMMY_UPS: OptionsSchema = {
  type: 'object',
  properties: { mode: { type: 'string', description: 'dummy-loop, dummy-once or repeater' } },
};

const LINES = [
  'sdorder = 3',
  'sdorder = -1',
  'desc = hi',
  'desc = Test UPS',
  'nolock',
  'nolock = yes',
  'sddelay = 5',
  'user = root',
  'group = root',
  'synchronous = yes',
  'synchronous = maybe',
  'debug_min = x',
  'pollinterval = 3',
  'pollinterval = 2s',
  'mode',
  'mode = dummy-once',
  'MODE = dummy-once',
  'override.battery.charge = 5',
  'OVERRIDE.battery.charge = 5',
  'override.battery.charge',
  'default.input.voltage = 230',
  'Default.input.voltage = 230',
  'foo =',
  'driver dummy-ups',
  '[my ups]',
  'a b c d',
  'chroot = /',
  'driverpath = /x',
  'maxretry = 3',
  'retrydelay = 1',
  'nowait',
  'desc',
  'sdorder',
  'port',
  'DESC = x',
  'Port = x.dev',
  'NOLOCK',
  'pollinterval = 0',
  'pollinterval = abc',
  'pollinterval = -5',
  'driver = usbhid-ups',
  'foo = bar',
  'foo',
  'modee = dummy-once',
];

interface Verdict {
  accepted: boolean;
  output: string;
}

/** Lines before the first section (global scope). */
const GLOBAL_LINES = [
  'pollinterval = 3',
  'pollinterval = 0',
  'pollinterval = x',
  'maxretry = 3',
  'retrydelay = 1',
  'maxstartdelay = 10',
  'nowait',
  'driverpath = /lib/nut',
  'user = root',
  'synchronous = maybe',
  'debug_min = x',
  'foo = bar',
  'foo',
  'driver = other',
  'port = elsewhere',
  'mode = bogus',
  'override.battery.charge = 5',
];

function runNut(sb: Sandbox, name: string, line: string, global = ''): Promise<Verdict> {
  const dir = join(sb.confPath, name);
  return new Promise((resolve) => {
    const env = { ...sb.env, NUT_CONFPATH: dir };
    import('node:fs').then(({ mkdirSync }) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'x.dev'), 'ups.status: OL\nbattery.charge: 100\n');
      writeFileSync(join(dir, 'ups.conf'), `${global}[x]\ndriver = dummy-ups\nport = x.dev\n${line}\n`);
      const child = spawn(join(NUT_DRIVER_DIR, 'dummy-ups'), ['-a', 'x', '-d', '1', '-u', 'root'], { env, cwd: dir });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString('latin1')));
      child.stderr.on('data', (d: Buffer) => (output += d.toString('latin1')));
      child.on('close', (code) => resolve({ accepted: code === 0 && /^driver\.name: dummy-ups$/m.test(output), output }));
    });
  });
}

function ourErrors(line: string, global = ''): string[] {
  const conf = parseUpsConf(`${global}[x]\ndriver = dummy-ups\nport = x.dev\n${line}\n`);
  const problems = [
    ...conf.problems,
    ...validateUpsConf(conf, { lookupDriver: (d) => (d === 'dummy-ups' ? DUMMY_UPS : 'unknown-driver'), cDriverPath: false }),
  ];
  return problems.filter((p) => p.severity === 'error').map((p) => p.message);
}

describe('ups.conf acceptance matches NUT 2.8.0 (dummy-ups)', () => {
  let sb: Sandbox;
  const verdicts = new Map<string, Verdict>();
  beforeAll(async () => {
    requireOracle();
    sb = makeSandbox('nut-ts-accept-');
    const jobs: Array<() => Promise<void>> = [
      ...LINES.map((line, i) => async () => void verdicts.set(line, await runNut(sb, `c${i}`, line))),
      ...GLOBAL_LINES.map((line, i) => async () => void verdicts.set(`global: ${line}`, await runNut(sb, `g${i}`, '', `${line}\n`))),
    ];
    const workers = Array.from({ length: 4 }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await job();
    });
    await Promise.all(workers);
  }, 480_000);
  afterAll(() => sb?.cleanup());

  it.each(LINES)('%s', (line) => {
    const nut = verdicts.get(line);
    expect(nut, 'NUT verdict').toBeDefined();
    const errors = ourErrors(line);
    if (nut!.accepted) expect(errors, `NUT accepts this line:\n${nut!.output}`).toEqual([]);
    else expect(errors.length, `NUT refuses this line:\n${nut!.output}`).toBeGreaterThan(0);
  }, 120_000);

  it.each(GLOBAL_LINES)('global: %s', (line) => {
    const nut = verdicts.get(`global: ${line}`)!;
    expect(nut, 'NUT verdict').toBeDefined();
    const errors = ourErrors('', `${line}\n`);
    if (nut.accepted) expect(errors, `NUT accepts this line:\n${nut.output}`).toEqual([]);
    else expect(errors.length, `NUT refuses this line:\n${nut.output}`).toBeGreaterThan(0);
  }, 120_000);

  it('maxstartdelay in a section: NUT 2.8.0 refuses it, we warn (later NUT accepts it)', async () => {
    const nut = await runNut(sb, 'msd', 'maxstartdelay = 5');
    expect(nut.accepted).toBe(false);
    expect(nut.output).toContain("'maxstartdelay' is not a valid variable name");
    const conf = parseUpsConf('[x]\ndriver = dummy-ups\nport = x.dev\nmaxstartdelay = 5\n');
    const problems = validateUpsConf(conf, { lookupDriver: () => DUMMY_UPS });
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(problems.some((p) => p.key === 'maxstartdelay' && p.severity === 'warning')).toBe(true);
  }, 120_000);

  it('sections with the same name are merged; a later key overrides (NUT and we agree)', async () => {
    const text = 'default.t.1 = first\n[y]\ndriver = dummy-ups\nport = y.dev\n[x]\ndefault.t.2 = two\ndefault.t.1 = one\n';
    const nut = await runNut(sb, 'merge', text);
    expect(nut.accepted).toBe(true);
    expect(nut.output).toMatch(/^t\.1: one$/m);
    expect(nut.output).toMatch(/^t\.2: two$/m);
    const conf = parseUpsConf(`[x]\ndriver = dummy-ups\nport = x.dev\n${text}`);
    const x = conf.sections.find((s) => s.name === 'x')!;
    expect(Object.fromEntries([...x.defaults].map(([k, e]) => [k, e.value]))).toEqual({ 't.1': 'one', 't.2': 'two' });
    expect(x.driver).toBe('dummy-ups');
  }, 120_000);
});
