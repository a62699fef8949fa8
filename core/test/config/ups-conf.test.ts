import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/problems.js';
import { parseUpsConf } from '../../src/config/ups-conf.js';
import { validateUpsConf, type DriverOptionsLookup } from '../../src/config/validate-ups-conf.js';
import type { OptionsSchema } from '../../src/plugins/manifest.js';

const SNMP: OptionsSchema = {
  type: 'object',
  properties: {
    community: { type: 'string', description: 'SNMP community', sensitive: true },
    snmp_version: { type: 'string', description: 'v1, v2c or v3', enum: ['v1', 'v2c', 'v3'] },
    pollfreq: { type: 'integer', description: 'seconds', minimum: 1 },
    notransferoids: { type: 'boolean', description: 'flag' },
  },
};
const DUMMY: OptionsSchema = { type: 'object', properties: { mode: { type: 'string', description: 'mode' } } };
const lookup: DriverOptionsLookup = (d) => (d === 'snmp-ups' ? SNMP : d === 'dummy-ups' ? DUMMY : d === 'bare' ? undefined : 'unknown-driver');

function check(text: string) {
  const conf = parseUpsConf(text);
  return [...conf.problems, ...validateUpsConf(conf, { lookupDriver: lookup, knownDrivers: ['dummy-ups', 'snmp-ups', 'usbhid-ups'], cDriverPath: false })];
}

describe('ups.conf reader', () => {
  it('reads globals, then sections in file order, with the line of every key', () => {
    const conf = parseUpsConf('maxretry = 3\nnowait\n\n[b]\n  driver = dummy-ups\n  port = b.dev\n[a]\ndriver = snmp-ups\nport = 10.0.0.1\n');
    expect([...conf.global]).toEqual([
      ['maxretry', '3'],
      ['nowait', true],
    ]);
    expect(conf.globalEntries.get('nowait')).toEqual({ key: 'nowait', value: true, line: 2 });
    expect(conf.sections.map((s) => [s.name, s.line, s.driver, s.port])).toEqual([
      ['b', 4, 'dummy-ups', 'b.dev'],
      ['a', 7, 'snmp-ups', '10.0.0.1'],
    ]);
    expect(conf.sections[0].entries.get('port')?.line).toBe(6);
    expect(conf.problems).toEqual([]);
  });

  it('uses only the third word of key = value and warns about the rest', () => {
    const conf = parseUpsConf('[x]\ndesc = Test UPS\n');
    expect(conf.sections[0].desc).toBe('Test');
    expect(conf.problems).toHaveLength(1);
    expect(conf.problems[0]).toMatchObject({ severity: 'warning', line: 2, key: 'desc', section: 'x' });
    expect(conf.problems[0].message).toContain('desc = "Test UPS"');
  });

  it('reads one word as a flag and ignores other shapes with a warning', () => {
    const conf = parseUpsConf('[x]\nnolock\nfoo =\ndriver dummy-ups\n[my ups]\nbar = ""\n');
    const s = conf.sections[0];
    expect(s.values.get('nolock')).toBe(true);
    expect(s.values.get('bar')).toBe('');
    expect(s.values.has('foo')).toBe(false);
    expect(s.values.has('driver')).toBe(false);
    expect(conf.sections).toHaveLength(1);
    expect(conf.problems.map((p) => [p.line, p.severity])).toEqual([
      [3, 'warning'],
      [4, 'warning'],
      [5, 'warning'],
    ]);
    expect(conf.problems[0].message).toContain('foo = ""');
    expect(conf.problems[1].message).toContain('driver = dummy-ups');
    expect(conf.problems[2].message).toContain('"[my ups]"');
  });

  it('accepts a quoted section name with spaces', () => {
    expect(parseUpsConf('"[my ups]"\ndriver = x\n').sections[0].name).toBe('my ups');
  });

  it('lets a later duplicate key override an earlier one (and says so)', () => {
    const conf = parseUpsConf('[x]\nport = a\nport = b\n');
    expect(conf.sections[0].port).toBe('b');
    expect(conf.sections[0].entries.get('port')?.line).toBe(3);
    expect(conf.problems[0]).toMatchObject({ severity: 'warning', line: 3, key: 'port' });
  });

  it('collects override.* and default.* (prefix in any case) by variable name', () => {
    const conf = parseUpsConf('[x]\noverride.battery.charge = 5\nDEFAULT.input.voltage = 230\noverride.ups.mfr\n');
    const s = conf.sections[0];
    expect(s.overrides.get('battery.charge')).toEqual({ key: 'override.battery.charge', value: '5', line: 2 });
    expect(s.defaults.get('input.voltage')?.value).toBe('230');
    expect(s.overrides.get('ups.mfr')?.value).toBe(true);
    expect(conf.problems.map((p) => p.line)).toEqual([4]);
  });

  it('merges sections with the same name, as NUT does, and warns', () => {
    const conf = parseUpsConf('[x]\ndriver = dummy-ups\n[y]\nport = p\n[x]\nport = x.dev\n');
    expect(conf.sections.map((s) => s.name)).toEqual(['x', 'y']);
    expect(conf.sections[0].port).toBe('x.dev');
    expect(conf.problems[0]).toMatchObject({ line: 5, section: 'x', severity: 'warning' });
  });

  it('warns about names that differ only by case (upsd refuses the second)', () => {
    const conf = parseUpsConf('[UPS]\n[ups]\n');
    expect(conf.sections).toHaveLength(2);
    expect(conf.problems[0].message).toContain('only by case');
  });

  it('turns a parse error into a warning with its line and keeps reading', () => {
    const conf = parseUpsConf('[x]\ndesc = "Rack #1"\nport = p\n');
    expect(conf.sections[0].port).toBe('p');
    expect(conf.sections[0].values.has('desc')).toBe(false);
    expect(conf.problems.some((p) => p.line === 2 && p.message.includes('# in quotes'))).toBe(true);
  });
});

