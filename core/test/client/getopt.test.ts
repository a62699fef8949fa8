import { describe, expect, it } from 'vitest';
import { getopt, takeJsonFlag } from '../../src/client/cli/getopt.js';

// POSIX getopt with a leading '+' and glibc's messages (what NUT's clients use)
function parse(args: string[], spec: string) {
  const errors: string[] = [];
  const r = getopt(args, spec, 'prog', (s) => errors.push(s));
  return { ...r, errors };
}

describe('getopt', () => {
  it('groups flags, takes attached and separate arguments, stops at the first operand', () => {
    expect(parse(['-lw', '-uadmin', '-p', 'secret', 'ups', '-x'], '+lwu:p:')).toEqual({
      options: [{ opt: 'l' }, { opt: 'w' }, { opt: 'u', arg: 'admin' }, { opt: 'p', arg: 'secret' }],
      rest: ['ups', '-x'],
      errors: [],
    });
  });

  it('"--" ends the options, "-" is an operand', () => {
    expect(parse(['-l', '--', '-w'], '+lw').rest).toEqual(['-w']);
    expect(parse(['-', '-l'], '+l').rest).toEqual(['-', '-l']);
  });

  it('reports unknown options and missing arguments as glibc does', () => {
    const r = parse(['-z', '-s'], '+s:');
    expect(r.options).toEqual([{ opt: '?' }, { opt: '?' }]);
    expect(r.errors).toEqual(["prog: invalid option -- 'z'\n", "prog: option requires an argument -- 's'\n"]);
    expect(parse(['--long'], '+l').errors).toEqual(["prog: unrecognized option '--long'\n"]);
  });

  it('an option argument may look like an option', () => {
    expect(parse(['-s', '-l', 'ups'], '+ls:').options).toEqual([{ opt: 's', arg: '-l' }]);
  });

  it('--json is taken out wherever it is', () => {
    expect(takeJsonFlag(['-l', '--json', 'h'])).toEqual({ json: true, args: ['-l', 'h'] });
    expect(takeJsonFlag(['ups'])).toEqual({ json: false, args: ['ups'] });
  });
});
