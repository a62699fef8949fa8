/**
 * snmpsim (Debian's snmpsimd) serving many SNMP agents on loopback for the SNMP fleet: one
 * recording copied once per device, each copy a community of its own (`dev0000`, ...).
 * Devices are spread over `processes` snmpsimd processes (each its own UDP port), because one
 * snmpsimd is a single Python thread. snmpsimd runs as nobody and is not in the bench
 * sandbox's environment, so the stack's PSS and CPU never include it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { sleep } from './sandbox.mjs';

export function snmpsimBinary() {
  for (const b of ['/usr/bin/snmpsimd', '/usr/bin/snmpsim-command-responder', '/usr/bin/snmpsimd.py']) if (existsSync(b)) return b;
  return null;
}

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function probe(port, community) {
  return new Promise((resolve) => {
    const s = snmp.createSession('127.0.0.1', community, { port, retries: 0, timeout: 1000, version: snmp.Version1 });
    s.on('error', () => {});
    s.get(['1.3.6.1.2.1.1.2.0'], (err) => {
      s.close();
      resolve(!err);
    });
  });
}

/** snmpsimd processes not yet stopped: an interrupted run still stops them. */
const live = new Set();

export function killSnmpsims() {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

export const community = (i) => `dev${String(i).padStart(4, '0')}`;

/**
 * Starts `processes` snmpsimd processes serving `n` copies of `recording`; resolves with
 * { agents: [{ port, community }], stop() } once every process answers its first community.
 */
export async function startSnmpFleet(recording, n, { processes = 1, timeoutMs = 120_000 } = {}) {
  const bin = snmpsimBinary();
  if (!bin) throw new Error('snmpsim is missing (apt-get install snmpsim)');
  const dir = mkdtempSync(join(tmpdir(), 'nutbench-snmpsim-'));
  const children = [];
  const stop = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && children.some((c) => c.exitCode === null && c.signalCode === null)) await sleep(50);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of children) live.delete(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const agents = [];
    const ports = [];
    for (let p = 0; p < processes; p++) {
      const data = join(dir, `data${p}`);
      const cache = join(dir, `cache${p}`);
      mkdirSync(data);
      mkdirSync(cache);
      ports.push({ data, cache, port: await freeUdpPort(), first: null });
    }
    for (let i = 0; i < n; i++) {
      const p = ports[i % processes];
      copyFileSync(recording, join(p.data, `${community(i)}.snmprec`));
      p.first ??= community(i);
      agents.push({ port: p.port, community: community(i) });
    }
    spawnSync('chmod', ['-R', 'a+rwX', dir]);
    for (const p of ports) {
      const child = spawn(
        bin,
        [
          `--data-dir=${p.data}`,
          `--cache-dir=${p.cache}`,
          `--agent-udpv4-endpoint=127.0.0.1:${p.port}`,
          '--process-user=nobody',
          '--process-group=nogroup',
          '--logging-method=null',
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
      live.add(child);
    }
    const deadline = Date.now() + timeoutMs;
    for (const [k, p] of ports.entries()) {
      while (!(await probe(p.port, p.first))) {
        if (children[k].exitCode !== null) throw new Error(`snmpsimd exited with ${children[k].exitCode}`);
        if (Date.now() > deadline) throw new Error(`snmpsimd did not answer within ${timeoutMs} ms`);
        await sleep(250);
      }
    }
    return { agents, pids: () => children.map((c) => c.pid), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
