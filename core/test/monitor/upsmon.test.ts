/**
 * The upsmon state machine on virtual time against a scripted upsd. Expected behaviour is
 * NUT 2.8.0's as written down in reference/clients.md §5 (and observed with NUT's upsmon).
 */
import { describe, expect, it } from 'vitest';
import { parseUpsmonConf } from '../../src/config/upsmon-conf.js';
import { VirtualClock } from '../../src/monitor/clock.js';
import { Upsmon, type Notification, type MonitorExit } from '../../src/monitor/upsmon.js';
import { FakeUpsd, type Step } from './fake-upsd.js';

interface Run {
  exit: MonitorExit;
  notes: Array<{ t: number; type: string; upsname: string; message: string }>;
  logs: string[];
  shutdownAt?: number;
  server: FakeUpsd;
}

async function run(conf: string, timelines: Record<string, Step[]>, opts: { until?: number; before?: (m: Upsmon, s: FakeUpsd) => void; onSleep?: (m: Upsmon, elapsed: number) => void } = {}): Promise<Run> {
  const clock = new VirtualClock();
  const server = new FakeUpsd(clock, timelines);
  const { config, problems } = parseUpsmonConf(conf, 'upsmon.conf');
  expect(problems.filter((p) => p.severity !== 'warning')).toEqual([]);
  const notes: Run['notes'] = [];
  const logs: string[] = [];
  let shutdownAt: number | undefined;
  const monitor = new Upsmon({
    config,
    clock,
    link: server.factory,
    hooks: {
      log: (level, m) => level !== 'debug' && logs.push(m),
      notify: (n: Notification) => notes.push({ t: server.elapsed(), type: n.type, upsname: n.upsname, message: n.message }),
      wall: () => undefined,
      shutdown: async () => {
        shutdownAt = server.elapsed();
      },
    },
  });
  opts.before?.(monitor, server);
  const until = opts.until ?? 600;
  // stop the run once virtual time passes `until`
  const origSleep = clock.sleep.bind(clock);
  clock.sleep = async (ms, signal) => {
    await origSleep(ms, signal);
    opts.onSleep?.(monitor, server.elapsed());
    if (server.elapsed() > until) monitor.requestStop('15');
  };
  const exit = await monitor.run();
  return { exit, notes, logs, shutdownAt, server };
}

const base = (mode: string, extra = '') => `MONITOR ups@localhost 1 mon pw ${mode}
POLLFREQ 5
POLLFREQALERT 1
HOSTSYNC 5
DEADTIME 15
FINALDELAY 2
${extra}`;

