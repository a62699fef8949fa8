/** nut-driver's own usage: -h is a request for help (stdout, exit 0), a missing driver is a usage error. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(resolve(import.meta.dirname, '../../..'), 'core/dist/cli/driver.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('nut-driver usage', () => {
  it('-h and --help print the usage on stdout and exit 0', () => {
    for (const flag of ['-h', '--help']) {
      const r = run(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage: nut-driver <driver> /);
      expect(r.stderr).toBe('');
    }
  });
  it('no driver, or an option where the driver belongs, is a usage error on stderr (exit 1)', () => {
    for (const args of [[], ['-a', 'x']]) {
      const r = run(...args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^usage: nut-driver <driver> /);
    }
  });
});