describe('ups.conf validation', () => {
  it('names file, line, section and key, and suggests the closest option', () => {
    const lines = check('[myups]\ndriver = dummy-ups\nport = x.dev\nprot = /dev/ttyS0\n').map(formatProblem);
    expect(lines).toEqual(["ups.conf:4: [myups] key 'prot' is not an option of driver dummy-ups; did you mean 'port'?"]);
  });

  it('lists what is allowed when nothing is close', () => {
    const [p] = check('[x]\ndriver = dummy-ups\nport = p\nzzzzzzzz = 1\n');
    expect(p.allowed).toContain('mode');
    expect(p.allowed).toContain('override.<variable>');
    expect(p.suggestion).toBeUndefined();
  });

  it('matches plugin options case-insensitively and core keys case-sensitively (as NUT)', () => {
    expect(check('[x]\ndriver = snmp-ups\nport = h\nCOMMUNITY = public\n')).toEqual([]);
    const [p] = check('[x]\ndriver = snmp-ups\nport = h\nPort = h2\n');
    expect(p).toMatchObject({ severity: 'error', key: 'Port', suggestion: 'port' });
    expect(p.message).toContain('case-sensitive');
  });

  it('requires driver and port', () => {
    const problems = check('[x]\ndesc = "d"\n');
    expect(problems.map((p) => [p.key, p.severity, p.line])).toEqual([
      ['driver', 'error', 1],
      ['port', 'error', 1],
    ]);
  });

  it('checks values against the plugin schema and hides sensitive values', () => {
    const problems = check('[x]\ndriver = snmp-ups\nport = h\nsnmp_version = v2\npollfreq = 0\ncommunity = ""\n');
    const byKey = new Map(problems.map((p) => [p.key, p]));
    expect(byKey.get('snmp_version')).toMatchObject({ severity: 'error', line: 4, suggestion: 'v2c' });
    expect(byKey.get('pollfreq')).toMatchObject({ severity: 'error', line: 5, allowed: '>= 1' });
    expect(problems.every((p) => !p.message.includes('public'))).toBe(true);
  });

  it('does not echo a sensitive value that fails its rule', () => {
    const s: OptionsSchema = { type: 'object', properties: { secret: { type: 'string', description: '', sensitive: true, pattern: '^[a-z]+$' } } };
    const conf = parseUpsConf('[x]\ndriver = d\nport = p\nsecret = TopSecret1\n');
    const [p] = validateUpsConf(conf, { lookupDriver: () => s });
    expect(p.message).not.toContain('TopSecret1');
    expect(p.message).toContain('***');
  });

  it('reads integers like NUT (atoi) for core keys: warns on junk, refuses what NUT refuses', () => {
    const problems = check('[x]\ndriver = dummy-ups\nport = p\npollinterval = 2s\nsdorder = abc\n');
    expect(problems.map((p) => [p.key, p.severity])).toEqual([
      ['pollinterval', 'warning'],
      ['sdorder', 'warning'],
    ]);
    const [bad] = check('[x]\ndriver = dummy-ups\nport = p\npollinterval = 0\n');
    expect(bad).toMatchObject({ key: 'pollinterval', severity: 'error', allowed: '>= 1' });
  });

  it('treats flag/value mix-ups as NUT does', () => {
    const problems = check('[x]\ndriver = snmp-ups\nport = h\nnolock = yes\nnotransferoids = 1\ncommunity\ndesc\n');
    expect(problems.map((p) => [p.key, p.severity])).toEqual([
      ['nolock', 'warning'],
      ['notransferoids', 'warning'],
      ['community', 'warning'],
      ['desc', 'error'],
    ]);
  });

  it('refuses global-only keys inside a section and points to the global part', () => {
    const [p] = check('[x]\ndriver = dummy-ups\nport = p\nmaxretry = 3\n');
    expect(p).toMatchObject({ severity: 'error', key: 'maxretry', line: 4 });
    expect(p.message).toContain('global');
  });

  it('warns about unknown global keys with a suggestion', () => {
    const [p] = check('pollintervall = 5\n[x]\ndriver = dummy-ups\nport = p\n');
    expect(formatProblem(p)).toBe("ups.conf:1: warning: global key 'pollintervall' is not used by NUT (ignored); did you mean 'pollinterval'?");
  });

  it('reports an unknown driver with the closest known one', () => {
    const [p] = check('[x]\ndriver = usbhid-upz\nport = auto\n');
    expect(p).toMatchObject({ severity: 'error', key: 'driver', line: 2, suggestion: 'usbhid-ups' });
  });

  it('treats an unknown driver that exists as a NUT C driver as a warning and does not check its keys', () => {
    const conf = parseUpsConf('[x]\ndriver = sh\nport = p\nanything = 1\n');
    const problems = validateUpsConf(conf, { lookupDriver: () => 'unknown-driver', cDriverPath: '/bin' });
    expect(problems.map((p) => [p.key, p.severity])).toEqual([['driver', 'warning']]);
  });

  it("a misspelt 'driver' key is named as such, not as an option of driver '(none)'", () => {
    const problems = check('[x]\ndrvier = dummy-ups\nport = p\n');
    expect(problems.map((p) => formatProblem(p))).toEqual([
      "ups.conf:1: [x] missing required key 'driver'; NUT's upsd ignores the incomplete section and no driver starts for it",
      "ups.conf:2: [x] key 'drvier' is not a ups.conf key (the section names no driver); did you mean 'driver'?",
    ]);
  });

  it('suggests a NUT C driver from the driver path for a misspelt driver no plugin provides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-driverpath-'));
    try {
      writeFileSync(join(dir, 'blazer_usb'), '');
      const conf = parseUpsConf('[x]\ndriver = blazer_ubs\nport = auto\n');
      const [p] = validateUpsConf(conf, { lookupDriver: () => 'unknown-driver', knownDrivers: ['dummy-ups'], cDriverPath: dir });
      expect(p).toMatchObject({ severity: 'error', key: 'driver', line: 2, suggestion: 'blazer_usb' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts only core keys for a plugin that declares no options', () => {
    const problems = check('[x]\ndriver = bare\nport = p\nmode = x\n');
    expect(problems.map((p) => [p.key, p.severity])).toEqual([['mode', 'error']]);
  });

  it('suggests the override. prefix for a misspelt one', () => {
    const [p] = check('[x]\ndriver = dummy-ups\nport = p\noveride.battery.charge = 5\n');
    expect(p.suggestion).toBe('override.battery.charge');
  });

  it('refuses a file without sections unless ALLOW_NO_DEVICE', () => {
    const conf = parseUpsConf('maxretry = 3\n');
    expect(validateUpsConf(conf, { lookupDriver: lookup }).map((p) => p.severity)).toEqual(['error']);
    expect(validateUpsConf(conf, { lookupDriver: lookup, allowNoDevice: true })).toEqual([]);
  });

  it('treats keys named like Object.prototype members as ordinary unknown keys', () => {
    const problems = check('__proto__ = 1\n[x]\ndriver = dummy-ups\nport = p\n__proto__ = 1\nhasOwnProperty\nconstructor = 2\n');
    expect(problems.map((p) => [p.line, p.key, p.severity])).toEqual([
      [1, '__proto__', 'warning'],
      [5, '__proto__', 'error'],
      [6, 'hasOwnProperty', 'error'],
      [7, 'constructor', 'error'],
    ]);
  });

  it('compiles a driver schema once and reuses it', () => {
    const text = '[a]\ndriver = snmp-ups\nport = h\n[b]\ndriver = snmp-ups\nport = h2\nsnmp_version = v9\n';
    const first = check(text);
    const second = check(text);
    expect(second).toEqual(first);
    expect(first.map((p) => p.section)).toEqual(['b']);
  });
});

