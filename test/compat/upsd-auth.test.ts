/**
 * Auth matrix in the manner of NUT's tests/NIT: no login, admin, a read-only user, users
 * limited to some instant commands, upsmon primary and secondary, wrong credentials. Every
 * request is compared with NUT's upsd answer for answer (tracking IDs by shape only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation, FIXTURES, normalizeTracking, startPair, type Pair } from './upsd-harness.js';

let pair: Pair;

beforeAll(async () => {
  pair = await startPair({
    fixtures: [
      { name: 'ups1', file: `${FIXTURES}/ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev`, desc: 'first' },
      { name: 'fsdups', file: `${FIXTURES}/ddl/Eaton__9PX__snmp-ups__2.7.4__01.dev` },
    ],
  });
}, 300_000);

afterAll(async () => {
  await pair?.stop();
});

const ROLES: Array<[string, string | undefined, string | undefined]> = [
  ['anonymous', undefined, undefined],
  ['admin', 'admin', 'secret'],
  ['reader', 'reader', 'readonly'],
  ['tester', 'tester', 't3st'],
  ['limited', 'limited', 'l1m'],
  ['upsmon primary', 'upsmaster', 'mpw'],
  ['upsmon secondary', 'upsslave', 'spw'],
  ['wrong password', 'admin', 'Secret'],
  ['unknown user', 'nobody', 'secret'],
  ['username only', 'admin', undefined],
];

/** Runs one role's session against a server; returns request → answer lines. */
async function session(port: number, user: string | undefined, pass: string | undefined): Promise<string[]> {
  const c = await Conversation.open(port);
  const log: string[] = [];
  const ask = async (line: string) => {
    const a = await c.ask(line);
    log.push(normalizeTracking(`${line} -> ${a}`));
    return a;
  };
  try {
    if (user !== undefined) await ask(`USERNAME ${user}`);
    if (pass !== undefined) await ask(`PASSWORD ${pass}`);
    await ask('LOGIN ups1');
    await ask('LOGIN ups1');
    await ask('PRIMARY ups1');
    await ask('MASTER ups1');
    await ask('PRIMARY nosuchups');
    await ask('SET VAR ups1 ups.delay.shutdown 20');
    await ask('SET VAR ups1 driver.name x');
    await ask('SET VAR ups1 no.such.var 1');
    await ask('INSTCMD ups1 load.off');
    await ask('INSTCMD ups1 test.battery.start');
    await ask('INSTCMD ups1 LOAD.OFF 5');
    await ask('SET TRACKING ON');
    await ask('GET TRACKING');
    const tracked = await ask('INSTCMD ups1 load.off');
    const tset = await ask('SET VAR ups1 battery.charge.low 10');
    for (const a of [tracked, tset]) {
      const m = /^OK TRACKING (\S+)\n$/.exec(a);
      if (!m) continue;
      // the driver's result arrives when it arrives: poll (unrecorded) while PENDING
      for (let i = 0; i < 150 && (await c.ask(`GET TRACKING ${m[1]}`)) === 'PENDING\n'; i++) await new Promise((r) => setTimeout(r, 200));
      await ask(`GET TRACKING ${m[1]}`);
    }
    await ask('GET TRACKING 00000000-0000-4000-8000-000000000000');
    await ask('SET TRACKING OFF');
    await ask('FSD nosuchups');
    await ask('FSD fsdups');
    await ask('GET VAR fsdups ups.status');
    await ask('LIST CLIENT ups1');
    await ask('GET NUMLOGINS ups1');
    await ask('LOGOUT');
    await c.waitClosed();
    log.push(`closed: ${c.closed}`);
  } finally {
    c.close();
  }
  return log;
}

describe('auth matrix against NUT 2.8.0 upsd', () => {
  for (const [role, user, pass] of ROLES) {
    it(`${role}: every request answered as NUT answers`, async () => {
      const nut = await session(pair.nut.port, user, pass);
      const ours = await session(pair.ours.port, user, pass);
      expect(ours).toEqual(nut);
    });
  }

  it('LOGIN counting and LIST CLIENT across concurrent sessions', async () => {
    const run = async (port: number) => {
      const a = await Conversation.open(port);
      const b = await Conversation.open(port);
      const out: string[] = [];
      for (const c of [a, b]) {
        out.push(await c.ask('USERNAME upsslave'), await c.ask('PASSWORD spw'), await c.ask('LOGIN UPS1'));
      }
      out.push(await a.ask('GET NUMLOGINS ups1'), await a.ask('LIST CLIENT UPS1'));
      b.close();
      // the count drops when a connection goes away
      for (let i = 0; i < 50; i++) {
        if ((await a.ask('GET NUMLOGINS ups1')) === 'NUMLOGINS ups1 1\n') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      out.push(await a.ask('GET NUMLOGINS ups1'));
      a.close();
      return out;
    };
    expect(await run(pair.ours.port)).toEqual(await run(pair.nut.port));
  });
});
