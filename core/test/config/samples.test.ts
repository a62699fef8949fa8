/**
 * Debian's NUT 2.8.0 sample files (test/fixtures/nut-samples, copied from /etc/nut) and the
 * examples written in their comments: all of them must pass without an error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/check-config.js';
import { parseNutConf } from '../../src/config/nut-conf.js';
import { parseUpsConf } from '../../src/config/ups-conf.js';
import { parseUpsdConf } from '../../src/config/upsd-conf.js';
import { parseUpsdUsers } from '../../src/config/upsd-users.js';
import { validateNutConf, validateUpsdConf, validateUpsdUsers } from '../../src/config/validate-files.js';
import { validateUpsConf } from '../../src/config/validate-ups-conf.js';
import type { OptionsSchema } from '../../src/plugins/manifest.js';

const SAMPLES = new URL('../../../test/fixtures/nut-samples/', import.meta.url);
const sample = (name: string) => readFileSync(new URL(name, SAMPLES), 'latin1');

/** The example lines a sample shows in comments, uncommented (`#   [admin]` → `[admin]`). */
function examples(text: string, pattern: RegExp): string {
  return (
    text
      .split('\n')
      .map((l) => /^#(.*)$/.exec(l)?.[1] ?? '')
      .filter((l) => pattern.test(l) && !l.includes('<'))
      .map((l) => l.trim())
      .join('\n') + '\n'
  );
}

/** Drivers named in the samples: options as their `-h` lists them (blazer_ser: cable etc.). */
const lookupDriver = (): OptionsSchema => ({
  type: 'object',
  properties: { cable: { type: 'string', description: 'cable type' } },
});

describe("Debian's sample config files", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('ups.conf: no problem at all', () => {
    const conf = parseUpsConf(sample('ups.conf'));
    expect(conf.problems).toEqual([]);
    expect(conf.global.get('maxretry')).toBe('3');
    expect(conf.sections).toEqual([]);
    expect(validateUpsConf(conf, { lookupDriver, allowNoDevice: true })).toEqual([]);
  });

  it('ups.conf: the commented examples ([powerpal], [myups]) pass', () => {
    const text = examples(sample('ups.conf'), /^\s*(\[(?!upsname)\w+\]|\w+ = .+)$/);
    expect(text).toContain('[powerpal]');
    expect(text).toContain('cable = 1234');
    const conf = parseUpsConf(text);
    expect(conf.problems).toEqual([]);
    expect(conf.sections.map((s) => [s.name, s.driver, s.port, s.desc])).toEqual([
      ['powerpal', 'blazer_ser', '/dev/ttyS0', 'Web server'],
      ['myups', 'mydriver', '/dev/ttyS1', 'Something descriptive'],
    ]);
    expect(validateUpsConf(conf, { lookupDriver })).toEqual([]);
  });

  it('ups.conf: the default.*/override.* examples from the comments pass', () => {
    const text = '[x]\ndriver = d\nport = p\n' + examples(sample('ups.conf'), /^\s*(default|override)\.[\w.]+ = \S+$/);
    const conf = parseUpsConf(text);
    expect([...conf.sections[0].defaults.keys()]).toEqual(['input.voltage.nominal']);
    expect([...conf.sections[0].overrides.keys()]).toEqual(['battery.voltage.nominal']);
    expect([...conf.problems, ...validateUpsConf(conf, { lookupDriver })]).toEqual([]);
  });

  it('upsd.conf: no problem; every example directive is accepted (at most warnings)', () => {
    const conf = parseUpsdConf(sample('upsd.conf'));
    expect([...conf.problems, ...validateUpsdConf(conf)]).toEqual([]);
    const text = examples(sample('upsd.conf'), /^ [A-Z_]{4,} ("[^"]*"|\S+)( ("[^"]*"|\S+))?$/);
    expect(text.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(13);
    const ex = parseUpsdConf(text);
    const problems = [...ex.problems, ...validateUpsdConf(ex)];
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    // `LISTEN myhostname 83493` (port wrapped by getaddrinfo) and `CERTREQUEST REQUIRE` (not a number)
    expect(problems.map((p) => p.key).sort()).toEqual(['CERTREQUEST', 'LISTEN']);
    expect(ex.listen.map((l) => `${l.address} ${l.port}`)).toEqual(['127.0.0.1 3493', '::1 3493', 'myhostname 83493', 'myhostname.mydomain 3493']);
    expect(ex.certIdent?.value).toEqual({ name: 'my nut server', password: 'MyPasSw0rD' });
  });

  it('upsd.users: no problem; the commented users pass', () => {
    const conf = parseUpsdUsers(sample('upsd.users'));
    expect([...conf.problems, ...validateUpsdUsers(conf)]).toEqual([]);
    expect(conf.users).toEqual([]);
    const text = examples(sample('upsd.users'), /^\s*(\[\w+\]|\w+\s*=\s*\S+|upsmon \w+)\s*$/);
    const ex = parseUpsdUsers(text);
    expect([...ex.problems, ...validateUpsdUsers(ex)]).toEqual([]);
    expect(ex.users.map((u) => [u.name, u.password?.value, u.instcmds.map((c) => c.value), u.upsmon?.value])).toEqual([
      ['admin', 'mypass', ['ALL'], undefined],
      ['testuser', 'pass', ['test.battery.start', 'test.battery.stop'], undefined],
      ['upsmon', 'pass', [], 'secondary'],
    ]);
  });

  it('nut.conf: MODE=none, and the commented ALLOW_NO_DEVICE lines pass', () => {
    const conf = parseNutConf(sample('nut.conf'));
    expect([...conf.problems, ...validateNutConf(conf)]).toEqual([]);
    expect(conf.mode?.value).toBe('none');
    const ex = parseNutConf(sample('nut.conf') + examples(sample('nut.conf'), /^(export )?ALLOW_NO_DEVICE/));
    expect([...ex.problems, ...validateNutConf(ex)]).toEqual([]);
    expect(ex.variables.get('ALLOW_NO_DEVICE')?.value).toBe('true');
  });

  it('upsmon.conf and upssched.conf samples: no problem through checkConfig (mode netclient)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-samples-'));
    dirs.push(dir);
    for (const f of ['upsmon.conf', 'upssched.conf']) writeFileSync(join(dir, f), sample(f), { mode: 0o640 });
    const r = checkConfig(dir, { env: {}, mode: 'netclient' });
    expect(r.problems).toEqual([]);
    expect(r.upsmonConf?.minSupplies).toBe(1);
  });

  it('checkConfig on the samples: clean as installed (MODE=none); with a device section and MODE=standalone too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-samples-'));
    dirs.push(dir);
    for (const f of ['ups.conf', 'upsd.conf', 'upsd.users', 'nut.conf', 'upsmon.conf', 'upssched.conf']) writeFileSync(join(dir, f), sample(f), { mode: 0o640 });
    const installed = checkConfig(dir, { lookupDriver, env: {} });
    expect(installed.mode).toBe('none');
    expect(installed.problems).toEqual([]);
    const standalone = checkConfig(dir, { lookupDriver, env: {}, mode: 'standalone' });
    expect(standalone.errors).toBe(1);
    expect(standalone.problems[0].message).toContain('at least one UPS');
    writeFileSync(join(dir, 'ups.conf'), sample('ups.conf') + examples(sample('ups.conf'), /^\s*(\[(?!upsname)\w+\]|\w+ = .+)$/));
    const withDevices = checkConfig(dir, { lookupDriver, env: {}, mode: 'standalone' });
    expect(withDevices.problems).toEqual([]);
  });
});