describe('upsmon state machine (NUT 2.8.0 rules)', () => {
  it('primary: OL → OB → OB LB gives ONBATT, LOWBATT, FSD on the UPS, SHUTDOWN, then the shutdown after FINALDELAY', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL' }, { at: 20, status: 'OB DISCHRG' }, { at: 40, status: 'OB LB DISCHRG' }] });
    expect(r.exit.reason).toBe('shutdown');
    expect(r.notes.map((n) => n.type)).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
    expect(r.notes[0]).toMatchObject({ upsname: 'ups@localhost', message: 'UPS ups@localhost on battery' });
    expect(r.notes[2]).toMatchObject({ upsname: '', message: 'Auto logout and shutdown proceeding' });
    const lines = r.server.requests.map((q) => q.line);
    expect(lines.slice(0, 5)).toEqual(['USERNAME mon', 'PASSWORD pw', 'LOGIN ups', 'PRIMARY ups', 'GET VAR ups ups.status']);
    expect(lines).toContain('FSD ups');
    expect(lines).toContain('GET NUMLOGINS ups');
    const fsdAt = r.server.requests.find((q) => q.line === 'FSD ups')!.t;
    const lbSeen = r.notes[1].t;
    expect(fsdAt).toBe(lbSeen);
    expect(r.shutdownAt! - r.notes[2].t).toBe(2);
  });

  it('polls every 5 s at start (whatever POLLFREQ says), POLLFREQ after OL, POLLFREQALERT after OB', async () => {
    const r = await run(base('primary').replace('POLLFREQ 5', 'POLLFREQ 7'), { ups: [{ at: 0, status: 'WAIT' }, { at: 11, status: 'OL' }, { at: 30, status: 'OB' }] }, { until: 40 });
    const polls = r.server.requests.filter((q) => q.line === 'GET VAR ups ups.status').map((q) => q.t);
    expect(polls.slice(0, 4)).toEqual([0, 5, 10, 15]);
    // OL seen at 15 → interval 7: 22, 29, 36 (OB seen at 36 → 1 s)
    expect(polls.slice(4, 7)).toEqual([22, 29, 36]);
    expect(polls[7] - polls[6]).toBe(1);
  });

  it('power returns before LB: ONBATT then ONLINE, no shutdown; the first OL is silent', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL' }, { at: 20, status: 'OB DISCHRG' }, { at: 30, status: 'OL CHRG' }] }, { until: 120 });
    expect(r.exit.reason).toBe('stopped');
    expect(r.notes.map((n) => n.type)).toEqual(['ONBATT', 'ONLINE']);
    expect(r.notes[1].message).toBe('UPS ups@localhost on line power');
    expect(r.shutdownAt).toBeUndefined();
  });

  it('secondary: OB LB without FSD is critical only after HOSTSYNC seconds', async () => {
    const r = await run(base('secondary'), { ups: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB' }, { at: 20, status: 'OB LB' }] });
    expect(r.exit.reason).toBe('shutdown');
    const lb = r.notes.find((n) => n.type === 'LOWBATT')!.t;
    const sd = r.notes.find((n) => n.type === 'SHUTDOWN')!.t;
    // critical when now - lastnoncrit > HOSTSYNC (5): lastnoncrit is the poll before LB
    expect(sd - lb).toBeGreaterThan(4);
    expect(sd - lb).toBeLessThanOrEqual(6);
    expect(r.logs).toContain('Giving up on the primary for UPS [ups@localhost]');
    expect(r.server.requests.map((q) => q.line)).not.toContain('FSD ups');
    expect(r.server.requests.map((q) => q.line)).not.toContain('PRIMARY ups');
  });

  it('secondary: FSD from the primary means shutdown at once (FSD notified before LOWBATT, in word order)', async () => {
    const r = await run(base('secondary'), { ups: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB' }, { at: 20, status: 'FSD OB LB' }] });
    expect(r.notes.map((n) => n.type)).toEqual(['ONBATT', 'FSD', 'LOWBATT', 'SHUTDOWN']);
    expect(r.notes[3].t).toBe(r.notes[1].t);
  });

  it('primary waits for secondaries through NUMLOGINS, HOSTSYNC seconds at most', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL', numlogins: 3 }, { at: 10, status: 'OB LB' }] });
    const fsd = r.server.requests.find((q) => q.line === 'FSD ups')!.t;
    const numlogins = r.server.requests.filter((q) => q.line === 'GET NUMLOGINS ups');
    expect(numlogins.length).toBeGreaterThan(10); // every 250 ms
    const sd = r.notes.find((n) => n.type === 'SHUTDOWN')!.t;
    expect(sd - fsd).toBeGreaterThan(5);
    expect(sd - fsd).toBeLessThanOrEqual(6.25);
    expect(r.logs).toContain('Host sync timer expired, forcing shutdown');
  });

  it('primary stops waiting as soon as NUMLOGINS drops to 1', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL', numlogins: 2 }, { at: 10, status: 'OB LB' }, { at: 12, numlogins: 1 }] });
    const sd = r.notes.find((n) => n.type === 'SHUTDOWN')!.t;
    expect(sd).toBe(12);
    expect(r.logs).not.toContain('Host sync timer expired, forcing shutdown');
  });

  it('upsd gone while on battery: COMMBAD, then critical after DEADTIME', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB' }, { at: 20, down: true }] });
    expect(r.notes.map((n) => n.type)).toEqual(['ONBATT', 'COMMBAD', 'SHUTDOWN']);
    const lastGood = r.server.requests.filter((q) => q.line === 'GET VAR ups ups.status' && q.t < 20).pop()!.t;
    const sd = r.notes[2].t;
    // promoted when now - lastpoll > DEADTIME (15)
    expect(sd - lastGood).toBeGreaterThan(15);
    expect(sd - lastGood).toBeLessThanOrEqual(17);
  });

  it('upsd gone while on line: COMMBAD, then NOCOMM every NOCOMMWARNTIME, never a shutdown', async () => {
    const r = await run(base('primary', 'NOCOMMWARNTIME 30'), { ups: [{ at: 0, status: 'OL' }, { at: 10, down: true }] }, { until: 200 });
    expect(r.exit.reason).toBe('stopped');
    const types = r.notes.map((n) => n.type);
    expect(types[0]).toBe('COMMBAD');
    expect(types.slice(1).every((t) => t === 'NOCOMM')).toBe(true);
    const nocomm = r.notes.filter((n) => n.type === 'NOCOMM').map((n) => n.t);
    expect(nocomm.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < nocomm.length; i++) expect(nocomm[i] - nocomm[i - 1]).toBeGreaterThan(30);
    expect(r.shutdownAt).toBeUndefined();
  });

  it('communications come back: COMMOK (the OL flag survives the dropped connection, so no ONLINE)', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL' }, { at: 10, down: true }, { at: 30, down: false }] }, { until: 60 });
    expect(r.notes.map((n) => n.type)).toEqual(['COMMBAD', 'COMMOK']);
  });

  it('redundant supplies: two UPSes of power value 2 with MINSUPPLIES 2 survive one critical UPS, not two', async () => {
    const conf = `MONITOR a@localhost 2 mon pw primary
MONITOR b@localhost 2 mon pw primary
MINSUPPLIES 2
POLLFREQ 5
POLLFREQALERT 1
HOSTSYNC 5
FINALDELAY 0
`;
    const one = await run(conf, { a: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB LB' }], b: [{ at: 0, status: 'OL' }] }, { until: 100 });
    expect(one.exit.reason).toBe('stopped');
    expect(one.notes.map((n) => n.type)).toEqual(['ONBATT', 'LOWBATT']);
    const both = await run(conf, { a: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB LB' }], b: [{ at: 0, status: 'OL' }, { at: 30, status: 'OB LB' }] });
    expect(both.exit.reason).toBe('shutdown');
    expect(both.server.requests.filter((q) => q.line.startsWith('FSD ')).map((q) => q.line)).toEqual(['FSD a', 'FSD b']);
    expect(both.notes.find((n) => n.type === 'SHUTDOWN')!.t).toBeGreaterThanOrEqual(30);
  });

  it('a UPS with power value 0 is monitored only', async () => {
    const conf = `MONITOR a@localhost 1 mon pw primary
MONITOR b@localhost 0 mon pw secondary
POLLFREQALERT 1
`;
    const r = await run(conf, { a: [{ at: 0, status: 'OL' }], b: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB LB' }] }, { until: 60 });
    expect(r.exit.reason).toBe('stopped');
  });

  it('OB LB while calibrating is not critical; CAL notified once (SYSLOG only by default)', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB LB CAL' }] }, { until: 60 });
    expect(r.exit.reason).toBe('stopped');
    expect(r.notes.map((n) => n.type)).toEqual(['ONBATT', 'LOWBATT', 'CAL']);
  });

  it('REPLBATT at most once per RBWARNTIME', async () => {
    const r = await run(base('primary', 'RBWARNTIME 60'), { ups: [{ at: 0, status: 'OL RB' }] }, { until: 200 });
    const t = r.notes.filter((n) => n.type === 'REPLBATT').map((n) => n.t);
    expect(t.length).toBe(4); // 0, 65, 130, 195 (strictly more than 60 s apart, 5 s polls)
    expect(r.notes[0].message).toBe('UPS ups@localhost battery needs to be replaced');
  });

  it('later notifications stay silent unless named in upsmon.conf', async () => {
    const timeline = { ups: [{ at: 0, status: 'OL' }, { at: 10, status: 'OL BYPASS ALARM TRIM' }, { at: 20, status: 'OL' }] };
    const silent = await run(base('primary'), timeline, { until: 40 });
    expect(silent.notes).toEqual([]);
    const loud = await run(base('primary', 'NOTIFYFLAG BYPASS SYSLOG\nNOTIFYFLAG NOTBYPASS SYSLOG\nNOTIFYMSG ALARM "%s alarm: %s"\nNOTIFYFLAG TRIM EXEC'), timeline, { until: 40 });
    expect(loud.notes.map((n) => `${n.type}:${n.message}`)).toEqual([
      'BYPASS:UPS ups@localhost: on bypass (powered, not protecting)',
      'ALARM:ups@localhost alarm: Replace battery!',
      'TRIM:UPS ups@localhost: trimming incoming voltage',
      'NOTBYPASS:UPS ups@localhost: no longer on bypass',
    ]);
  });

  it('NOTIFYMSG replaces the text; NOTIFYFLAG IGNORE is still delivered to the notifier as flags', async () => {
    const r = await run(base('primary', 'NOTIFYMSG ONBATT "power failure on %s!"'), { ups: [{ at: 0, status: 'OL' }, { at: 10, status: 'OB' }] }, { until: 30 });
    expect(r.notes[0].message).toBe('power failure on ups@localhost!');
  });

  it('an empty status counts as a failed poll; an unknown UPS logs NUT\'s text', async () => {
    const r = await run('MONITOR nope@localhost 1 mon pw primary\n', { ups: [{ at: 0, status: 'OL' }] }, { until: 12 });
    expect(r.logs).toContain('Login on UPS [nope@localhost] failed - got [ERR UNKNOWN-UPS]');
    expect(r.logs).toContain('Poll UPS [nope@localhost] failed - [nope] does not exist on server localhost');
    // as NUT 2.8.0 does: no poll in the round whose LOGIN failed, COMMBAD at the next, and
    // NOCOMM at once after (never polled, so "last poll" is long ago)
    expect(r.notes.map((n) => [n.type, n.t])).toEqual([
      ['COMMBAD', 5],
      ['NOCOMM', 10],
    ]);
  });

  it('upsmon -c fsd (requestFsd) forces the shutdown sequence from any state', async () => {
    const r = await run(base('primary'), { ups: [{ at: 0, status: 'OL' }] }, { onSleep: (m, t) => t >= 10 && t < 15 && m.requestFsd() });
    expect(r.exit.reason).toBe('shutdown');
    expect(r.server.requests.map((q) => q.line)).toContain('FSD ups');
  });

  it('reload: drops UPSes no longer listed and refuses a config below MINSUPPLIES', async () => {
    const clock = new VirtualClock();
    const server = new FakeUpsd(clock, { a: [{ at: 0, status: 'OL' }], b: [{ at: 0, status: 'OL' }] });
    let text = 'MONITOR a@localhost 1 mon pw primary\nMONITOR b@localhost 1 mon pw primary\n';
    const logs: string[] = [];
    const monitor = new Upsmon({
      config: parseUpsmonConf(text).config,
      clock,
      link: server.factory,
      hooks: {
        log: (_l, m) => logs.push(m),
        notify: () => undefined,
        wall: () => undefined,
        shutdown: async () => undefined,
        loadConfig: () => parseUpsmonConf(text),
      },
    });
    let step = 0;
    const orig = clock.sleep.bind(clock);
    clock.sleep = async (ms, s) => {
      await orig(ms, s);
      step++;
      if (step === 2) {
        text = 'MONITOR a@localhost 1 mon pw primary\n';
        monitor.requestReload();
      }
      if (step === 4) {
        text = 'MONITOR a@localhost 1 mon pw primary\nMINSUPPLIES 3\n';
        monitor.requestReload();
      }
    };
    const exit = await monitor.run();
    expect(logs).toContain('No longer monitoring UPS [b@localhost]');
    expect(exit).toEqual({ reason: 'fatal', message: 'Impossible power configuration, unable to continue' });
    const polledB = server.requests.filter((q) => q.line === 'GET VAR b ups.status').length;
    expect(polledB).toBe(2);
  });
});
