import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/problems.js';
import { parseUpsdConf } from '../../src/config/upsd-conf.js';
import { parseUpsdUsers } from '../../src/config/upsd-users.js';
import { tcpServicePort } from '../../src/config/tcp-service.js';
import { validateUpsdConf, validateUpsdUsers } from '../../src/config/validate-files.js';

const upsd = (text: string) => {
  const conf = parseUpsdConf(text);
  return { conf, problems: [...conf.problems, ...validateUpsdConf(conf)] };
};
const users = (text: string) => {
  const u = parseUpsdUsers(text);
  return { users: u.users, problems: [...u.problems, ...validateUpsdUsers(u)] };
};

describe('upsd.conf', () => {
  it('reads every directive with its line', () => {
    const { conf, problems } = upsd(
      [
        'LISTEN 127.0.0.1 3493',
        'LISTEN ::1',
        'MAXAGE 20',
        'TRACKINGDELAY 600',
        'ALLOW_NO_DEVICE yes',
        'MAXCONN 1024',
        'STATEPATH /run/nut',
        'DATAPATH /usr/share/nut',
        'CERTFILE /etc/nut/upsd.pem',
        'CERTPATH /etc/nut/cert',
        'CERTIDENT "my nut server" "pass word"',
        'CERTREQUEST 2',
        'DISABLE_WEAK_SSL true',
        'debug_min 3',
      ].join('\n') + '\n',
    );
    expect(problems).toEqual([]);
    expect(conf.listen).toEqual([
      { address: '127.0.0.1', port: '3493', line: 1 },
      { address: '::1', port: '3493', line: 2 },
    ]);
    expect(conf.maxAge).toEqual({ value: 20, line: 3 });
    expect(conf.trackingDelay).toEqual({ value: 600, line: 4 });
    expect(conf.allowNoDevice).toEqual({ value: true, line: 5 });
    expect(conf.maxConn).toEqual({ value: 1024, line: 6 });
    expect(conf.statePath?.value).toBe('/run/nut');
    expect(conf.dataPath?.value).toBe('/usr/share/nut');
    expect(conf.certFile?.value).toBe('/etc/nut/upsd.pem');
    expect(conf.certPath?.value).toBe('/etc/nut/cert');
    expect(conf.certIdent).toEqual({ value: { name: 'my nut server', password: 'pass word' }, line: 11 });
    expect(conf.certRequest?.value).toBe(2);
    expect(conf.disableWeakSsl?.value).toBe(true);
    expect(conf.debugMin).toEqual({ value: 3, line: 14 });
  });

  it('is case-sensitive except DEBUG_MIN, and suggests the directive (verified: lower-case maxage is invalid)', () => {
    const { conf, problems } = upsd('maxage 5\n');
    expect(conf.maxAge).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', line: 1, key: 'maxage', suggestion: 'MAXAGE' });
  });

  it('requires a digit first for numbers, reads the rest like atoi', () => {
    const { conf, problems } = upsd('MAXAGE abc\nTRACKINGDELAY 10s\nMAXCONN -1\n');
    expect(conf.maxAge).toBeUndefined();
    expect(conf.trackingDelay?.value).toBe(10);
    expect(conf.maxConn).toBeUndefined();
    expect(problems.map((p) => [p.line, p.severity])).toEqual([
      [1, 'warning'],
      [2, 'warning'],
      [3, 'warning'],
    ]);
    expect(problems[0].message).toContain('MAXAGE has non numeric value (abc)');
  });

  it('refuses MAXCONN 0 (upsd will not start)', () => {
    const { problems } = upsd('MAXCONN 0\n');
    expect(problems.map((p) => [p.key, p.severity, p.line])).toEqual([['MAXCONN', 'error', 1]]);
  });

  it('reads booleans: digits for ALLOW_NO_DEVICE, words in any case', () => {
    expect(upsd('ALLOW_NO_DEVICE 0\n').conf.allowNoDevice?.value).toBe(false);
    expect(upsd('ALLOW_NO_DEVICE 7\n').conf.allowNoDevice?.value).toBe(true);
    expect(upsd('ALLOW_NO_DEVICE On\n').conf.allowNoDevice?.value).toBe(true);
    expect(upsd('DISABLE_WEAK_SSL NO\n').conf.disableWeakSsl?.value).toBe(false);
    const { conf, problems } = upsd('DISABLE_WEAK_SSL 1x\n');
    expect(conf.disableWeakSsl).toBeUndefined();
    expect(problems[0].severity).toBe('warning');
  });

  it('warns about too few arguments, obsolete ACL lines and extra-large ports', () => {
    const { problems } = upsd('LISTEN\nACL all 0.0.0.0/0\nACCEPT all\nLISTEN 0.0.0.0 83493\n');
    expect(problems.map((p) => [p.line, p.severity])).toEqual([
      [1, 'warning'],
      [2, 'warning'],
      [3, 'warning'],
      [4, 'warning'],
    ]);
    expect(problems[3].message).toContain('17957');
  });

  it('accepts a service name as LISTEN port (NUT passes it to getaddrinfo), warns about an unknown one', () => {
    // NUT 2.8.0's upsd with "LISTEN 127.0.0.1 nut" listens on 127.0.0.1:3493 (nut = 3493/tcp in /etc/services).
    const { problems } = upsd('LISTEN 127.0.0.1 nut\nLISTEN 127.0.0.1 notaport\n');
    expect(problems.map((p) => [p.line, p.severity, p.key])).toEqual([[2, 'warning', 'LISTEN']]);
    expect(problems[0].message).toContain("'notaport'");
    expect(tcpServicePort('nut')).toBe(3493);
    const services = '# comment\nnut\t\t3493/tcp\t\t\t# Network UPS Tools\nnut\t\t3493/udp\nfoo 7000/udp\nbar 7001/tcp baz qux\n';
    expect(tcpServicePort('3494', services)).toBe(3494);
    expect(tcpServicePort('nut', services)).toBe(3493);
    expect(tcpServicePort('qux', services)).toBe(7001);
    expect(tcpServicePort('foo', services)).toBeUndefined();
    expect(tcpServicePort('Network', services)).toBeUndefined();
  });

  it('warns about a repeated listener and an unusual CERTREQUEST', () => {
    const { problems } = upsd('LISTEN 127.0.0.1 3493\nLISTEN 127.0.0.1\nCERTREQUEST 5\n');
    expect(problems.map((p) => [p.line, p.severity, p.key])).toEqual([
      [2, 'warning', 'LISTEN'],
      [3, 'warning', 'CERTREQUEST'],
    ]);
  });

  it('ignores DEBUG_MIN that is not a non-negative integer', () => {
    const { conf, problems } = upsd('DEBUG_MIN -1\nDEBUG_MIN x\n');
    expect(conf.debugMin).toBeUndefined();
    expect(problems).toHaveLength(2);
  });
});

