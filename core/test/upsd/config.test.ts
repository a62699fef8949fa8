/** upsd.conf, upsd.users, ups.conf as upsd reads them (reference/config-files.md §2-4). */
import { describe, expect, it } from 'vitest';
import { parseUpsConfForUpsd, parseUpsdConf, parseUpsdUsers } from '../../src/upsd/config.js';
import { UserTable } from '../../src/upsd/acl.js';
import { parseCmdvartab } from '../../src/upsd/descriptions.js';
import { TrackingTable } from '../../src/upsd/tracking.js';

describe('upsd.conf', () => {
  it('reads directives, defaults and LISTEN lines in order', () => {
    const c = parseUpsdConf({
      path: 'upsd.conf',
      text: 'LISTEN 0.0.0.0\nLISTEN ::1 3494\nMAXAGE 20\nTRACKINGDELAY 60\nMAXCONN 64\nSTATEPATH /s\nDATAPATH /d\nCERTFILE /c.pem\nALLOW_NO_DEVICE yes\ndebug_min 2\n',
    });
    expect(c.listen).toEqual([
      { host: '0.0.0.0', port: 3493 },
      { host: '::1', port: 3494 },
    ]);
    expect(c).toMatchObject({ maxAge: 20, trackingDelay: 60, maxConn: 64, statePath: '/s', dataPath: '/d', certFile: '/c.pem', allowNoDevice: true });
    expect(c.warnings).toEqual([]);
    const d = parseUpsdConf({ path: 'x', text: '' });
    expect(d).toMatchObject({ listen: [], maxAge: 15, trackingDelay: 3600, allowNoDevice: false, maxConn: undefined });
  });
  it('LISTEN with a service name listens on its port (NUT uses getaddrinfo); an unknown name is skipped with a warning', () => {
    const services = 'nut\t\t3493/tcp\t\t\t# Network UPS Tools\nnut\t\t3493/udp\n';
    const c = parseUpsdConf({ path: 'upsd.conf', text: 'LISTEN 127.0.0.1 nut\nLISTEN ::1 nosuchservice\n' }, services);
    expect(c.listen).toEqual([{ host: '127.0.0.1', port: 3493 }]);
    expect(c.warnings).toEqual(['upsd.conf:2: LISTEN ::1 nosuchservice: invalid port, not listening there']);
  });
  it('LISTEN with a port above 65535 listens on its low 16 bits, as NUT 2.8.0 does (68029 -> 2493)', () => {
    const c = parseUpsdConf({ path: 'upsd.conf', text: 'LISTEN 127.0.0.1 68029\nLISTEN 127.0.0.1 65536\n' });
    expect(c.listen).toEqual([{ host: '127.0.0.1', port: 2493 }]);
    expect(c.warnings).toEqual([
      'upsd.conf:1: LISTEN 127.0.0.1 68029: port above 65535, listening on 2493 as NUT does',
      'upsd.conf:2: LISTEN 127.0.0.1 65536: invalid port, not listening there',
    ]);
  });
  it('warns about invalid directives with file and line, keeps going', () => {
    const c = parseUpsdConf({ path: 'upsd.conf', text: 'maxage 5\nMAXAGE x5\nACL all 0.0.0.0/0\nFOO\nMAXAGE 7\n' });
    expect(c.maxAge).toBe(7);
    expect(c.warnings[0]).toMatch(/^upsd\.conf:1: .*maxage/);
    expect(c.warnings[1]).toMatch(/^upsd\.conf:2: .*MAXAGE has non numeric value \(x5\)/);
    expect(c.warnings[2]).toMatch(/^upsd\.conf:3: .*no longer supported - switch to LISTEN/);
    expect(c.warnings[3]).toMatch(/^upsd\.conf:4: .*FOO/);
  });
});

