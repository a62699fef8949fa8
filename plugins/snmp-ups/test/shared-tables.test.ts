/**
 * Instances of snmp-ups that share a worker share its parsed MIB tables, also when they start
 * in the same turn (a thousand devices start at once).
 */
import { describe, expect, it, vi } from 'vitest';
import type { MibEntry } from '../src/table.js';
import { FakeAgent } from './helpers/fake-agent.js';
import { makeInstance } from './helpers/context.js';

const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/table-set.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/table-set.js')>();
  return {
    ...real,
    loadTableSet: (files: readonly string[]): Promise<MibEntry[]> => {
      loads.count++;
      return real.loadTableSet(files);
    },
  };
});

const { createSnmpUpsDriver } = await import('../src/index.js');

describe('snmp-ups tables in a shared worker', () => {
  it('are loaded once for instances that start together', async () => {
    const plugin = createSnmpUpsDriver({ transport: () => new FakeAgent({}) });
    const instances = Array.from({ length: 5 }, (_, i) => makeInstance({ upsname: `ups${i}`, port: '127.0.0.1', options: { mibs: 'ietf' } }));
    // an agent with nothing in it fails detection: what counts here is how often the tables were read
    await Promise.allSettled(instances.map((inst) => plugin.initups!(inst.ctx)));
    expect(loads.count).toBe(1);
  });
});
