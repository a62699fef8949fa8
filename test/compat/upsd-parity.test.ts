/**
 * Replay parity: every DDL dump and NUT's data files, replayed by NUT's dummy-ups, served by
 * NUT's upsd and by ours. Byte-identical answers to LIST UPS/VAR/RW/CMD/ENUM/RANGE and
 * GET VAR/TYPE/UPSDESC/DESC/CMDDESC for every name. Descriptions: our upsd with NUT's
 * DATAPATH gives NUT's texts byte for byte; with its built-in table it must have a text
 * wherever NUT has one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFixtures, exchange, startPair, type Pair } from './upsd-harness.js';

let pair: Pair;

beforeAll(async () => {
  pair = await startPair({ fixtures: allFixtures(), withDatapath: true });
}, 300_000);

afterAll(async () => {
  await pair?.stop();
});

/** Every request the parity covers for one UPS, built from NUT's own listings. */
async function requestsFor(ups: string): Promise<string[]> {
  const [vars, cmds] = await exchange(pair.nut.port, [`LIST VAR ${ups}`, `LIST CMD ${ups}`]);
  const names = vars
    .split('\n')
    .filter((l) => l.startsWith('VAR '))
    .map((l) => l.split(' ')[2]);
  const commands = cmds
    .split('\n')
    .filter((l) => l.startsWith('CMD '))
    .map((l) => l.split(' ')[2]);
  expect(names.length).toBeGreaterThan(3);
  const req = [`LIST VAR ${ups}`, `LIST RW ${ups}`, `LIST CMD ${ups}`, `GET UPSDESC ${ups}`, `LIST CLIENT ${ups}`, `GET NUMLOGINS ${ups}`];
  for (const n of names) {
    req.push(`GET VAR ${ups} ${n}`, `GET TYPE ${ups} ${n}`, `LIST ENUM ${ups} ${n}`, `LIST RANGE ${ups} ${n}`, `GET DESC ${ups} ${n}`);
  }
  for (const c of commands) req.push(`GET CMDDESC ${ups} ${c}`);
  // case variants and misses
  req.push(`GET VAR ${ups.toUpperCase()} UPS.STATUS`, `GET VAR ${ups} no.such.var`, `GET TYPE ${ups} no.such.var`);
  req.push(`LIST ENUM ${ups} no.such.var`, `GET CMDDESC ${ups} no.such.cmd`, `GET DESC ${ups} no.such.var`);
  return req;
}

/** Answers from NUT and from ours; a replay sequence may move between the two reads. */
async function bothAnswer(port: number, requests: string[]): Promise<{ nut: string[]; ours: string[] }> {
  let last = { nut: [] as string[], ours: [] as string[] };
  for (let attempt = 0; attempt < 5; attempt++) {
    const [nut, ours] = await Promise.all([exchange(pair.nut.port, requests), exchange(port, requests)]);
    last = { nut, ours };
    if (nut.every((a, i) => a === ours[i])) break;
  }
  return last;
}

const isDesc = (r: string) => /^GET (CMD)?DESC /.test(r);

describe('replay parity with NUT 2.8.0 upsd', () => {
  it('LIST UPS (order, descriptions, escaping) and server-wide requests', async () => {
    const req = ['LIST UPS', 'VER', 'NETVER', 'PROTVER', 'HELP', 'GET VAR nonexist server.version', 'GET VAR x server.info', 'LIST VAR nope', 'GET TRACKING'];
    const [nut, ours] = await Promise.all([exchange(pair.nut.port, req), exchange(pair.ours.port, req)]);
    expect(ours).toEqual(nut);
    expect(nut[0].split('\n').length).toBe(pair.fixtures.length + 3);
  });

  for (const f of allFixtures()) {
    it(`${f.name} (${f.file.split('/').pop()}): byte-identical answers`, async () => {
      const requests = await requestsFor(f.name);
      // NUT's DATAPATH: every answer, descriptions included, byte for byte
      const withData = await bothAnswer(pair.oursDatapath!.port, requests);
      const diffs = requests.flatMap((r, i) =>
        withData.nut[i] === withData.ours[i] ? [] : [`${r}\n  nut:  ${JSON.stringify(withData.nut[i])}\n  ours: ${JSON.stringify(withData.ours[i])}`],
      );
      expect(diffs.join('\n')).toBe('');

      // built-in descriptions: identical everywhere else; a description wherever NUT has one
      const builtIn = await bothAnswer(pair.ours.port, requests);
      const problems: string[] = [];
      requests.forEach((r, i) => {
        const nut = builtIn.nut[i];
        const ours = builtIn.ours[i];
        if (!isDesc(r)) {
          if (nut !== ours) problems.push(`${r}: nut ${JSON.stringify(nut)} ours ${JSON.stringify(ours)}`);
          return;
        }
        const nutHas = !nut.endsWith('"Description unavailable"\n');
        const oursHas = !ours.endsWith('"Description unavailable"\n');
        const prefix = (s: string) => s.slice(0, s.indexOf('"'));
        if (prefix(nut) !== prefix(ours) || (nutHas && !oursHas)) problems.push(`${r}: nut ${JSON.stringify(nut)} ours ${JSON.stringify(ours)}`);
      });
      expect(problems.join('\n')).toBe('');
    });
  }
});
