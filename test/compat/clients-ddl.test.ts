/**
 * Every DDL fixture, replayed by NUT's dummy-ups and served by NUT's upsd: our upsc, upsrw
 * and upscmd -l print exactly what NUT's print (real values: odd characters, escapes, long
 * lists).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from '../../core/src/client/index.js';
import {
  freePort,
  makeSandbox,
  requireOracle,
  startNutDriver,
  startNutUpsd,
  stopChild,
  type Sandbox,
} from '../helpers/oracle.js';
import { REPO, runBoth } from './clients-harness.js';

const DDL = join(REPO, 'test/fixtures/ddl');
const fixtures = readdirSync(DDL).filter((f) => f.endsWith('.dev')).sort();
const name = (i: number): string => `ddl${String(i + 1).padStart(2, '0')}`;

let sb: Sandbox;
let port: number;
let upsd: ChildProcess | undefined;
const drivers: ChildProcess[] = [];

beforeAll(async () => {
  requireOracle();
  sb = makeSandbox('nut-ts-clients-ddl-');
  const sections: string[] = [];
  fixtures.forEach((f, i) => {
    sb.copy(join(DDL, f), `${name(i)}.dev`);
    sections.push(`[${name(i)}]\n\tdriver = dummy-ups\n\tport = ${name(i)}.dev\n\tdesc = "${f.replace(/__/g, ' ').replace(/\.dev$/, '')}"\n`);
  });
  sb.write('ups.conf', sections.join(''));
  port = await freePort();
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
  fixtures.forEach((_, i) => drivers.push(startNutDriver(sb, 'dummy-ups', name(i))));
  upsd = await startNutUpsd(sb, port);
  const c = new NutClient({ host: '127.0.0.1', port });
  await c.connect();
  try {
    for (let i = 0; i < fixtures.length; i++) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const status = await c.getVar(name(i), 'driver.name').catch(() => undefined);
        if (status !== undefined) break;
        if (Date.now() > deadline) throw new Error(`no data for ${name(i)} (${fixtures[i]})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    c.close();
  }
}, 180_000);

afterAll(async () => {
  await stopChild(upsd);
  for (const d of drivers) await stopChild(d);
  sb?.cleanup();
});

describe('every DDL fixture through NUT dummy-ups and upsd', () => {
  it('upsc -L', async () => {
    const { nut, ours } = await runBoth('upsc', ['-L', `127.0.0.1:${port}`]);
    expect(nut.stdout.split('\n').filter(Boolean)).toHaveLength(fixtures.length);
    expect(ours).toEqual(nut);
  });

  it.each(fixtures.map((f, i) => [f, name(i)]))('%s: upsc, upsrw, upscmd -l', async (_f, ups) => {
    const target = `${ups}@127.0.0.1:${port}`;
    // read-only queries: the three comparisons may run side by side
    const runs = await Promise.all([
      runBoth('upsc', [target]),
      runBoth('upsrw', [target]),
      runBoth('upscmd', ['-l', target]),
    ]);
    for (const { nut, ours } of runs) {
      expect(nut.code).toBe(0);
      expect(ours).toEqual(nut);
    }
  });
});
