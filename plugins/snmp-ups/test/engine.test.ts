/**
 * Engine behaviours the recordings do not reach, on an in-memory agent: semi-static refresh,
 * outlet template commands and settings, three-phase filtering, stale/resume of single rows.
 * Expected results follow NUT 2.8.0's snmp-ups.c rules (reference/snmp-ups.md §4-5).
 */
import { describe, expect, it } from 'vitest';
import { SnmpUpsEngine } from '../src/engine.js';
import { parseTable } from '../src/table.js';
import { FakeAgent } from './helpers/fake-agent.js';
import { makeInstance } from './helpers/context.js';

const P = '1.3.6.1.4.1.99999';

/** The engines' clock: moved by the tests, never waited for. */
const clock = { ms: 1_700_000_000_000 };
const tick = (ms: number) => (clock.ms += ms);

function engineFor(rows: object[], agent: FakeAgent, options: Record<string, string | true> = {}, lookups: object = {}) {
  const mibs = parseTable('test.json', { mibs: [{ name: 'test', version: '1', sysOID: `.${P}` }], lookups, rows });
  const inst = makeInstance({ port: 'fake', options, now: () => clock.ms });
  agent.put('1.3.6.1.2.1.1.2.0', { type: 6, value: P });
  const engine = new SnmpUpsEngine(inst.ctx, mibs, agent);
  return { engine, inst };
}

async function startEngine(e: SnmpUpsEngine): Promise<void> {
  await e.initups();
  await e.initinfo();
  await e.updateinfo();
}

