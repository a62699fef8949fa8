/**
 * Scripted transcripts of the real clients in reference/ecosystem.md §2, each replayed
 * against NUT's upsd and ours: the same bytes back for every request. Sequences, line endings
 * and connection patterns follow what each client sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../core/test/upsd/helpers.js';
import { FIXTURES, TEST_USERS, normalizeTracking, startPair, type Pair } from './upsd-harness.js';

let pair: Pair;

const USERS = `${TEST_USERS}
[monuser]
  password = secret
  upsmon secondary
[qnap]
  password = 123456
  upsmon secondary
`;

beforeAll(async () => {
  pair = await startPair({
    fixtures: [
      { name: 'ups', file: `${FIXTURES}/ddl/Cyber_Power_Systems__BL1250U__usbhid-ups__2.7.4__02.dev`, desc: 'Synology UPS' },
      { name: 'qnapups', file: `${FIXTURES}/ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev` },
      { name: 'myups', file: `${FIXTURES}/ddl/Eaton__9PX__snmp-ups__2.7.4__01.dev`, desc: 'Eaton "9PX" #2' },
    ],
    users: USERS,
    withDatapath: true,
  });
}, 300_000);

afterAll(async () => {
  await pair?.stop();
});

type Script = (s: Session) => Promise<void>;

/** A client session that records every request and the bytes answered to it. */
class Session {
  log: string[] = [];
  private conns: TestClient[] = [];
  constructor(readonly port: number) {}
  async connect(): Promise<TestClient> {
    const c = await TestClient.open(this.port);
    this.conns.push(c);
    return c;
  }
  /** Sends one raw write (may hold several requests) and reads `answers` answers. */
  async raw(c: TestClient, bytes: string, answers: number): Promise<string[]> {
    c.send(bytes);
    const out: string[] = [];
    for (let i = 0; i < answers; i++) out.push(await c.answer(30_000));
    this.log.push(`${JSON.stringify(bytes)} => ${JSON.stringify(normalizeTracking(out.join('')))}`);
    return out;
  }
  async ask(c: TestClient, line: string, eol = '\n'): Promise<string> {
    return (await this.raw(c, line + eol, 1))[0];
  }
  async closed(c: TestClient): Promise<boolean> {
    await c.waitFor(() => c.closed, 10_000).catch(() => {});
    return c.closed;
  }
  end(): void {
    for (const c of this.conns) c.close();
  }
}

const words = (answer: string, kind: string) =>
  answer
    .split('\n')
    .filter((l) => l.startsWith(kind + ' '))
    .map((l) => l.split(' ')[kind === 'UPS' ? 1 : 2]);

async function both(script: Script): Promise<{ nut: string[]; ours: string[] }> {
  const run = async (port: number) => {
    const s = new Session(port);
    try {
      await script(s);
    } finally {
      s.end();
    }
    return s.log;
  };
  const nut = await run(pair.nut.port);
  const ours = await run(pair.oursDatapath!.port);
  return { nut, ours };
}

