/**
 * Random input never crashes the tokenizer or a reader: every outcome is data, and every
 * problem has a file, a line and a message. Seeded and bounded, so a failure replays.
 */
import { rng } from '../../../test/helpers/random.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHostSettings, resolveHostSettings } from '../../src/config/host-settings.js';
import { tokenizeConfig } from '../../src/config/parseconf.js';
import { parseNutConf } from '../../src/config/nut-conf.js';
import type { ConfigProblem } from '../../src/config/problems.js';
import { parseUpsConf } from '../../src/config/ups-conf.js';
import { parseUpsdConf } from '../../src/config/upsd-conf.js';
import { parseUpsdUsers } from '../../src/config/upsd-users.js';
import { validateNutConf, validateUpsdConf, validateUpsdUsers } from '../../src/config/validate-files.js';
import { validateUpsConf } from '../../src/config/validate-ups-conf.js';
import type { OptionsSchema } from '../../src/plugins/manifest.js';


/** Bytes biased towards the grammar's structural characters and real keywords. */
const TOKENS = [
  '[', ']', '"', '\\', '#', '=', '\n', ' ', '\t', '\r', '\x00', '\xff', '\x7f', 'é',
  '[x]', '[ups]', 'driver', 'port', 'desc', 'dummy-ups', 'snmp-ups', 'pollinterval', '0', '-1', '2s', 'override.',
  'default.', 'nolock', 'LISTEN', 'MAXAGE', 'MAXCONN', 'ALLOW_NO_DEVICE', 'CERTIDENT', 'DEBUG_MIN', 'password', 'actions',
  'instcmds', 'upsmon', 'primary', 'slave', 'MODE=', 'export ', "'", 'standalone', 'user', '__proto__', 'constructor',
  'x'.repeat(600), Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
];

function randomInput(next: () => number): Buffer {
  const parts: Buffer[] = [];
  const n = Math.floor(next() * 60);
  for (let i = 0; i < n; i++) {
    if (next() < 0.3) {
      const len = Math.floor(next() * 8) + 1;
      parts.push(Buffer.from(Array.from({ length: len }, () => Math.floor(next() * 256))));
    } else {
      parts.push(Buffer.from(TOKENS[Math.floor(next() * TOKENS.length)], 'latin1'));
    }
  }
  return Buffer.concat(parts);
}

const OPTIONS: OptionsSchema = {
  type: 'object',
  properties: {
    mode: { type: 'string', description: '', enum: ['dummy-once', 'dummy-loop'] },
    pollfreq: { type: 'integer', description: '', minimum: 1 },
    ratio: { type: 'number', description: '', maximum: 10 },
    flag: { type: 'boolean', description: '' },
  },
};
const lookupDriver = (d: string) => (d === 'dummy-ups' ? OPTIONS : d === 'snmp-ups' ? undefined : ('unknown-driver' as const));

function expectWellFormed(problems: ConfigProblem[], file: string): void {
  for (const p of problems) {
    expect(p.file).toBe(file);
    expect(Number.isInteger(p.line) && p.line >= 0).toBe(true);
    expect(typeof p.message).toBe('string');
    expect(p.message.length).toBeGreaterThan(0);
    expect(['error', 'warning']).toContain(p.severity);
  }
}

const ITERATIONS = 3000;
/** Generous: the machine is shared; these loops take seconds, not minutes. */
const SLOW = 300_000;

