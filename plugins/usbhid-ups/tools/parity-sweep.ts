/**
 * Parity sweep (needs NUT 2.8.0 and umockdev): every subdriver, as a virtual USB device built
 * from its table with each value variant, read by NUT's usbhid-ups and by ours (-d 1); prints
 * the lines that differ. The compat test runs the `first` variant; this runs all of them.
 * Usage: npx jiti plugins/usbhid-ups/tools/parity-sweep.ts [subdriver[:productid]…]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVirtualUsb } from '../../../test/virtual-usb/harness.js';
import { modelFromTable, type Variant } from '../test/helpers/model-from-table.js';
import { builtinTableFiles, loadTables } from '../src/table.js';

const CLI = new URL('../../../core/dist/cli/driver.js', import.meta.url).pathname;
const args = process.argv.slice(2).map((a) => a.split(':') as [string, string?]);
const only = args.map(([s]) => s);
const tables = loadTables(builtinTableFiles());
let differing = 0;

function lines(out: string): string[] {
  return out.split('\n').filter((l) => /^[a-z][\w.]*: /.test(l) && !l.startsWith('driver.'));
}

for (const sub of tables.subdrivers) {
  if (sub.subdriver === 'explore' || (only.length && !only.includes(sub.subdriver))) continue;
  for (const variant of ['first', 'last'] as Variant[]) {
    const pid = args.find(([s]) => s === sub.subdriver)?.[1];
    const dev = await startVirtualUsb(modelFromTable(tables, sub, variant, pid));
    const dir = mkdtempSync(join(tmpdir(), 'usbhid-sweep-'));
    try {
      writeFileSync(join(dir, 'ups.conf'), '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n');
      const env = { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, ...dev.env };
      const nut = spawnSync('/lib/nut/usbhid-ups', ['-a', 'ups', '-d', '1', '-u', 'root'], { env, encoding: 'latin1', timeout: 60_000 });
      const ours = spawnSync(process.execPath, [CLI, 'usbhid-ups', '-a', 'ups', '-d', '1'], { env, encoding: 'latin1', timeout: 60_000 });
      const a = lines(nut.stdout);
      const b = lines(ours.stdout);
      const onlyNut = a.filter((l) => !b.includes(l));
      const onlyOurs = b.filter((l) => !a.includes(l));
      const same = nut.status === ours.status && !onlyNut.length && !onlyOurs.length;
      if (!same) differing++;
      console.log(`${sub.subdriver}${pid ? `:${pid}` : ''} ${variant}: ${same ? 'same' : 'DIFFERENT'} (${a.length} lines; exit NUT ${nut.status}, ours ${ours.status})`);
      for (const l of onlyNut) console.log(`  NUT : ${l}`);
      for (const l of onlyOurs) console.log(`  ours: ${l}`);
    } finally {
      await dev.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
process.exitCode = differing ? 1 : 0;
