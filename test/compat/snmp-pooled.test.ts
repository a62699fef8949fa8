/**
 * snmp-ups in the host, its instances sharing one worker, each in a worker of its own, and each
 * confined (a child process under Node's permission model): on
 * the same agents, every instance's tree is what NUT 2.8.0's running driver answers to DUMPALL.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOp } from '../../core/src/driver-socket/codec.js';
import { Host } from '../../core/src/host/host.js';
import type { HostSettingsInput } from '../../core/src/host/settings.js';
import { startNutSnmp, NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';
import { makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'snmprec');
const COMMUNITIES = ['apc_smx750i', 'cyberpower', 'eaton-mgeups_9px'];

describe.each([
  ['pooled', { workersPerInstance: 'plugin', instancesPerWorker: 8 } as HostSettingsInput, 1],
  ['isolated', { workersPerInstance: 'instance' } as HostSettingsInput, COMMUNITIES.length],
  // under Node's permission model (its network is not restricted: Node 20 cannot)
  ['confined', { confined: ['snmp-ups'] } as HostSettingsInput, COMMUNITIES.length],
])('snmp-ups %s in the host agrees with NUT 2.8.0', (_label, settings, workers) => {
  let sim: Snmpsim;
  let sb: Sandbox;
  let host: Host;
  const nutLines = new Map<string, string[]>();

  beforeAll(async () => {
    requireOracle(NUT_SNMP_UPS);
    sim = await startSnmpsim(COMMUNITIES.map((c) => join(FIXTURES, `${c}.snmprec`)));
    const port = `127.0.0.1:${sim.port}`;
    for (const community of COMMUNITIES) {
      const nut = await startNutSnmp(port, { community, snmp_version: 'v1', snmp_retries: '1' });
      try {
        nutLines.set(community, (await nut.request('DUMPALL', /^DUMPDONE$/m)).filter((l) => l !== 'DUMPDONE'));
      } finally {
        await nut.stop();
      }
    }
    sb = makeSandbox('nut-ts-snmp-pooled-');
    sb.write('ups.conf', COMMUNITIES.map((c) => `[${c}]\n driver = snmp-ups\n port = ${port}\n community = ${c}\n snmp_version = v1\n snmp_retries = 1\n`).join(''));
    host = new Host({
      paths: { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' },
      settings,
      pluginSearch: { nodeModules: false },
      driverSockets: false,
      log: () => {},
    });
    const results = await host.startMany(COMMUNITIES.map((ups) => ({ ups, maxstartdelayMs: 60_000 })));
    for (const r of results) expect(r.ok, r.messages.join(' | ')).toBe(true);
  }, 120_000);

  afterAll(async () => {
    await host?.close();
    await sim?.stop();
    sb?.cleanup();
  });

  it(`runs in ${workers} worker(s)`, () => {
    expect(host.pool.workers()).toHaveLength(workers);
  });

  it.each(COMMUNITIES)('%s: the same variables, flags, aux, enums and commands', async (community) => {
    const inst = host.instance(community)!;
    await until(`${community} running`, () => inst.state === 'running', 30_000);
    const ours = inst.tree
      .dump()
      .flatMap((op) => encodeOp(op).split('\n'))
      .filter((l) => l !== '')
      // the one documented difference (README: driver.version reads 2.8.0-nut-ts-<version>)
      .map((l) => l.replace(/^SETINFO driver\.version "2\.8\.0-nut-ts-[^"]*"$/, 'SETINFO driver.version "2.8.0"'));
    expect(ours).toEqual(nutLines.get(community));
  });
});
