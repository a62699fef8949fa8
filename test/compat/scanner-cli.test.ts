/**
 * nut-scanner's command line against NUT 2.8.0's: help, version, available types, bad
 * options and values, CIDR errors — same stdout, stderr and exit status. (getopt names the
 * program as it was called; that word is left out of the comparison.)
 */
import { describe, expect, it } from 'vitest';
import { NUT_SCANNER, nutScan, ourScan } from './scanner-harness.js';

const CASES = [
  ['-h'],
  ['--help'],
  ['-V'],
  ['-a'],
  ['-Z'],
  ['--nonsense'],
  ['-t'],
  ['-M'],
  ['-I', '-O'],
  ['-O', '-q', '-t', '0'],
  ['-O', '-T', 'abc'],
  ['-S', '-m', 'bad'],
  ['-S', '-m', '127.0.0.1/0'],
  ['-S', '-q', '-m', '127.0.0.1/abc'],
  ['-O'],
  ['-S', '-O'],
];

describe('nut-scanner command line, NUT 2.8.0 vs ours', () => {
  for (const args of CASES) {
    it(args.join(' '), async () => {
      const [nut, ours] = await Promise.all([nutScan(args), ourScan(args)]);
      const prog = (s: string) => s.replaceAll(`${NUT_SCANNER}:`, 'nut-scanner:');
      expect(ours.status).toBe(nut.status);
      expect(ours.stdout).toBe(nut.stdout);
      expect(ours.stderr).toBe(prog(nut.stderr));
    });
  }
});