const SCRIPTS: Record<string, Script> = {
  'Home Assistant (aionut): one persistent connection, credentials, LIST UPS/VAR/CMD, INSTCMD, UPSDESC': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'USERNAME admin');
    await s.ask(c, 'PASSWORD secret');
    await s.ask(c, 'LIST UPS');
    await s.ask(c, 'LIST VAR myups');
    await s.ask(c, 'LIST CMD myups');
    await s.ask(c, 'INSTCMD myups beeper.toggle');
    await s.ask(c, 'INSTCMD myups load.off');
    await s.ask(c, 'GET UPSDESC myups');
    for (let i = 0; i < 3; i++) await s.ask(c, 'LIST VAR myups');
  },
  'nut_exporter / Telegraf (go.nut): fresh connection per scrape, DESC and TYPE per variable': async (s) => {
    for (let scrape = 0; scrape < 2; scrape++) {
      const c = await s.connect();
      await s.ask(c, 'VER');
      await s.ask(c, 'NETVER');
      await s.ask(c, 'USERNAME reader');
      await s.ask(c, 'PASSWORD readonly');
      const ups = words(await s.ask(c, 'LIST UPS'), 'UPS');
      for (const u of ups) {
        await s.ask(c, `LIST CLIENT ${u}`);
        const cmds = words(await s.ask(c, `LIST CMD ${u}`), 'CMD');
        for (const cmd of cmds) await s.ask(c, `GET CMDDESC ${u} ${cmd}`);
        await s.ask(c, `GET UPSDESC ${u}`);
        await s.ask(c, `GET NUMLOGINS ${u}`);
        const vars = words(await s.ask(c, `LIST VAR ${u}`), 'VAR');
        for (const v of vars) {
          await s.ask(c, `GET DESC ${u} ${v}`);
          await s.ask(c, `GET TYPE ${u} ${v}`);
        }
      }
      await s.ask(c, 'LOGOUT');
      s.log.push(`closed after LOGOUT: ${await s.closed(c)}`);
    }
  },
  'PeaNUT: LIST VAR then DESC + TYPE per variable, LIST RW, ENUM/RANGE': async (s) => {
    const c = await s.connect();
    const vars = words(await s.ask(c, 'LIST VAR qnapups'), 'VAR');
    for (const v of vars) {
      await s.ask(c, `GET DESC qnapups ${v}`);
      await s.ask(c, `GET TYPE qnapups ${v}`);
    }
    const rw = words(await s.ask(c, 'LIST RW qnapups'), 'RW');
    for (const v of rw) {
      await s.ask(c, `LIST ENUM qnapups ${v}`);
      await s.ask(c, `LIST RANGE qnapups ${v}`);
    }
    await s.ask(c, 'LIST CMD qnapups');
  },
  'node-nut: several requests in one write, answers parsed from one stream': async (s) => {
    const c = await s.connect();
    await s.raw(c, 'LIST UPS\nLIST VAR ups\nGET VAR ups ups.status\nLIST CMD ups\nGET UPSDESC ups\n', 5);
    await s.raw(c, 'GET VAR ups battery.charge\nGET VAR ups nosuch\nLIST RW ups\n', 3);
    await s.raw(c, 'USERNAME admin\nPASSWORD secret\nSET VAR ups ups.delay.shutdown 20\nINSTCMD ups load.off\nLOGOUT\n', 5);
  },
  'WinNUT: \\r\\r\\n line ends, two sockets (one idle), GET VAR per value with fallbacks': async (s) => {
    const idle = await s.connect();
    const c = await s.connect();
    const eol = '\r\r\n';
    await s.ask(c, 'USERNAME monuser', eol);
    await s.ask(c, 'PASSWORD secret', eol);
    await s.ask(c, 'VER', eol);
    await s.ask(c, 'NETVER', eol);
    for (const v of ['ups.mfr', 'ups.model', 'ups.serial', 'ups.firmware', 'battery.capacity', 'output.frequency.nominal']) {
      await s.ask(c, `GET VAR ups ${v}`, eol);
    }
    for (let poll = 0; poll < 2; poll++) {
      for (const v of [
        'battery.charge',
        'battery.voltage',
        'battery.runtime',
        'input.frequency',
        'output.frequency',
        'input.voltage',
        'output.voltage',
        'ups.load',
        'ups.status',
        'ups.realpower.nominal',
        'ups.power.nominal',
        'ups.current.nominal',
      ]) {
        await s.ask(c, `GET VAR ups ${v}`, eol);
      }
    }
    s.log.push(`idle socket still open: ${!idle.closed}`);
  },
  'Netdata go.d: credentials, LIST UPS, LIST VAR each, LOGOUT': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'USERNAME reader');
    await s.ask(c, 'PASSWORD readonly');
    for (const u of words(await s.ask(c, 'LIST UPS'), 'UPS')) await s.ask(c, `LIST VAR ${u}`);
    await s.ask(c, 'LOGOUT');
  },
  'upsmon primary (2.8): STARTTLS probe, LOGIN, PRIMARY, polls, FSD, NUMLOGINS': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'STARTTLS');
    await s.ask(c, 'USERNAME upsmaster');
    await s.ask(c, 'PASSWORD mpw');
    await s.ask(c, 'LOGIN myups');
    await s.ask(c, 'PRIMARY myups');
    for (let i = 0; i < 2; i++) {
      await s.ask(c, 'GET VAR myups ups.status');
      await s.ask(c, 'GET VAR myups ups.alarm');
      await s.ask(c, 'GET VAR myups ups.mode.buzzwords');
    }
    await s.ask(c, 'GET NUMLOGINS myups');
    await s.ask(c, 'LOGOUT');
  },
  'upsmon secondary with old servers fallback: MASTER after PRIMARY': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'STARTTLS');
    await s.ask(c, 'USERNAME upsslave');
    await s.ask(c, 'PASSWORD spw');
    await s.ask(c, 'PRIMARY ups');
    await s.ask(c, 'MASTER ups');
    await s.ask(c, 'LOGIN ups');
    await s.ask(c, 'GET VAR ups ups.status');
    await s.ask(c, 'LOGOUT');
  },
  'Synology DSM as client: monuser/secret, UPS "ups", STARTTLS probe': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'STARTTLS');
    await s.ask(c, 'USERNAME monuser');
    await s.ask(c, 'PASSWORD secret');
    await s.ask(c, 'LOGIN ups');
    for (let i = 0; i < 3; i++) await s.ask(c, 'GET VAR ups ups.status');
    await s.ask(c, 'LIST VAR ups');
    await s.ask(c, 'LOGOUT');
  },
  'QNAP: new connection per poll, GET VAR + LOGOUT, periodic LIST VAR': async (s) => {
    for (const v of ['ups.status', 'ups.test.result', 'battery.charge', 'battery.runtime']) {
      const c = await s.connect();
      await s.ask(c, `GET VAR qnapups ${v}`);
      await s.ask(c, 'LOGOUT');
      s.log.push(`closed: ${await s.closed(c)}`);
    }
    const c = await s.connect();
    await s.ask(c, 'LIST VAR qnapups');
  },
  'nut_webgui: LIST UPS, NETVER, VER, per device VAR/CMD/CLIENT/RW, ENUM/RANGE for RW, DESC/CMDDESC': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'LIST UPS');
    await s.ask(c, 'NETVER');
    await s.ask(c, 'VER');
    for (const u of ['ups', 'qnapups', 'myups']) {
      const vars = words(await s.ask(c, `LIST VAR ${u}`), 'VAR');
      const cmds = words(await s.ask(c, `LIST CMD ${u}`), 'CMD');
      await s.ask(c, `LIST CLIENT ${u}`);
      for (const v of words(await s.ask(c, `LIST RW ${u}`), 'RW')) {
        await s.ask(c, `LIST ENUM ${u} ${v}`);
        await s.ask(c, `LIST RANGE ${u} ${v}`);
      }
      for (const v of vars) await s.ask(c, `GET DESC ${u} ${v}`);
      for (const x of cmds) await s.ask(c, `GET CMDDESC ${u} ${x}`);
      await s.ask(c, `GET VAR ${u} ups.status`);
    }
  },
  'webNUT (nut2): credentials, LIST UPS, LIST VAR, UPSDESC, CMD + CMDDESC': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'USERNAME reader');
    await s.ask(c, 'PASSWORD readonly');
    await s.ask(c, 'LIST UPS');
    await s.ask(c, 'LIST VAR myups');
    await s.ask(c, 'GET UPSDESC myups');
    for (const x of words(await s.ask(c, 'LIST CMD myups'), 'CMD')) await s.ask(c, `GET CMDDESC myups ${x}`);
  },
  'PyNUT-style: PROTVER, quoted PASSWORD retry, tracking, LIST CLIENT without a UPS': async (s) => {
    const c = await s.connect();
    await s.ask(c, 'PROTVER');
    await s.ask(c, 'USERNAME admin');
    await s.ask(c, 'PASSWORD "secret"');
    await s.ask(c, 'PASSWORD secret');
    await s.ask(c, 'SET TRACKING ON');
    await s.ask(c, 'GET TRACKING');
    await s.ask(c, 'INSTCMD ups load.off');
    await s.ask(c, 'LIST CLIENT');
    await s.ask(c, 'LIST CLIENTS ups');
  },
  'lower-case verbs, repeated blanks, bare CR': async (s) => {
    const c = await s.connect();
    await s.raw(c, 'list   ups\r\n', 1);
    await s.raw(c, 'get var  ups\tups.status\r\r\n', 1);
    await s.raw(c, '\n', 1);
    await s.raw(c, '   \r\n', 1);
    await s.raw(c, 'NETVER \\\n\n', 1);
  },
};

describe('client transcripts against NUT 2.8.0 upsd', () => {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    it(name, async () => {
      const { nut, ours } = await both(script);
      expect(nut.length).toBeGreaterThan(0);
      expect(ours).toEqual(nut);
    });
  }
});
