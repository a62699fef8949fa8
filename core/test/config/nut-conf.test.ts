import { describe, expect, it } from 'vitest';
import { parseNutConf } from '../../src/config/nut-conf.js';
import { validateNutConf } from '../../src/config/validate-files.js';

const read = (text: string) => {
  const conf = parseNutConf(text);
  return { conf, problems: [...conf.problems, ...validateNutConf(conf)] };
};

describe('nut.conf (shell fragment)', () => {
  it('reads MODE and the other assignments with their lines', () => {
    const { conf, problems } = read('# comment\nMODE=standalone\nUPSD_OPTIONS="-D -D"\nPOWEROFF_WAIT=15m\nexport MODE\n');
    expect(problems).toEqual([]);
    expect(conf.mode).toEqual({ value: 'standalone', line: 2 });
    expect(conf.variables.get('UPSD_OPTIONS')).toEqual({ value: '-D -D', line: 3 });
    expect(conf.variables.get('POWEROFF_WAIT')?.value).toBe('15m');
  });

  it('accepts every mode, quoted or not, and export NAME=value', () => {
    for (const m of ['none', 'standalone', 'netserver', 'netclient']) {
      expect(read(`MODE=${m}\n`).conf.mode?.value).toBe(m);
      expect(read(`MODE="${m}"\n`).conf.mode?.value).toBe(m);
      expect(read(`export MODE='${m}'\n`).conf.mode?.value).toBe(m);
    }
  });

  it('refuses an unknown MODE with the closest one', () => {
    const { problems } = read('MODE=standalon\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', line: 1, key: 'MODE', suggestion: 'standalone' });
  });

  it('refuses spaces around = (the shell would run MODE as a command)', () => {
    const { conf, problems } = read('MODE = standalone\n');
    expect(conf.mode).toBeUndefined();
    expect(problems.map((p) => [p.severity, p.line])).toEqual([
      ['error', 1],
      ['warning', 0],
    ]);
    expect(problems[0].message).toContain('MODE=standalone');
  });

  it('warns when MODE is missing (NUT starts nothing)', () => {
    const { problems } = read('UPSD_OPTIONS=\n');
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', key: 'MODE' })]);
  });

  it('suggests a NUT variable for a close misspelling, leaves other shell variables alone', () => {
    const { problems } = read('MODE=none\nMDOE=netserver\nMY_OWN=1\n');
    expect(problems).toEqual([expect.objectContaining({ line: 2, key: 'MDOE', suggestion: 'MODE', severity: 'warning' })]);
  });

  it('reports an unterminated quote and a non-assignment', () => {
    const { problems } = read('MODE=none\nstart-things now\nMODE="none\nMODE=none\n');
    expect(problems.map((p) => [p.severity, p.line])).toEqual([
      ['error', 2],
      ['error', 3],
    ]);
  });

  it('handles comments after values and backslash continuations', () => {
    const { conf, problems } = read('MODE=netclient # only upsmon\r\nUPSMON_OPTIONS="-p \\\n-D"\n');
    expect(problems).toEqual([]);
    expect(conf.mode?.value).toBe('netclient');
    expect(conf.variables.get('UPSMON_OPTIONS')?.value).toBe('-p -D');
  });

  it('keeps a CR at the end of a value, as the shell does, so MODE=standalone<CR> is refused', () => {
    const { conf, problems } = read('MODE=standalone\r\n');
    expect(conf.mode).toBeUndefined();
    expect(problems.map((p) => [p.severity, p.line])).toEqual([
      ['warning', 1],
      ['error', 1],
    ]);
    expect(problems[0].message).toContain('carriage return');
  });
});
