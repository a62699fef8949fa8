/**
 * snmp-ups parity through the command line: for each recording in test/fixtures/snmprec, served
 * by snmpsim, NUT 2.8.0's `snmp-ups -s t -x … -d 1` and ours (`nut-driver snmp-ups`, same
 * arguments) print the same variables and values; where NUT detects nothing, ours fails the
 * same way (exit status and message). Only driver.version differs by design (nut-ts suffix).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { nutSnmpDump, NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';
import { builtinTableFiles, loadMibs, mibListing } from '../../plugins/snmp-ups/src/index.js';
import { runUserTempDir } from '../helpers/run-user.js';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'snmprec');
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.snmprec'))
  .sort()
  .map((f) => join(FIXTURES, f));

function oursDump(port: string, options: Record<string, string>): { status: number | null; lines: string[]; output: string } {
  const state = runUserTempDir('nut-ts-snmp-state-');
  try {
    const args = Object.entries(options).flatMap(([k, v]) => ['-x', `${k}=${v}`]);
    const r = spawnSync(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'driver.js'), 'snmp-ups', '-s', 't', '-x', `port=${port}`, ...args, '-d', '1'], {
      env: { ...process.env, NUT_STATEPATH: state },
      encoding: 'latin1',
      timeout: 110_000,
    });
    const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('Network UPS Tools - '));
    return { status: r.status, lines, output: r.stdout + r.stderr };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

/** driver.version is nut-ts's own ("2.8.0-nut-ts-…"): checked apart. */
function withoutVersion(lines: string[]): string[] {
  return lines.filter((l) => !l.startsWith('driver.version: '));
}

describe('snmp-ups parity with NUT 2.8.0 on the command line (snmpsim, SNMP v1)', () => {
  let sim: Snmpsim;
  beforeAll(async () => {
    requireOracle(NUT_SNMP_UPS);
    sim = await startSnmpsim(files);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  for (const file of files) {
    const community = basename(file, '.snmprec');
    it(`${community}: same variables and values`, () => {
      const port = `127.0.0.1:${sim.port}`;
      const options = { community, snmp_version: 'v1', snmp_retries: '1' };
      const nut = nutSnmpDump(port, options);
      const ours = oursDump(port, options);
      expect(ours.status, ours.output).toBe(nut.status);
      if (nut.status !== 0) {
        const msg = /No supported device detected at \[t\] \(host [^)]*\)/.exec(nut.output);
        expect(msg, nut.output).not.toBeNull();
        expect(ours.output).toContain(msg![0]);
        return;
      }
      expect(withoutVersion(ours.lines)).toEqual(withoutVersion(nut.lines));
      expect(ours.lines).toContainEqual(expect.stringMatching(/^driver\.version: 2\.8\.0/));
    });
  }
});

describe('snmp-ups mibs=--list', () => {
  it('lists the same mappings, in the same order, as NUT 2.8.0', () => {
    requireOracle(NUT_SNMP_UPS);
    const state = runUserTempDir('nut-ts-snmp-state-');
    try {
      const r = spawnSync(NUT_SNMP_UPS, ['-s', 't', '-x', 'port=127.0.0.1', '-x', 'mibs=--list', '-u', 'root'], {
        env: { ...process.env, NUT_STATEPATH: state },
        encoding: 'latin1',
      });
      expect(r.status).toBe(0);
      const nut = r.stdout.split('\n').filter((l) => !l.startsWith('Network UPS Tools - ')).join('\n').trimEnd();
      expect(mibListing(loadMibs(builtinTableFiles()))).toBe(nut);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});
