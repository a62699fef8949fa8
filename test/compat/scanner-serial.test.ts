/**
 * Serial scan (-E): the apcsmart plugin's manifest probe finds NUT's apcsmart simulator (built
 * from a real Smart-UPS dump) on its pseudo-terminal; nutdrv_qx's probes find the Q1
 * simulator and name the protocol NUT 2.8.0's nutdrv_qx detects on the same terminal; a
 * silent line and a missing path give nothing; the line settings of a probed port are what
 * they were before.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { makeSandbox, NUT_DRIVER_DIR, requireOracle, stopChild } from '../helpers/oracle.js';
import { ptyPair, requireSocat, type PtyPair } from '../helpers/pty.js';
import { ROOT, ourScan } from './scanner-harness.js';

const DUMP = join(ROOT, 'test/fixtures/ddl/APC__Smart-UPS_3000_RM__apcsmart__2.0.1__01.dev');
const Q1_DUMP = join(ROOT, 'test/fixtures/ddl/Santak__Castle_C1K__blazer_ser__2.7.4__01.dev');
const CABAC_DUMP = join(ROOT, 'test/fixtures/ddl/CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');

/** The protocol NUT 2.8.0's nutdrv_qx detects on a port (no protocol= given), as ups.conf spells it. */
function nutDetects(port: string): string {
  requireOracle(join(NUT_DRIVER_DIR, 'nutdrv_qx'));
  const sb = makeSandbox('scanner-qx-');
  try {
    sb.write('ups.conf', `[x]\n\tdriver = nutdrv_qx\n\tport = ${port}\n`);
    const r = spawnSync(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'x', '-d', '1', '-u', 'root'], { env: sb.env, encoding: 'latin1', timeout: 60_000 });
    const m = /Using protocol: (\S+)/.exec(r.stderr);
    if (!m) throw new Error(`NUT's nutdrv_qx detected no protocol (${r.status}): ${r.stderr}`);
    return m[1].toLowerCase();
  } finally {
    sb.cleanup();
  }
}

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

  it("finds a Q1 unit and names the protocol NUT's nutdrv_qx detects on it", async () => {
    const q1 = await simulate(['qx', '--from', Q1_DUMP, '--link', join(dir, 'ttyQ1')]);
    onTestFinished(() => stopChild(q1.child));
    const before = lineSettings(q1.port);
    const n = await ourScan(['-E', q1.port, '-q']);
    expect(lineSettings(q1.port)).toBe(before);
    expect(n.stdout).toBe(`[nutdev1]\n\tdriver = "nutdrv_qx"\n\tport = "${q1.port}"\n\tprotocol = "${nutDetects(q1.port)}"\n`);
  });

  // a sample of the simulated protocols (hunnox: NUT's detection takes such a unit for zinto);
  // plugins/nutdrv_qx/test/scan-probes.test.ts runs the probes on every protocol's testing device
  it.each(['voltronic', 'hunnox'])('the Q1 simulator speaking %s: the protocol NUT detects', async (speaks) => {
    const q1 = await simulate(['qx', '--from', CABAC_DUMP, '--protocol', speaks]);
    onTestFinished(() => stopChild(q1.child));
    const r = await ourScan(['-E', q1.port, '-q', '-P']);
    expect(r.stdout).toBe(`EATON_SERIAL:driver="nutdrv_qx",port="${q1.port}",protocol="${nutDetects(q1.port)}"\n`);
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
    const [r, missing] = await Promise.all([ourScan(['-E', `${silent.device}`, '-q', '-P']), ourScan(['-E', join(dir, 'ttyS9'), '-q', '-P'])]);
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
