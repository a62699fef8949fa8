/**
 * nut.conf is a shell fragment, so the shell is its oracle: /bin/sh sources each text and
 * prints the variables; our reader must give the same values, and an error exactly where the
 * shell complains (a syntax error, or a line it would run as a command).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNutConf } from '../../src/config/nut-conf.js';

const NAMES = ['MODE', 'UPSD_OPTIONS', 'UPSMON_OPTIONS', 'POWEROFF_WAIT', 'A', 'B'];
const UNSET = '<unset>';

const CASES = [
  'MODE=standalone',
  'MODE="netserver"',
  "MODE='netclient'",
  'MODE=none # a comment',
  'export MODE=standalone',
  'MODE=standalone\nexport MODE',
  'MODE = standalone',
  'MODE =standalone',
  'MODE= standalone',
  'UPSD_OPTIONS="-D -D"',
  'UPSMON_OPTIONS=-p\\ -D',
  'POWEROFF_WAIT=15m',
  'MODE="none',
  "MODE='none",
  'MODE=standalone; UPSD_OPTIONS=x',
  'A=1 B=2',
  'MODE=a"b c"d',
  'MODE=stand\\\nalone',
  '  MODE=standalone  ',
  'UPSD_OPTIONS="a \\"quoted\\" \\\\ word"',
  "UPSD_OPTIONS='single \"double\" \\'",
  'MODE=standalone\r',
  '# MODE=none',
  '',
  'MODE=',
  'MODE=""',
  'UPSD_OPTIONS="-D\n-D"\nMODE=none',
  "UPSD_OPTIONS='a\nb' MODE=none",
];

describe('nut.conf against /bin/sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-shell-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CASES.map((text) => [JSON.stringify(text), text]))('%s', (_label, text) => {
    const file = join(dir, 'nut.conf');
    writeFileSync(file, text + '\n');
    const script = `. "${file}"\n` + NAMES.map((n) => `printf '%s\\000' "\${${n}-${UNSET}}"`).join('\n') + '\n';
    const sh = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    const shellValues = sh.stdout.split('\0').slice(0, NAMES.length);
    const shellComplained = sh.stderr.trim() !== '' || sh.status !== 0;

    const conf = parseNutConf(text + '\n');
    const errors = conf.problems.filter((p) => p.severity === 'error');
    expect(errors.length > 0, `sh: status ${sh.status}, stderr ${JSON.stringify(sh.stderr)}`).toBe(shellComplained);
    if (shellComplained) return; // sh stops at a syntax error; values are not comparable
    const ours = NAMES.map((n) => conf.variables.get(n)?.value ?? UNSET);
    expect(ours).toEqual(shellValues);
  });

  it('warns about expansions it does not evaluate', () => {
    const conf = parseNutConf('UPSD_OPTIONS="$HOME"\nPOWEROFF_WAIT=\'$x\'\n');
    expect(conf.problems.map((p) => [p.line, p.severity])).toEqual([
      [1, 'warning'],
      [0, 'warning'],
    ]);
  });
});
