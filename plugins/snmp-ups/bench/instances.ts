/**
 * Runs N snmp-ups instances in this one process (as one worker hosting several instances),
 * polling every 2 s like NUT's main loop. Prints "ready" once every instance has started.
 * Usage: jiti instances.ts <port> <community prefix> <N> <pollfreq>
 */
import { createSnmpUpsDriver } from '../src/index.js';
import { makeInstance, startDriver } from '../test/helpers/context.js';

const [port, prefix, nText, pollfreq] = process.argv.slice(2);
const n = Number(nText);
const plugin = createSnmpUpsDriver();
const instances = Array.from({ length: n }, (_, i) => {
  const o = {
    upsname: `dev${i}`,
    port: `127.0.0.1:${port}`,
    options: { community: `${prefix}${String(i).padStart(4, '0')}`, snmp_retries: '1', pollfreq } as Record<string, string>,
    sensitive: ['community'],
  };
  return { o, inst: makeInstance(o) };
});

async function main(): Promise<void> {
  for (let i = 0; i < instances.length; i += 10) {
    await Promise.all(instances.slice(i, i + 10).map(({ o, inst }) => startDriver(plugin, inst, o)));
  }
  process.stdout.write('ready\n');
  for (;;) {
    const t = Date.now();
    await Promise.all(instances.map(({ inst }) => plugin.updateinfo(inst.ctx)));
    await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - t))));
  }
}
void main();