describe('upsd.users', () => {
  const { users, warnings } = parseUpsdUsers({
    path: 'upsd.users',
    text: [
      'ignored = before sections',
      '[admin]',
      '  PASSWORD = secret',
      '  password = second',
      '  actions = set',
      '  actions = FSD',
      '  instcmds = ALL',
      '[mon]',
      '  password = "p w"',
      '  upsmon master',
      '[sec]',
      '  password = s',
      '  upsmon = slave',
      '[admin]',
      '  allowfrom = localhost',
      '  bogus = 1',
      '[limited]',
      '  password = l',
      '  instcmds = test.battery.start Test.Battery.Stop',
      '  upsmon = sideways',
    ].join('\n'),
  });
  const t = new UserTable(users);
  it('keys are case-insensitive, first password wins, duplicate user ignored', () => {
    expect(users.get('admin')?.password).toBe('secret');
    expect([...users.get('admin')!.actions]).toEqual(['set', 'fsd']);
    expect(warnings.some((w) => /^upsd\.users:14: .*duplicate user \[admin\]/.test(w))).toBe(true);
    expect(warnings.some((w) => /^upsd\.users:20: .*sideways/.test(w))).toBe(true);
    expect(warnings.some((w) => /^upsd\.users:16: .*bogus/.test(w))).toBe(true);
  });
  it('ACL: actions, upsmon roles, instcmds', () => {
    expect(t.checkAction('admin', 'secret', 'SET')).toBe(true);
    expect(t.checkAction('admin', 'second', 'SET')).toBe(false);
    expect(t.checkAction('Admin', 'secret', 'SET')).toBe(false);
    expect(t.checkAction('admin', 'secret', 'LOGIN')).toBe(false);
    expect(t.checkInstcmd('admin', 'secret', 'anything.at.all')).toBe(true);
    expect(t.checkAction('mon', 'p w', 'login')).toBe(true);
    expect(t.checkAction('mon', 'p w', 'MASTER')).toBe(true);
    expect(t.checkAction('mon', 'p w', 'FSD')).toBe(true);
    expect(t.checkAction('sec', 's', 'LOGIN')).toBe(true);
    expect(t.checkAction('sec', 's', 'MASTER')).toBe(false);
    expect(t.checkInstcmd('limited', 'l', 'TEST.BATTERY.START')).toBe(true);
    expect(t.checkInstcmd('limited', 'l', 'test.battery.stop')).toBe(true);
    expect(t.checkInstcmd('limited', 'l', 'load.off')).toBe(false);
    expect(t.checkAction(undefined, undefined, 'LOGIN')).toBe(false);
  });
});

describe('ups.conf for upsd', () => {
  it('keeps complete sections in order, warns about incomplete and duplicate ones', () => {
    const r = parseUpsConfForUpsd({
      path: 'ups.conf',
      text: 'maxretry = 3\n[a]\n driver = dummy-ups\n port = a.dev\n desc = "Room 1"\n[b]\n driver = x\n[A]\n driver = d\n port = p\n[c]\n port = q\n driver = dummy-ups\n desc = Two words\n',
    });
    expect(r.sections.map((s) => [s.name, s.driver, s.port, s.desc])).toEqual([
      ['a', 'dummy-ups', 'a.dev', 'Room 1'],
      ['c', 'dummy-ups', 'q', 'Two'],
    ]);
    expect(r.warnings).toContain('ups.conf:6: Warning: ignoring incomplete configuration for UPS [b]');
    expect(r.warnings).toContain('ups.conf:8: UPS name [A] is already in use!');
  });
});

describe('cmdvartab and tracking table', () => {
  it('parses VARDESC/CMDDESC, names case-insensitive', () => {
    const d = parseCmdvartab('# c\nVARDESC ups.status "UPS status"\nCMDDESC load.off "Turn off the load immediately"\n');
    expect(d.describeVar('UPS.STATUS')).toBe('UPS status');
    expect(d.describeCmd('load.off')).toBe('Turn off the load immediately');
    expect(d.describeVar('nope')).toBeUndefined();
  });
  it('purges entries older than TRACKINGDELAY and stays bounded', () => {
    const t = new TrackingTable(10, 3);
    const a = t.create(1000);
    t.create(5000);
    t.purge(12_000);
    expect(t.describe(a)).toBe('ERR UNKNOWN');
    expect(t.size).toBe(1);
    for (let i = 0; i < 10; i++) t.create(6000 + i);
    expect(t.size).toBe(3);
  });
});
