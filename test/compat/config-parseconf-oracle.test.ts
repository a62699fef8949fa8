/**
 * Grammar rules checked against NUT 2.8.0 itself: every `default.t.NN = …` line of a ups.conf
 * section is published by dummy-ups as variable `t.NN`, so `dummy-ups -d 1` shows exactly the
 * value NUT's parser made of each line. Our reader must produce the same map.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, nutDriverDump, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { parseUpsConf } from '../../core/src/config/ups-conf.js';

const DEV = 'ups.status: OL\nbattery.charge: 100\n';

/** ups.conf text; each case line is a raw chunk of bytes (latin1 string). */
const CASES = [
  'default.t.01 = "a b = [c]"',
  'default.t.02 = ab"c',
  'default.t.03 = a\\"b',
  'default.t.04 = "multi\\\nline"',
  'default.t.05 = "two\nlines"',
  'default.t.06 = ""',
  'default.t.07 = "tab\there"',
  'default.t.08 = "caf\u00c3\u00a9 bytes"',
  'default.t.09 = Test UPS',
  'default.t.10 = a#b',
  'default.t.11 = x==y',
  'default.t.12 = "ab#default.t.13 = resumed',
  'default.t.14 = x\\ y',
  'default.t.15 = \\#hash',
  "default.t.16 = 'single'",
  'default.t.17 = crlf\r',
  'default.t.18 = con\\\ntinued',
  'default.t.19 = first',
  'default.t.19 = second',
  'default.t.20 = a "b c"',
  '[my ups]',
  'default.t.21 = still-in-x',
  'default.t.22=compact',
  'default.t.23 = "q\\\\"',
  'default.t.24 =',
  'default.t.25 = "ctl\x01\x7f"',
  '  default.t.26   =   spaced   # comment',
  'default.t.27 = "a"b',
  'default.t.28 = [br]',
];

function upsConf(tail: string): string {
  return `[x]\ndriver = dummy-ups\nport = x.dev\n${CASES.join('\n')}\n${tail}`;
}

function dumpVars(dump: string, prefix: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of dump.split('\n')) {
    const i = line.indexOf(': ');
    // the dump writes values encoded like pconf_encode (\\, \" and \#)
    if (i > 0 && line.startsWith(prefix)) vars.set(line.slice(0, i), line.slice(i + 2).replace(/\\(.)/g, '$1'));
  }
  return vars;
}

function ourDefaults(text: string, section = 'x'): Map<string, string> {
  const s = parseUpsConf(Buffer.from(text, 'latin1')).sections.find((x) => x.name === section);
  const vars = new Map<string, string>();
  for (const [k, e] of s?.defaults ?? []) if (typeof e.value === 'string') vars.set(k, e.value);
  return vars;
}

describe('parseconf against NUT 2.8.0 (dummy-ups -d 1)', () => {
  let sb: Sandbox;
  beforeAll(() => {
    requireOracle();
    sb = makeSandbox('nut-ts-grammar-');
    sb.write('x.dev', DEV);
  });
  afterAll(() => sb?.cleanup());

  const run = (text: string) => {
    writeFileSync(`${sb.confPath}/ups.conf`, Buffer.from(text, 'latin1'));
    return dumpVars(nutDriverDump(sb, 'dummy-ups', 'x'), 't.');
  };

  it('gives every value exactly as NUT does', () => {
    const text = upsConf('default.t.99 = "open quote at EOF\nstill = open');
    const nut = run(text);
    expect(nut.size).toBeGreaterThan(20);
    expect(ourDefaults(text)).toEqual(nut);
  }, 120_000);

  it('loses a single-word last line without LF, as NUT does', () => {
    const text = upsConf('default.t.98 = last-no-lf');
    expect(ourDefaults(text)).toEqual(run(text));
    const flagText = '[x]\ndriver = dummy-ups\nport = x.dev\ndefault.t.97 = before\nnolock';
    writeFileSync(`${sb.confPath}/ups.conf`, flagText);
    const dump = nutDriverDump(sb, 'dummy-ups', 'x');
    expect(dump).not.toContain('driver.flag.nolock');
    const ours = parseUpsConf(flagText).sections[0];
    expect(ours.values.has('nolock')).toBe(false);
  }, 120_000);
});
