/**
 * SNMP scan against snmpsim serving every recording in test/fixtures/snmprec on loopback:
 * NUT 2.8.0's nut-scanner and ours, same arguments (the agents' port through SNMPCONFPATH's
 * snmp.conf, which both honour).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { OUR_SCANNER, ROOT, nutScan, ourScan, startSnmpAgents, type SnmpAgents } from './scanner-harness.js';
import { until } from '../helpers/wait.js';

const DIR = join(ROOT, 'test/fixtures/snmprec');
const RECORDINGS = readdirSync(DIR).filter((f) => f.endsWith('.snmprec')).sort().map((f) => join(DIR, f));
const AGENTS = ['127.0.0.41', '127.0.0.42'];
const AUTH_KEY = 'authpass-1234';
const PRIV_KEY = 'privpass-5678';
/** snmpsimd --v3-user arguments, and the nut-scanner options for that user. */
const V3_USERS: Array<{ sim: string[]; scan: string[] }> = [
  { sim: ['--v3-user=u-noauth'], scan: ['-l', 'noAuthNoPriv', '-u', 'u-noauth'] },
  {
    sim: ['--v3-user=u-md5', `--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=MD5'],
    scan: ['-l', 'authNoPriv', '-u', 'u-md5', '-W', AUTH_KEY],
  },
  {
    sim: ['--v3-user=u-sha-aes', `--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=SHA', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=AES'],
    scan: ['-l', 'authPriv', '-u', 'u-sha-aes', '-W', AUTH_KEY, '-X', PRIV_KEY, '-w', 'SHA', '-x', 'AES'],
  },
  {
    sim: ['--v3-user=u-sha512-aes', `--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=SHA512', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=AES'],
    scan: ['-l', 'authPriv', '-u', 'u-sha512-aes', '-W', AUTH_KEY, '-X', PRIV_KEY, '-w', 'SHA512', '-x', 'AES'],
  },
  {
    sim: ['--v3-user=u-md5-des', `--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=MD5', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=DES'],
    scan: ['-l', 'authPriv', '-u', 'u-md5-des', '-W', AUTH_KEY, '-X', PRIV_KEY],
  },
];
/** The recording v3 requests (empty context) read. */
const V3_RECORDING = join(DIR, 'cyberpower.snmprec');

describe('nut-scanner -S against snmpsim, NUT 2.8.0 vs ours', () => {
  let agents: SnmpAgents;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    agents = await startSnmpAgents(RECORDINGS, AGENTS, V3_USERS.flatMap((u) => u.sim), (data) => {
      // v3 requests with an empty context name read <data>/<transport domain>/<peer>.snmprec;
      // each endpoint is its own domain (…1.0, …1.1, …)
      AGENTS.forEach((_, i) => {
        mkdirSync(join(data, `1.3.6.1.6.1.1.${i}`));
        for (const a of ['127.0.0.1', ...AGENTS]) copyFileSync(V3_RECORDING, join(data, `1.3.6.1.6.1.1.${i}`, `${a}.snmprec`));
      });
    });
    env = { ...process.env, SNMPCONFPATH: agents.snmpConfPath };
  });
  afterAll(async () => {
    await agents?.stop();
  });

  const found: string[] = [];
  for (const file of RECORDINGS) {
    const community = basename(file, '.snmprec');
    it(`${community}: NUT's devices, same lines`, async () => {
      const args = ['-S', '-q', '-P', '-t', '2', '-s', AGENTS[0], '-c', community];
      const [nut, ours] = await Promise.all([nutScan(args, env), ourScan(args, env)]);
      expect(ours.status).toBe(nut.status);
      if (nut.stdout) found.push(community);
      expect(ours.stdout).toBe(nut.stdout);
    });
  }

  it('the recordings above were found by NUT (the comparison is not of empty outputs only)', () => {
    expect(found.length).toBeGreaterThanOrEqual(9);
  });

  it('a CIDR range with live and silent addresses: same sections, numbered in address order', async () => {
    const args = ['-S', '-q', '-t', '1', '-m', '127.0.0.40/29', '-c', 'cyberpower'];
    const [nut, ours, oursN] = await Promise.all([nutScan([...args, '-P'], env), ourScan([...args, '-P'], env), ourScan(args, env)]);
    expect(ours.status).toBe(nut.status);
    const nutLines = nut.stdout.split('\n').filter(Boolean);
    expect(nutLines.length).toBe(4);
    // NUT's threads append in the order hosts answer; ours keeps address order
    expect(ours.stdout.split('\n').filter(Boolean).sort()).toEqual(nutLines.sort());
    const ports = ours.stdout.split('\n').filter(Boolean).map((l) => /port="([^"]*)"/.exec(l)![1]);
    expect(ports).toEqual([AGENTS[0], AGENTS[0], AGENTS[1], AGENTS[1]]);
    const sections = ours.stdout
      .split('\n')
      .filter(Boolean)
      .map((l, i) => {
        const m = /^SNMP:driver="([^"]*)",port="([^"]*)",(.*)$/.exec(l)!;
        const opts = [...m[3].matchAll(/([A-Za-z_]+)="([^"]*)"/g)].map((o) => `\t${o[1]} = "${o[2]}"\n`).join('');
        return `[nutdev${i + 1}]\n\tdriver = "${m[1]}"\n\tport = "${m[2]}"\n${opts}`;
      })
      .join('');
    expect(oursN.stdout).toBe(sections);
  });

  for (const u of V3_USERS) {
    it(`SNMPv3 ${u.scan.join(' ')}: same lines as NUT`, async () => {
      const args = ['-S', '-q', '-P', '-t', '2', '-s', AGENTS[1], ...u.scan];
      const [nut, ours] = await Promise.all([nutScan(args, env), ourScan(args, env)]);
      expect(nut.stdout).toContain('snmp_version="v3"');
      expect(ours.status).toBe(nut.status);
      expect(ours.stdout).toBe(nut.stdout);
    });
  }

  it('SNMPv3 option errors as NUT prints them, once per address', async () => {
    const args = ['-S', '-q', '-P', '-t', '1', '-s', AGENTS[0], '-e', AGENTS[1], '-l', 'authPriv', '-u', 'x', '-W', AUTH_KEY];
    const [nut, ours] = await Promise.all([nutScan(args, env), ourScan(args, env)]);
    expect(nut.stderr).toContain('authPassword and privPassword are required');
    expect(ours.stderr).toBe(nut.stderr);
    expect(ours.stdout).toBe(nut.stdout);
  });

  it('Ctrl-C prints what was found so far', async () => {
    // 127.0.0.43 takes the datagrams and never answers (a closed port would refuse at once)
    const sink = createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(agents.port, '127.0.0.43', resolve));
    onTestFinished(() => {
      sink.close();
    });
    const child = spawn(process.execPath, [OUR_SCANNER, '-S', '-q', '-P', '-D', '-t', '30', '-s', '127.0.0.41', '-e', '127.0.0.43', '-c', 'cyberpower'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until('both live agents answered', () => /127\.0\.0\.41: 2 device/.test(stderr) && /127\.0\.0\.42: 2 device/.test(stderr), 20_000);
    const started = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - started).toBeLessThan(5_000);
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines.map((l) => /port="([^"]*)"/.exec(l)![1])).toEqual(['127.0.0.41', '127.0.0.41', '127.0.0.42', '127.0.0.42']);
  });
});
