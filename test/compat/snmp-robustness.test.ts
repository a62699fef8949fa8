/**
 * An agent that stops answering, answers garbage, or comes back: the instance goes stale, keeps
 * its last values, never throws out of updateinfo, and recovers by itself.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnmpUpsDriver } from '../../plugins/snmp-ups/src/index.js';
import { makeInstance, startDriver } from '../../plugins/snmp-ups/test/helpers/context.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';
import { startUdpProxy, type UdpProxy } from '../../plugins/snmp-ups/test/helpers/udp-proxy.js';

const RECORDING = join(__dirname, '..', 'fixtures', 'snmprec', 'generex-ups_cs141.snmprec');
const TABLE = join(__dirname, '..', '..', 'plugins', 'snmp-ups', 'test', 'fixtures', 'mini-ietf.json');
const nextSecond = () => new Promise((r) => setTimeout(r, 1100));

describe('snmp-ups with a failing agent', () => {
  let sim: Snmpsim;
  let proxy: UdpProxy;
  beforeAll(async () => {
    sim = await startSnmpsim([RECORDING]);
    proxy = await startUdpProxy(sim.port);
  }, 90_000);
  afterAll(async () => {
    await proxy?.close();
    await sim?.stop();
  });

  it('goes stale when the agent is silent or answers garbage, and recovers', async () => {
    const o = {
      port: `127.0.0.1:${proxy.port}`,
      options: { community: 'generex-ups_cs141', snmp_retries: '0', snmp_timeout: '1', pollfreq: '0' } as Record<string, string>,
      sensitive: ['community'],
    };
    const plugin = createSnmpUpsDriver({ tables: [TABLE] });
    const inst = makeInstance(o);
    proxy.mode = 'relay';
    await startDriver(plugin, inst, o);
    expect(inst.tree.stale).toBe(false);
    expect(inst.tree.getValue('driver.version.data')).toBe('mini MIB 0.1');
    expect(inst.tree.getValue('battery.voltage')).toBe('271.60');
    expect(inst.tree.getValue('ups.status')).toBe('OL BYPASS');

    proxy.mode = 'silent';
    await nextSecond();
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.stale).toBe(true);
    expect(inst.tree.getValue('battery.voltage')).toBe('271.60');

    proxy.mode = 'relay';
    await nextSecond();
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.stale).toBe(false);
    expect(inst.tree.getValue('ups.status')).toBe('OL BYPASS');

    proxy.mode = 'garbage';
    await nextSecond();
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.stale).toBe(true);

    proxy.mode = 'relay';
    await nextSecond();
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.stale).toBe(false);
    expect(inst.logs.some((l) => /data stale for battery.voltage/.test(l))).toBe(true);
    expect(inst.logs.some((l) => /data resumed for battery.voltage/.test(l))).toBe(true);
    await plugin.cleanup?.(inst.ctx);
  }, 60_000);

  it('between polls (pollfreq) repeats the last freshness without asking the agent', async () => {
    const o = {
      port: `127.0.0.1:${proxy.port}`,
      options: { community: 'generex-ups_cs141', snmp_retries: '0', snmp_timeout: '1', pollfreq: '3600' } as Record<string, string>,
    };
    const plugin = createSnmpUpsDriver({ tables: [TABLE] });
    const inst = makeInstance(o);
    proxy.mode = 'relay';
    await startDriver(plugin, inst, o);
    proxy.mode = 'silent';
    await plugin.updateinfo(inst.ctx);
    expect(inst.tree.stale).toBe(false);
    await plugin.cleanup?.(inst.ctx);
    proxy.mode = 'relay';
  }, 60_000);

  it('an agent that answers garbage from the start is not detected, without a crash', async () => {
    const o = { port: `127.0.0.1:${proxy.port}`, options: { community: 'x', snmp_retries: '0', snmp_timeout: '1' } as Record<string, string> };
    const plugin = createSnmpUpsDriver({ tables: [TABLE] });
    const inst = makeInstance(o);
    proxy.mode = 'garbage';
    await expect(startDriver(plugin, inst, o)).rejects.toThrow(/No supported device detected at \[t\] \(host 127\.0\.0\.1:\d+\)/);
    proxy.mode = 'relay';
  }, 60_000);

  it('a host with nothing listening is not detected (timeouts), without a crash', async () => {
    const o = { port: '127.0.0.1:9', options: { snmp_retries: '0', snmp_timeout: '1' } as Record<string, string> };
    const plugin = createSnmpUpsDriver({ tables: [TABLE] });
    const inst = makeInstance(o);
    await expect(startDriver(plugin, inst, o)).rejects.toThrow(/No supported device detected/);
  }, 60_000);
});
