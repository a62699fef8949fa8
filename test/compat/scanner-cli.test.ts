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
  // XML/HTTP and IPMI: this NUT build has neither library, so the options are refused
  ['-M'],
  ['-M', '-q'],
  ['--xml_scan', '-s', '127.0.0.1'],
  ['-I'],
  ['-I', '-q'],
  ['--ipmi_scan', '-s', '127.0.0.1', '-q'],
  ['-I', '-O'],
  ['-O', '-b', 'admin', '-B', 'secret'],
  ['-O', '-d', 'MD5', '-L', '3'],
  ['-O', '-q', '-t', '0'],
  ['-O', '-T', 'abc'],
  ['-S', '-m', 'bad'],
  ['-S', '-m', '127.0.0.1/0'],
  ['-S', '-q', '-m', '127.0.0.1/abc'],
  ['-O'],
  ['-S', '-O'],
];

/** Options of the XML/HTTP and IPMI scans. */
const UNAVAILABLE = new Set(['-M', '--xml_scan', '-I', '--ipmi_scan', '-b', '-B', '-d', '-L']);

describe('nut-scanner command line, NUT 2.8.0 vs ours', () => {
  for (const args of CASES) {
    it(args.join(' '), async () => {
      const [nut, ours] = await Promise.all([nutScan(args), ourScan(args)]);
      const prog = (s: string) => s.replaceAll(`${NUT_SCANNER}:`, 'nut-scanner:');
      expect(ours.status).toBe(nut.status);
      expect(ours.stdout).toBe(nut.stdout);
      expect(ours.stderr).toBe(prog(nut.stderr));
      if (args.some((a) => UNAVAILABLE.has(a))) {
        // the build this compares with really lacks XML/HTTP and IPMI: usage, warning, status 0
        expect(nut.stdout).toContain('* Options for XML/HTTP devices scan not enabled: library not detected.');
        expect(nut.stdout).toContain('* Options for IPMI devices scan not enabled: library not detected.');
        expect(nut.stderr).toContain("WARNING: Some error has occurred while processing 'nut-scanner' command-line");
        expect(nut.status).toBe(0);
      }
    });
  }
});
