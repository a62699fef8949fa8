/**
 * Serial scan (-E): the apcsmart plugin's manifest probe finds NUT's apcsmart simulator (built
 * from a real Smart-UPS dump) on its pseudo-terminal; a silent line and a missing path give
 * nothing; the line settings of a probed port are what they were before.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stopChild } from '../helpers/oracle.js';
import { ptyPair, requireSocat, type PtyPair } from '../helpers/pty.js';
import { ROOT, ourScan } from './scanner-harness.js';

const DUMP = join(ROOT, 'test/fixtures/ddl/APC__Smart-UPS_3000_RM__apcsmart__2.0.1__01.dev');
const Q1_DUMP = join(ROOT, 'test/fixtures/ddl/Santak__Castle_C1K__blazer_ser__2.7.4__01.dev');

/** Starts `nut simulate <args>` and resolves with the child and the first stdout line (the terminal). */
async function simulate(args: string[]): Promise<{ child: ChildProcess; port: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'core/dist/cli/nut.js'), 'simulate', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
  });
  return { child, port };
}

function lineSettings(port: string): string {
  const r = spawnSync('stty', ['-g', '-F', port], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stty -F ${port}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('nut-scanner -E with the installed plugins\' serial probes', () => {
  let sim: ChildProcess;
  let simPort: string;
  let silent: PtyPair;
  let dir: string;
  beforeAll(async () => {
    requireSocat();
    dir = mkdtempSync(join(tmpdir(), 'scanner-serial-'));
    ({ child: sim, port: simPort } = await simulate(['apcsmart', '--from', DUMP, '--no-stdin']));
    silent = await ptyPair(join(dir, 'ttyS1'), join(dir, 'sim1'));
  });
  afterAll(async () => {
    await stopChild(sim);
    await silent?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the apcsmart simulator and names its driver; the port is left as it was', async () => {
    const before = lineSettings(simPort);
    const r = await ourScan(['-E', simPort, '-q', '-P']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`EATON_SERIAL:driver="apcsmart",port="${simPort}"\n`);
    expect(lineSettings(simPort)).toBe(before);
    const n = await ourScan(['-E', simPort, '-q']);
    expect(n.stdout).toBe(`[nutdev1]\n\tdriver = "apcsmart"\n\tport = "${simPort}"\n`);
  });

  it("finds a Q1 (megatec) unit with nutdrv_qx's probe", async () => {
    const q1 = await simulate(['qx', '--from', Q1_DUMP, '--link', join(dir, 'ttyQ1')]);
    onTestFinished(() => stopChild(q1.child));
    const before = lineSettings(q1.port);
    const r = await ourScan(['-E', q1.port, '-q', '-P']);
    expect(r.stdout).toBe(`EATON_SERIAL:driver="nutdrv_qx",port="${q1.port}"\n`);
    expect(lineSettings(q1.port)).toBe(before);
  });

  it('--write merges the found port into an existing ups.conf', async () => {
    const file = join(dir, 'ups.conf');
    const before = '# kept\n[nutdev1]\n\tdriver = dummy-ups\n\tport = a.dev\n';
    writeFileSync(file, before);
    const r = await ourScan(['-E', simPort, '-q', '-P', '--write', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${before.replace(/[[\]\\]/g, '\\$&')}\n# nut-scanner .*\n\\[nutdev2\\]\n\tdriver = "apcsmart"\n\tport = "${simPort}"\n$`));
    // a second scan finds it configured already
    const again = await ourScan(['-E', simPort, '-q', '-P', '--write', file]);
    expect(again.stderr).toContain('is already [nutdev2]');
  });

  it('a silent line and a missing path: nothing, status 0, settings kept', async () => {
    const before = lineSettings(silent.device);
    const r = await ourScan(['-E', `${silent.device}`, '-q', '-P']);
    const missing = await ourScan(['-E', join(dir, 'ttyS9'), '-q', '-P']);
    expect([r.status, r.stdout, missing.status, missing.stdout]).toEqual([0, '', 0, '']);
    expect(lineSettings(silent.device)).toBe(before);
  });

  it('NUT\'s port list syntax: a range out of bound is refused as NUT does', async () => {
    const r = await ourScan(['-E', '0-12', '-q', '-P']);
    const nut = spawnSync('/usr/bin/nut-scanner', ['-E', '0-12', '-q', '-P'], { encoding: 'utf8' });
    expect(nut.stderr).toContain('out of bound');
    expect(r.stderr).toBe(nut.stderr);
    expect(r.stdout).toBe(nut.stdout);
  });
});
