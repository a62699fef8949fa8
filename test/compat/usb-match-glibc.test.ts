/**
 * Our ERE translation against the regex engine NUT's USB matching uses: glibc's regcomp and
 * regexec with REG_EXTENDED | REG_ICASE, a match counting only when it covers the whole value
 * (usb-common.c match_regex). glibc is called through the system python's ctypes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileEre, RegexError } from '../../core/src/transport/usb-match.js';

const CASES: Array<[string, string]> = [
  ['back-ups', 'Back-UPS'], ['Back', 'Back-UPS'], ['UPS', 'Back-UPS'], ['a|ab', 'ab'], ['ab|a', 'ab'],
  ['051d', '051D'], ['05[0-9a-f]d', '051D'], ['[]a]+', ']a]'], ['[^]a]', 'b'], ['[^]a]', ']'],
  ['[\\n]', '\\'], ['[\\n]', 'n'], ['[\\n]', '\n'], ['[[:digit:]]{3}', '001'], ['[[:digit:]]{3}', '0011'],
  ['[[:xdigit:]]{4}', '05Af'], ['[[:alpha:][:space:]]+', 'Back UPS'], ['[[:alnum:]]*', 'AB0427'],
  ['[[:punct:]]+', '*-.'], ['[a-c-]+', 'b-c'], ['[[.-.]x]+', '-x'], ['a+?', ''], ['a+?', 'aaa'],
  ['(ab)*+', 'abab'], ['a{2}?', ''], ['a{2,}', 'aaaa'], ['a{1,2}', 'aaa'], ['(?:a)', 'a'], ['\\d', 'd'],
  ['\\d', '1'], ['\\w+', 'ab_1'], ['\\s', ' '], ['a.b', 'a\nb'], ['\\.', '.'], ['\\.', 'x'], ['\\<ups\\>', 'ups'],
  ['(a)\\1', 'aa'], ['(', 'x'], ['*', 'x'], ['a{', 'a{'], ['a/b', 'a/b'], ['AB0427\\*+', 'AB0427******'],
  ['', ''], ['', 'x'], ['.*', ''], ['^abc$', 'abc'], ['x*|y', 'y'], ['(a|b)c', 'BC'], ['[^[:space:]]+', 'a b'],
];

function glibc(cases: Array<[string, string]>): Array<boolean | 'error'> {
  const py = String.raw`
import ctypes, json, sys
libc = ctypes.CDLL('libc.so.6')
class M(ctypes.Structure): _fields_ = [('so', ctypes.c_int), ('eo', ctypes.c_int)]
out = []
for p, v in json.load(sys.stdin):
    preg = ctypes.create_string_buffer(256)
    if libc.regcomp(preg, p.encode(), 1 | 2):
        out.append('error'); continue
    m = M(); v = v.encode()
    r = libc.regexec(preg, v, 1, ctypes.byref(m), 0)
    libc.regfree(preg)
    out.append(r == 0 and m.so == 0 and m.eo == len(v))
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`glibc probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<boolean | 'error'>;
}

function ours(pattern: string, value: string): boolean | 'error' {
  try {
    return compileEre(pattern).test(value);
  } catch (e) {
    if (e instanceof RegexError) return 'error';
    throw e;
  }
}

describe('USB match regexes agree with glibc (REG_EXTENDED | REG_ICASE, whole value)', () => {
  it('gives glibc answer for every vector', () => {
    if (!existsSync('/usr/bin/python3')) throw new Error('/usr/bin/python3 is needed to call glibc regcomp');
    const expected = glibc(CASES);
    const got = CASES.map(([p, v]) => ours(p, v));
    const diffs = CASES.map(([p, v], i) => ({ p, v, glibc: expected[i], ours: got[i] })).filter((d) => d.glibc !== d.ours);
    expect(diffs).toEqual([]);
    // the vectors say something: both answers occur
    expect(expected).toContain(true);
    expect(expected).toContain(false);
    expect(expected).toContain('error');
  });
});