describe('fuzz (seeded)', () => {
  it(`tokenizer: ${ITERATIONS} random inputs give lines and positioned errors`, () => {
    const next = rng(0x5eed1);
    for (let i = 0; i < ITERATIONS; i++) {
      const input = randomInput(next);
      const physicalLines = input.filter((b) => b === 0x0a).length + 1;
      const t = tokenizeConfig(input, 'fuzz.conf');
      for (const l of t.lines) {
        expect(l.words.length).toBeGreaterThan(0);
        expect(l.words.length).toBeLessThanOrEqual(32);
        expect(l.line).toBeGreaterThanOrEqual(1);
        expect(l.line).toBeLessThanOrEqual(physicalLines);
        for (const w of l.words) expect(w.length).toBeLessThanOrEqual(512);
      }
      for (const e of t.errors) {
        expect(e.file).toBe('fuzz.conf');
        expect(e.line).toBeGreaterThanOrEqual(1);
        expect(e.line).toBeLessThanOrEqual(physicalLines);
      }
    }
  }, SLOW);

  it(`readers and validators: ${ITERATIONS} random files each, never a throw`, () => {
    const next = rng(0x5eed2);
    for (let i = 0; i < ITERATIONS; i++) {
      const input = randomInput(next);
      const seedInfo = `iteration ${i}: ${JSON.stringify(input.toString('latin1'))}`;
      try {
        const ups = parseUpsConf(input);
        expectWellFormed([...ups.problems, ...validateUpsConf(ups, { lookupDriver, knownDrivers: ['dummy-ups'], cDriverPath: false })], 'ups.conf');
        const upsd = parseUpsdConf(input);
        expectWellFormed([...upsd.problems, ...validateUpsdConf(upsd)], 'upsd.conf');
        const users = parseUpsdUsers(input);
        expectWellFormed([...users.problems, ...validateUpsdUsers(users)], 'upsd.users');
        const nut = parseNutConf(input);
        expectWellFormed([...nut.problems, ...validateNutConf(nut)], 'nut.conf');
      } catch (e) {
        throw new Error(`${seedInfo}\n${(e as Error).stack}`);
      }
    }
  }, SLOW);

  it('structured garbage: valid-looking lines with random values', () => {
    const next = rng(0x5eed3);
    const pick = <T>(a: readonly T[]) => a[Math.floor(next() * a.length)];
    for (let i = 0; i < ITERATIONS / 2; i++) {
      const lines: string[] = [];
      for (let j = 0; j < 12; j++) {
        const key = pick(['driver', 'port', 'mode', 'pollfreq', 'ratio', 'flag', 'pollinterval', 'sdorder', 'synchronous', 'debug_min', 'nolock', 'override.a', 'default.b', 'chroot', 'prot', '__proto__', 'hasOwnProperty', 'constructor']);
        const value = pick(['dummy-ups', 'snmp-ups', 'nope', '', '0', '-3', '1e3', '2.5', 'x', '"q w"', '\\#', '99999999999999999999']);
        lines.push(next() < 0.2 ? key : `${key} = ${value}`);
        if (next() < 0.15) lines.push(`[${pick(['a', 'b', 'A', ''])}]`);
      }
      const text = lines.join('\n');
      const ups = parseUpsConf(text);
      expectWellFormed([...ups.problems, ...validateUpsConf(ups, { lookupDriver, cDriverPath: false })], 'ups.conf');
    }
  }, SLOW);

  it('host settings: random structures validate to problems and usable settings', () => {
    const next = rng(0x5eed4);
    const pick = <T>(a: readonly T[]) => a[Math.floor(next() * a.length)];
    const KEYS = ['pluginPaths', 'workersPerInstance', 'watchdogMs', 'initWatchdogMs', 'restart', 'resourceLimits', 'factor', 'maxDelayMs', 'stackSizeMb', '__proto__', 'x'];
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 2 || r < 0.3) return pick([0, -1, 1.5, 100000, 'instance', 'plugin', '', 'x', true, null, [], ['a', 1]]);
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) o[pick(KEYS)] = value(depth + 1);
      return r < 0.4 ? [o] : o;
    };
    for (let i = 0; i < ITERATIONS; i++) {
      const r = resolveHostSettings(value(0), '/nonexistent/nut-ts.config.json');
      expectWellFormed(r.problems, 'nut-ts.config.json');
      expect(['auto', 'instance', 'plugin']).toContain(r.settings.workersPerInstance);
      expect(Number.isInteger(r.settings.watchdogMs) && r.settings.watchdogMs >= 100).toBe(true);
      expect(r.settings.restart.factor).toBeGreaterThanOrEqual(1);
      expect(Array.isArray(r.settings.pluginPaths)).toBe(true);
    }
  }, SLOW);

  it('host settings: random bytes in settings files of every format load to problems, never a throw', async () => {
    const next = rng(0x5eed5);
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-fuzz-settings-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{"name":"f"}');
      for (let i = 0; i < 60; i++) {
        const name = ['.nut-tsrc.json', '.nut-tsrc.yaml', '.nut-tsrc', 'nut-ts.config.json'][i % 4];
        const file = join(dir, name);
        writeFileSync(file, randomInput(next));
        const r = await loadHostSettings(dir);
        expectWellFormed(r.problems, r.problems[0]?.file ?? name);
        expect(r.settings.watchdogMs).toBeGreaterThanOrEqual(100);
        rmSync(file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, SLOW);
});