describe('ups.conf validation with broken plugin schemas', () => {
  const BROKEN: unknown[] = [
    { type: 'object', properties: null },
    { type: 'object', properties: { x: { type: 'strng', description: '' } } },
    { type: 'object', properties: { x: { type: 'string', pattern: '(', description: '' } } },
    { type: 'object', properties: { x: null, y: 5 } },
    { type: 'object', properties: [] },
  ];
  it.each(BROKEN.map((s, i) => [i, s]))('schema %i: reported on the driver line, never thrown', (_i, schema) => {
    const conf = parseUpsConf('[x]\ndriver = weird\nport = p\nx = 1\nprot = 2\n');
    const problems = validateUpsConf(conf, { lookupDriver: () => schema as OptionsSchema });
    for (const p of problems) expect(p.line).toBeGreaterThan(0);
    expect(problems.every((p) => typeof p.message === 'string')).toBe(true);
  });

  it('an invalid schema is an error naming the driver; core keys are still checked', () => {
    const conf = parseUpsConf('[x]\ndriver = weird\nport = p\npollinterval = 0\n');
    const problems = validateUpsConf(conf, { lookupDriver: () => ({ type: 'object', properties: { x: { type: 'strng', description: '' } } }) as unknown as OptionsSchema });
    expect(problems.map((p) => [p.key, p.severity, p.line])).toEqual([
      ['driver', 'error', 2],
      ['pollinterval', 'error', 4],
    ]);
    expect(problems[0].message).toContain("driver 'weird'");
  });

  it('equal schemas handed out as copies share one compiled validator (same verdicts)', () => {
    const make = (): OptionsSchema => ({ type: 'object', properties: { mode: { type: 'string', description: '', enum: ['a'] } } });
    const conf = parseUpsConf('[x]\ndriver = d\nport = p\nmode = b\n');
    const a = validateUpsConf(conf, { lookupDriver: make });
    const b = validateUpsConf(conf, { lookupDriver: make });
    expect(b).toEqual(a);
    expect(a.map((p) => p.key)).toEqual(['mode']);
  });
});
