/**
 * SET and instant commands reach a writable agent (snmpsim's writecache variation) and are read
 * back: NUT 2.8.0's driver (commands over its socket) and ours do the same operations against
 * a fresh agent each; the agent ends in the same state and the handlers return the same codes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { afterEach, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { createSnmpUpsDriver } from '../../plugins/snmp-ups/src/index.js';
import { makeInstance, startDriver } from '../../plugins/snmp-ups/test/helpers/context.js';
import { startNutSnmp, NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';

const BASE = join(__dirname, '..', 'fixtures', 'snmprec', 'apc_smx750i.snmprec');
const APC = '1.3.6.1.4.1.318.1.1.1';
/** Writable objects added to the APC recording (tag:writecache|initial value). */
const WRITABLE: Array<[string, string]> = [
  [`${APC}.5.2.3.0`, '4:writecache|value=196'], // input.transfer.low (STRING row: NUT sets 's')
  [`${APC}.5.2.7.0`, '2:writecache|value=1'], // input.sensitivity (STRING row with a lookup, INTEGER object)
  [`${APC}.5.2.8.0`, '2:writecache|value=120'], // battery.runtime.low (STRING row on an INTEGER: SET fails)
  [`${APC}.5.2.9.0`, '67:writecache|value=0'], // ups.delay.start (TimeTicks)
  [`${APC}.5.2.10.0`, '67:writecache|value=9000'], // ups.delay.shutdown (TimeTicks)
  [`${APC}.6.1.1.0`, '2:writecache|value=1'], // shutdown.return
  [`${APC}.6.2.1.0`, '2:writecache|value=1'], // load.off / shutdown.stayoff
  [`${APC}.7.2.2.0`, '2:writecache|value=1'], // test.battery.start
];

function oidKey(oid: string): number[] {
  return oid.split('.').map(Number);
}
function cmpOid(a: string, b: string): number {
  const x = oidKey(a);
  const y = oidKey(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function writeRecording(dataDir: string): void {
  const keep = readFileSync(BASE, 'latin1')
    .split('\n')
    .filter((l) => l && !WRITABLE.some(([oid]) => l.startsWith(oid + '|')));
  const lines = [...keep, ...WRITABLE.map(([oid, rest]) => `${oid}|${rest}`)];
  lines.sort((a, b) => cmpOid(a.split('|')[0], b.split('|')[0]));
  writeFileSync(join(dataDir, 'apc_rw.snmprec'), lines.join('\n') + '\n');
}

async function readBack(port: number): Promise<Record<string, string>> {
  const s = snmp.createSession('127.0.0.1', 'apc_rw', { port, retries: 1, timeout: 2000, version: snmp.Version1 });
  s.on('error', () => {});
  const out: Record<string, string> = {};
  for (const [oid] of WRITABLE) {
    out[oid] = await new Promise<string>((resolve) =>
      s.get([oid], (err, vbs) => resolve(err || !vbs ? `error: ${err?.message}` : `${vbs[0].type}:${Buffer.isBuffer(vbs[0].value) ? vbs[0].value.toString('latin1') : String(vbs[0].value)}`)),
    );
  }
  s.close();
  return out;
}

const OPS: Array<{ kind: 'cmd' | 'set'; name: string; value?: string }> = [
  { kind: 'cmd', name: 'load.off' },
  { kind: 'cmd', name: 'test.battery.start' },
  { kind: 'cmd', name: 'no.such.command' },
  { kind: 'set', name: 'input.transfer.low', value: '160' },
  { kind: 'set', name: 'input.sensitivity', value: 'high' },
  { kind: 'set', name: 'ups.delay.shutdown', value: '180' },
  { kind: 'set', name: 'battery.runtime.low', value: '300' },
  { kind: 'set', name: 'ups.delay.start', value: 'abc' },
];

const OPTIONS = { community: 'apc_rw', snmp_version: 'v1', snmp_retries: '1', offdelay: '120', ondelay: '30' };

describe('snmp-ups SET and instant commands against a writable agent', () => {
  let sim: Snmpsim | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  async function viaNut(): Promise<{ codes: number[]; agent: Record<string, string>; published: string[] }> {
    sim = await startSnmpsim([BASE], [], writeRecording);
    const port = `127.0.0.1:${sim.port}`;
    const nut = await startNutSnmp(port, OPTIONS);
    const codes: number[] = [];
    const conn = await nut.connection();
    try {
      for (const [i, op] of OPS.entries()) {
        const line = op.kind === 'cmd' ? `INSTCMD ${op.name} TRACKING id${i}` : `SET ${op.name} "${op.value}" TRACKING id${i}`;
        const reply = await conn.request(line, new RegExp(`^TRACKING id${i} (-?\\d+)$`, 'm'));
        codes.push(Number(/TRACKING id\d+ (-?\d+)/.exec(reply.join('\n'))![1]));
      }
      const dump = await conn.request('DUMPALL', /^DUMPDONE$/m);
      const published = dump.filter((l) => /^SETINFO (input\.transfer\.low|input\.sensitivity|ups\.delay\.(shutdown|start)|battery\.runtime\.low) /.test(l));
      return { codes, agent: await readBack(sim.port), published };
    } finally {
      conn.close();
      await nut.stop();
      await sim.stop();
      sim = undefined;
    }
  }

  async function viaOurs(): Promise<{ codes: number[]; agent: Record<string, string>; published: string[] }> {
    sim = await startSnmpsim([BASE], [], writeRecording);
    const o = { port: `127.0.0.1:${sim.port}`, options: OPTIONS, sensitive: ['community'] };
    const plugin = createSnmpUpsDriver();
    const inst = makeInstance(o);
    await startDriver(plugin, inst, o);
    const codes: number[] = [];
    for (const op of OPS) {
      codes.push(op.kind === 'cmd' ? Number(await plugin.instcmd!(inst.ctx, op.name)) : Number(await plugin.setvar!(inst.ctx, op.name, op.value!)));
    }
    await plugin.cleanup?.(inst.ctx);
    const published = inst.tree
      .list()
      .filter((v) => /^(input\.transfer\.low|input\.sensitivity|ups\.delay\.(shutdown|start)|battery\.runtime\.low)$/.test(v.name))
      .map((v) => `SETINFO ${v.name} "${v.value}"`);
    return { codes, agent: await readBack(sim.port), published };
  }

  it('NUT and ours leave the agent in the same state, with the same results', async () => {
    requireOracle(NUT_SNMP_UPS);
    const nut = await viaNut();
    const ours = await viaOurs();
    expect(ours.codes).toEqual(nut.codes);
    expect(ours.agent).toEqual(nut.agent);
    expect(ours.published).toEqual(nut.published);
    // And the facts behind it (reference: su_setOID): commands write their default value as an
    // INTEGER, STRING rows write an OCTET STRING (refused by an INTEGER object, even with a
    // lookup), numeric TYPE_TIME rows write value/len*100 as TimeTicks.
    expect(ours.agent[`${APC}.6.2.1.0`]).toBe('2:2');
    expect(ours.agent[`${APC}.7.2.2.0`]).toBe('2:2');
    expect(ours.agent[`${APC}.5.2.3.0`]).toBe('4:160');
    expect(ours.agent[`${APC}.5.2.7.0`]).toBe('2:1');
    expect(ours.agent[`${APC}.5.2.10.0`]).toBe('67:6000');
    expect(ours.agent[`${APC}.5.2.9.0`]).toBe('67:1000');
    expect(ours.codes).toEqual([0, 0, 1, 0, 3, 0, 3, 2]);
  });
});
