#!/usr/bin/env node
/**
 * SNMP sweep of 127.0.0.0/24: a few live snmpsim agents (127.0.0.41-43, recordings from
 * test/fixtures/snmprec), every other address silent. NUT 2.8.0's nut-scanner and ours, the
 * same arguments and timeout, alternating, several runs; wall time (median, min, max) and
 * whether both print the same devices.
 *
 *   npm run build && node bench/scanner.mjs [--runs 3] [--timeout 2] [--threads 512] [--out bench/results/scanner.json]
 *
 * Loopback only. The agents' port goes to both scanners through SNMPCONFPATH's snmp.conf.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = new URL('..', import.meta.url).pathname;
const OURS = join(REPO, 'core/dist/cli/nut-scanner.js');
const NUT = '/usr/bin/nut-scanner';
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const runs = Number(arg('--runs', '3'));
const timeout = arg('--timeout', '2');
const threads = arg('--threads', '512');
const out = arg('--out', undefined);
const AGENTS = ['127.0.0.41', '127.0.0.42', '127.0.0.43'];
const RECORDINGS = ['cyberpower', 'apc_smx750i', 'eaton-mgeups_9px'];

for (const p of [NUT, OURS, '/usr/bin/snmpsimd']) if (!existsSync(p)) throw new Error(`${p} is missing (npm run build; apt-get install nut-server snmpsim)`);

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function timed(cmd, args, env) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (status) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status, stdout }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'bench-scanner-'));
const data = join(dir, 'data');
mkdirSync(data);
mkdirSync(join(dir, 'cache'));
mkdirSync(join(dir, 'conf'));
for (const r of RECORDINGS) copyFileSync(join(REPO, 'test/fixtures/snmprec', `${r}.snmprec`), join(data, `${r}.snmprec`));
spawnSync('chmod', ['-R', 'a+rwX', dir]);
chmodSync(dir, 0o777);
const port = await freeUdpPort();
writeFileSync(join(dir, 'conf', 'snmp.conf'), `defaultPort ${port}\nmibs :\n`);
const env = { ...process.env, SNMPCONFPATH: join(dir, 'conf') };
const sim = spawn(
  '/usr/bin/snmpsimd',
  [`--data-dir=${data}`, `--cache-dir=${join(dir, 'cache')}`, ...AGENTS.map((a) => `--agent-udpv4-endpoint=${a}:${port}`), '--process-user=nobody', '--process-group=nogroup', '--logging-method=null'],
  { stdio: 'ignore' },
);
const stop = () => {
  sim.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);

const args = ['-S', '-q', '-P', '-t', timeout, '-T', threads, '-m', '127.0.0.0/24', '-c', 'cyberpower'];
// wait for the agents (a single-address scan of the first one)
for (let i = 0; ; i++) {
  const r = await timed(process.execPath, [OURS, '-S', '-q', '-P', '-t', '1', '-s', AGENTS[0], '-c', 'cyberpower'], env);
  if (r.stdout.includes('SNMP:')) break;
  if (i > 60) throw new Error('snmpsimd did not answer');
}

const sides = { nut: [], ours: [] };
const outputs = { nut: new Set(), ours: new Set() };
const sorted = (s) => s.split('\n').filter(Boolean).sort().join('\n');
for (let i = 0; i < runs; i++) {
  for (const [side, cmd, a] of [
    ['nut', NUT, args],
    ['ours', process.execPath, [OURS, ...args]],
  ]) {
    const r = await timed(cmd, a, env);
    sides[side].push(r.ms);
    outputs[side].add(sorted(r.stdout));
  }
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { medianMs: Math.round(s[Math.floor(s.length / 2)]), minMs: Math.round(s[0]), maxMs: Math.round(s[s.length - 1]) };
};
const devices = [...outputs.nut][0].split('\n').filter(Boolean).length;
const result = {
  figure: 'scanner-snmp-sweep',
  range: '127.0.0.0/24',
  liveAgents: AGENTS.length,
  timeoutS: Number(timeout),
  threads: Number(threads),
  runs,
  nut: stats(sides.nut),
  ours: stats(sides.ours),
  devicesFound: devices,
  sameDevices: outputs.nut.size === 1 && outputs.ours.size === 1 && [...outputs.nut][0] === [...outputs.ours][0],
};
console.log(`SNMP sweep of ${result.range}, ${AGENTS.length} live agents, -t ${timeout} -T ${threads}, ${runs} runs (median [min-max] ms):`);
console.log(`  NUT 2.8.0 nut-scanner  ${result.nut.medianMs} [${result.nut.minMs}-${result.nut.maxMs}]`);
console.log(`  nut-ts nut-scanner     ${result.ours.medianMs} [${result.ours.minMs}-${result.ours.maxMs}]`);
console.log(`  devices: ${devices}, same on both sides: ${result.sameDevices}`);
if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
process.exit(result.sameDevices ? 0 : 1);