describe('snmp-ups engine', () => {
  it('refreshes SEMI_STATIC rows once every semistaticfreq walks', async () => {
    const agent = new FakeAgent({ [`${P}.1.0`]: 'M1', [`${P}.2.0`]: 10 });
    const { engine, inst } = engineFor(
      [
        { name: 'ups.model', oid: `.${P}.1.0`, string: true, stringLength: 32, flags: ['STATIC'] },
        { name: 'battery.date.age', oid: `.${P}.2.0`, flags: ['SEMI_STATIC'] },
      ],
      agent,
      { pollfreq: '0', semistaticfreq: '2' },
    );
    await engine.initups();
    await engine.initinfo();
    expect(inst.tree.getValue('battery.date.age')).toBe('10');
    agent.put(`${P}.2.0`, 20);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      tick(1050);
      await engine.updateinfo();
      seen.push(inst.tree.getValue('battery.date.age')!);
    }
    // countdown: -1 -> 2 (skip), 1 (skip), 0 (read), -1 -> 2 (skip)
    expect(seen).toEqual(['10', '10', '20', '20']);
  });

  it('registers outlet template commands per outlet and runs them on the outlet OID', async () => {
    const agent = new FakeAgent({
      [`${P}.1.0`]: 'PDU',
      [`${P}.3.0`]: 2,
      [`${P}.4.1`]: 'Rack A',
      [`${P}.4.2`]: 'Rack B',
      [`${P}.5.1`]: 1,
      [`${P}.5.2`]: 1,
      [`${P}.5.3`]: 1,
      [`${P}.6.1`]: 1,
      [`${P}.6.2`]: 1,
    });
    const { engine, inst } = engineFor(
      [
        { name: 'ups.model', oid: `.${P}.1.0`, string: true, stringLength: 32, flags: ['STATIC'] },
        { name: 'outlet.count', oid: `.${P}.3.0`, flags: ['STATIC'] },
        { name: 'outlet.%i.desc', oid: `.${P}.4.%i`, string: true, stringLength: 20, writable: true, flags: ['OUTLET'] },
        { name: 'outlet.%i.load.off', oid: `.${P}.5.%i`, default: '2', flags: ['OUTLET', 'TYPE_CMD', 'CMD_OFFSET'] },
        { name: 'outlet.%i.load.on', oid: `.${P}.6.%i`, default: '1', flags: ['OUTLET', 'TYPE_CMD'] },
      ],
      agent,
    );
    await startEngine(engine);
    expect(inst.tree.getValue('outlet.1.desc')).toBe('Rack A');
    expect(inst.tree.getValue('outlet.2.desc')).toBe('Rack B');
    expect(inst.tree.get('outlet.2.desc')).toMatchObject({ flags: 3, aux: 20 });
    expect(inst.tree.commands()).toEqual(['outlet.1.load.off', 'outlet.1.load.on', 'outlet.2.load.off', 'outlet.2.load.on']);

    expect(await engine.instcmd('outlet.2.load.on', undefined)).toBe(0);
    expect(agent.sets.at(-1)).toEqual({ oid: `${P}.6.2`, type: 'i', value: '1' });
    expect(await engine.instcmd('outlet.1.load.off', undefined)).toBe(0);
    expect(agent.sets.at(-1)).toEqual({ oid: `${P}.5.2`, type: 'i', value: '2' });
    expect(await engine.instcmd('outlet.3.load.on', undefined)).toBe(2);
    expect(await engine.instcmd('outlet.1.load.on', '7x')).toBe(2);

    expect(await engine.setvar('outlet.2.desc', 'Rack C')).toBe(0);
    expect(agent.sets.at(-1)).toEqual({ oid: `${P}.4.2`, type: 's', value: 'Rack C' });
    expect(inst.tree.getValue('outlet.2.desc')).toBe('Rack C');
    expect(await engine.setvar('no.such.var', '1')).toBe(1);
  });

  it('keeps three-phase rows on a three-phase unit and drops the single-phase ones', async () => {
    const agent = new FakeAgent({ [`${P}.1.0`]: 'UPS3', [`${P}.2.0`]: 3, [`${P}.3.0`]: 231, [`${P}.3.1`]: 229, [`${P}.3.2`]: 230 });
    const { engine, inst } = engineFor(
      [
        { name: 'ups.model', oid: `.${P}.1.0`, string: true, stringLength: 32, flags: ['STATIC'] },
        { name: 'input.phases', oid: `.${P}.2.0`, flags: ['STATIC'] },
        { name: 'input.voltage', oid: `.${P}.3.0`, flags: ['INPUT_1'] },
        { name: 'input.L1-N.voltage', oid: `.${P}.3.1`, flags: ['INPUT_3'] },
        { name: 'input.L2-N.voltage', oid: `.${P}.3.2`, flags: ['INPUT_3'] },
      ],
      agent,
    );
    await startEngine(engine);
    expect(inst.tree.getValue('input.phases')).toBe('3');
    expect(inst.tree.getValue('input.voltage')).toBeUndefined();
    expect(inst.tree.getValue('input.L1-N.voltage')).toBe('229');
    expect(inst.tree.getValue('input.L2-N.voltage')).toBe('230');
  });

  it('marks a row stale when it stops answering and logs its return', async () => {
    const agent = new FakeAgent({ [`${P}.1.0`]: 'UPS', [`${P}.2.0`]: 55 });
    const { engine, inst } = engineFor(
      [
        { name: 'ups.model', oid: `.${P}.1.0`, string: true, stringLength: 32, flags: ['STATIC'] },
        { name: 'battery.charge', oid: `.${P}.2.0`, },
      ],
      agent,
      { pollfreq: '0' },
    );
    await startEngine(engine);
    expect(inst.tree.stale).toBe(false);
    agent.objects.delete(`${P}.2.0`);
    tick(1050);
    await engine.updateinfo();
    expect(inst.tree.stale).toBe(true);
    expect(inst.tree.getValue('battery.charge')).toBe('55');
    agent.put(`${P}.2.0`, 56);
    tick(1050);
    await engine.updateinfo();
    expect(inst.tree.stale).toBe(false);
    expect(inst.tree.getValue('battery.charge')).toBe('56');
    expect(inst.logs).toEqual(expect.arrayContaining(['[t] snmp_ups_walk: data stale for battery.charge', '[t] get_and_process_data: data resumed for battery.charge']));
  });

  it('explains why an explicit mibs= value does not fit', async () => {
    const agent = new FakeAgent({ [`${P}.1.0`]: 'UPS' });
    const rows = [{ name: 'ups.model', oid: `.${P}.1.0`, string: true, stringLength: 32 }];
    const a = engineFor(rows, agent, { mibs: 'nosuch' });
    await expect(a.engine.initups()).rejects.toThrow("Unknown 'mibs' value: nosuch");
    agent.objects.delete(`${P}.1.0`);
    const b = engineFor(rows, agent, { mibs: 'test' });
    await expect(b.engine.initups()).rejects.toThrow("Requested 'mibs' value 'test' did not match this device [t] (host fake)");
  });

  it('shutdown (-k) applies offdelay/ondelay, then tries shutdown.return, shutdown.reboot, load.off.delay', async () => {
    const agent = new FakeAgent({ [`${P}.1.0`]: 'UPS', [`${P}.7.0`]: 0, [`${P}.8.0`]: 0, [`${P}.9.0`]: 1 });
    const rows = [
      { name: 'ups.model', oid: `.${P}.1.0`, string: true, stringLength: 32, flags: ['OK', 'STATIC'] },
      { name: 'ups.delay.shutdown', oid: `.${P}.7.0`, writable: true, flags: ['OK', 'TYPE_TIME'] },
      { name: 'ups.delay.start', oid: `.${P}.8.0`, writable: true, flags: ['OK', 'TYPE_TIME'] },
      { name: 'load.off.delay', oid: `.${P}.9.0`, default: '2', flags: ['OK', 'TYPE_CMD'] },
    ];
    const { engine, inst } = engineFor(rows, agent, { offdelay: '20', ondelay: '40' });
    await engine.initups(); // -k runs initups and shutdown only
    agent.sets.length = 0;
    await engine.shutdown();
    expect(agent.sets).toEqual([
      { oid: `${P}.8.0`, type: 't', value: '4000' },
      { oid: `${P}.7.0`, type: 't', value: '2000' },
      { oid: `${P}.9.0`, type: 'i', value: '2' },
    ]);
    expect(inst.tree.commands()).toEqual(['load.off']);

    agent.down = true;
    await expect(engine.shutdown()).rejects.toThrow('Shutdown failed!');
  });
});
