/**
 * NUT-server scan (-O): NUT's upsd on 127.0.0.2 and ours on 127.0.0.3 (same port, dummy-ups
 * units); NUT 2.8.0's nut-scanner and ours print the same for each address, and ours scans a
 * range holding both (NUT's own crashes when two hosts of a range answer at once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, requireOracle, startNutDriver, stopChild, waitForPort, type Sandbox } from '../helpers/oracle.js';
import { FIXTURES, OUR_UPSD } from './upsd-harness.js';
import { nutScan, ourScan } from './scanner-harness.js';

const UNITS = [
  { name: 'alpha', file: join(FIXTURES, 'nut-data/epdu-managed.dev'), desc: 'First "unit"' },
  { name: 'beta', file: join(FIXTURES, 'nut-data/evolution500.seq'), desc: 'Second' },
];

describe('nut-scanner -O against upsd on loopback, NUT 2.8.0 vs ours', () => {
  let sb: Sandbox;
  let ourSb: Sandbox;
  let port: number;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    requireOracle();
    sb = makeSandbox('scanner-nut-');
    ourSb = makeSandbox('scanner-ours-');
    port = await freePort();
    const upsConf = UNITS.map((u) => `[${u.name}]\n  driver = dummy-ups\n  port = ${u.file.split('/').pop()}\n  desc = "${u.desc.replace(/"/g, '\\"')}"\n`).join('');
    for (const u of UNITS) sb.copy(u.file);
    sb.write('ups.conf', upsConf);
    sb.write('upsd.users', '');
    sb.write('upsd.conf', `LISTEN 127.0.0.2 ${port}\n`);
    for (const u of UNITS) children.push(startNutDriver(sb, 'dummy-ups', u.name));
    children.push(spawn('/lib/nut/upsd', ['-F', '-u', 'root'], { env: sb.env, stdio: 'ignore' }));
    // ours serves the same drivers' sockets
    ourSb.write('ups.conf', upsConf);
    ourSb.write('upsd.users', '');
    ourSb.write('upsd.conf', `LISTEN 127.0.0.3 ${port}\nSTATEPATH ${sb.statePath}\n`);
    children.push(spawn(process.execPath, [OUR_UPSD, '-F'], { env: ourSb.env, stdio: 'ignore' }));
    await waitForPort(port, '127.0.0.2');
    await waitForPort(port, '127.0.0.3', 30_000);
  });

  afterAll(async () => {
    for (const c of children.reverse()) await stopChild(c);
    sb?.cleanup();
    ourSb?.cleanup();
  });

  for (const ip of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
    for (const format of ['-N', '-P']) {
      it(`${ip} ${format}: same stdout and status`, async () => {
        const args = ['-O', '-s', ip, '-p', String(port), '-t', '1', format];
        const nut = await nutScan(args);
        const ours = await ourScan(args);
        expect(ours.status).toBe(nut.status);
        expect(ours.stdout).toBe(nut.stdout);
        if (ip !== '127.0.0.4') expect(nut.stdout).toContain(`alpha@${ip}`);
      });
    }
  }

  it('a range: every host in address order, numbered on', async () => {
    const ours = await ourScan(['-O', '-s', '127.0.0.1', '-e', '127.0.0.4', '-p', String(port), '-t', '1', '-q']);
    const parts = await Promise.all(['127.0.0.2', '127.0.0.3'].map((ip) => nutScan(['-O', '-s', ip, '-p', String(port), '-t', '1', '-P'])));
    const nutLines = parts.flatMap((p) => p.stdout.trim().split('\n'));
    const sections = nutLines.map((l, i) => l.replace(/^NUT:driver="(.*?)",port="(.*?)"$/, `[nutdev${i + 1}]\n\tdriver = "$1"\n\tport = "$2"`)).join('\n') + '\n';
    expect(ours.status).toBe(0);
    expect(ours.stdout).toBe(sections);
    expect(ours.stderr).toBe('');
  });

  it('stderr as NUT prints it without -q', async () => {
    const args = ['-O', '-s', '127.0.0.4', '-p', String(port), '-t', '1'];
    const [nut, ours] = await Promise.all([nutScan(args), ourScan(args)]);
    expect(ours.stderr).toBe(nut.stderr);
  });
});