describe('upsd.users', () => {
  it('reads users with every key and its line; keys are case-insensitive', () => {
    const { users: list, problems } = users(
      '[admin]\n  PASSWORD = mypass\n  Actions = SET FSD\n  instcmds = ALL\n[mon]\n  password = pass\n  upsmon primary\n[sec]\n  password = p\n  upsmon = slave\n',
    );
    expect(problems).toEqual([]);
    expect(list.map((u) => u.name)).toEqual(['admin', 'mon', 'sec']);
    const [admin, mon, sec] = list;
    expect(admin.password).toEqual({ value: 'mypass', line: 2 });
    expect(admin.actions).toEqual([
      { value: 'SET', line: 3 },
      { value: 'FSD', line: 3 },
    ]);
    expect(admin.instcmds).toEqual([{ value: 'ALL', line: 4 }]);
    expect(mon.upsmon).toEqual({ value: 'primary', line: 7 });
    expect(mon.actions.map((a) => a.value)).toEqual(['login', 'master', 'fsd']);
    expect(sec.upsmon?.value).toBe('secondary');
    expect(sec.actions.map((a) => a.value)).toEqual(['login']);
  });

  it('maps master → primary and slave → secondary, warns about other types', () => {
    const { users: list, problems } = users('[a]\npassword = x\nupsmon master\n[b]\npassword = y\nupsmon primry\n');
    expect(list[0].upsmon?.value).toBe('primary');
    expect(list[1].upsmon).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 6, section: 'b', suggestion: 'primary' });
  });

  it('keeps the first password and drops duplicate instcmds (case-insensitive)', () => {
    const { users: list, problems } = users('[a]\npassword = one\npassword = two\ninstcmds = test.battery.start\ninstcmds = TEST.BATTERY.START load.off\n');
    expect(list[0].password?.value).toBe('one');
    expect(list[0].instcmds.map((c) => c.value)).toEqual(['test.battery.start', 'load.off']);
    expect(problems.map((p) => p.line)).toEqual([3]);
  });

  it('ignores a duplicate user; its keys go to the user read before it', () => {
    const { users: list, problems } = users('[a]\npassword = pa\n[b]\npassword = pb\n[a]\nactions = SET\n');
    expect(list.map((u) => u.name)).toEqual(['a', 'b']);
    expect(list[1].actions.map((a) => a.value)).toEqual(['SET']);
    expect(list[0].actions).toEqual([]);
    expect(problems[0]).toMatchObject({ line: 5, severity: 'warning' });
  });

  it('user names are case-sensitive', () => {
    expect(users('[Admin]\npassword = a\n[admin]\npassword = b\n').users).toHaveLength(2);
  });

  it('warns about unknown keys with a suggestion, allowfrom, old user lines and keys outside a user', () => {
    const { problems } = users('password = lost\nuser x y\n[a]\npasword = x\nallowfrom = localhost\npassword = ok\n');
    expect(problems.map((p) => formatProblem(p))).toEqual([
      "upsd.users:1: warning: 'password' outside a [user] section is ignored",
      "upsd.users:2: warning: old-format 'user' line ignored; use a [username] section",
      "upsd.users:4: warning: [a] unrecognized user setting 'pasword', upsd ignores it; did you mean 'password'?",
      "upsd.users:5: warning: [a] 'allowfrom' is no longer used (upsd.conf LISTEN and a firewall restrict clients)",
    ]);
  });

  it('accepts the compressed form key=value written as one word', () => {
    const { users: list } = users('[a]\n"password=secret"\n"instcmds=load.off" load.on\n');
    expect(list[0].password?.value).toBe('secret');
    expect(list[0].instcmds.map((c) => c.value)).toEqual(['load.off', 'load.on']);
  });

  it('warns about users without a password and about unknown actions', () => {
    const { problems } = users('[nopass]\nactions = SETT\n');
    expect(problems.map((p) => [p.line, p.key, p.suggestion])).toEqual([
      [2, 'actions', 'SET'],
      [1, 'password', undefined],
    ]);
  });
});
