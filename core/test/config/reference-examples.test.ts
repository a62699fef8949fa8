/**
 * The examples written in reference/config-files.md, section by section, through our readers.
 * (Grammar examples of §1 are in parseconf.test.ts; acceptance rules judged by NUT itself are in
 * test/compat/config-parseconf-oracle.test.ts and config-ups-conf-oracle.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { parseNutConf } from '../../src/config/nut-conf.js';
import { tokenizeConfig } from '../../src/config/parseconf.js';
import { parseUpsConf } from '../../src/config/ups-conf.js';
import { parseUpsdConf } from '../../src/config/upsd-conf.js';
import { parseUpsdUsers } from '../../src/config/upsd-users.js';
import { validateNutConf, validateUpsdConf, validateUpsdUsers } from '../../src/config/validate-files.js';
import { validateUpsConf } from '../../src/config/validate-ups-conf.js';
import type { OptionsSchema } from '../../src/plugins/manifest.js';

const USBHID: OptionsSchema = {
  type: 'object',
  properties: {
    lbrb_log_delay_sec: { type: 'integer', description: 'seconds', minimum: 0 },
    lbrb_log_delay_without_calibrating: { type: 'boolean', description: 'flag' },
  },
};
const DUMMY: OptionsSchema = { type: 'object', properties: { mode: { type: 'string', description: '' } } };
const lookupDriver = (d: string) => (d === 'usbhid-ups' ? USBHID : d === 'dummy-ups' ? DUMMY : ('unknown-driver' as const));
const ups = (text: string) => {
  const conf = parseUpsConf(text);
  return { conf, problems: [...conf.problems, ...validateUpsConf(conf, { lookupDriver, cDriverPath: false })] };
};
const errorsOf = <P extends { severity: string }>(problems: P[]) => problems.filter((p) => p.severity === 'error');

describe('config-files.md §1 (parseconf)', () => {
  it.each([
    ['a#b', [['a']]],
    ['ab"c', [['ab"c']]],
    ['port=/dev/x', [['port', '=', '/dev/x']]],
    ['a==b', [['a', '=', '=', 'b']]],
    ['desc = "multi\\\nline"', [['desc', '=', 'multiline']]],
    ['x = ""', [['x', '=', '']]],
    ['"Rack \\#3"', [['Rack #3']]],
  ])('%j', (text, expected) => {
    expect(tokenizeConfig(text + '\n').lines.map((l) => l.words)).toEqual(expected);
  });
});

describe('config-files.md §2 (ups.conf)', () => {
  it('[my ups] is two words and not a header; "[my ups]" is', () => {
    expect(ups('[a]\ndriver = dummy-ups\nport = p\n[my ups]\n').conf.sections.map((s) => s.name)).toEqual(['a']);
    expect(parseUpsConf('"[my ups]"\n').sections.map((s) => s.name)).toEqual(['my ups']);
  });

  it('desc = Test UPS gives desc Test (verified); quoting keeps it all', () => {
    expect(ups('[a]\ndesc = Test UPS\n').conf.sections[0].desc).toBe('Test');
    expect(ups('[a]\ndesc = "Test UPS"\n').conf.sections[0].desc).toBe('Test UPS');
  });

  it('foo = (2 words) is ignored; foo = "" is an empty value', () => {
    expect(parseUpsConf('[a]\nfoo =\n').sections[0].values.has('foo')).toBe(false);
    expect(parseUpsConf('[a]\nfoo = ""\n').sections[0].values.get('foo')).toBe('');
  });

  it('the global keys of the table are accepted', () => {
    const text =
      'chroot = /var/empty\ndriverpath = /lib/nut\nmaxstartdelay = 45\nmaxretry = 1\nretrydelay = 5\nnowait\npollinterval = 2\nuser = nut\ngroup = nut\nsynchronous = auto\ndebug_min = 0\n[a]\ndriver = dummy-ups\nport = p\n';
    expect(ups(text).problems).toEqual([]);
  });

  it('the section keys of the table are accepted (sddelay: obsolete, a warning)', () => {
    const text =
      '[a]\ndriver = dummy-ups\nport = p\ndesc = "d"\nsdorder = -1\npollinterval = 5\nuser = nut\ngroup = nut\nsynchronous = yes\ndebug_min = 2\nnolock\nignorelb\noverride.battery.charge = 50\ndefault.input.voltage.nominal = 230\nsddelay = 20\n';
    const { problems } = ups(text);
    expect(problems.map((p) => [p.key, p.severity])).toEqual([['sddelay', 'warning']]);
  });

  it('pollinterval ≤ 0 is refused ("invalid pollinterval")', () => {
    expect(errorsOf(ups('pollinterval = 0\n[a]\ndriver = dummy-ups\nport = p\n').problems)).toHaveLength(1);
    expect(errorsOf(ups('[a]\ndriver = dummy-ups\nport = p\npollinterval = -2\n').problems)).toHaveLength(1);
  });

  it('synchronous: yes, auto, anything else means no (a warning)', () => {
    expect(ups('[a]\ndriver = dummy-ups\nport = p\nsynchronous = no\n').problems).toEqual([]);
    expect(ups('[a]\ndriver = dummy-ups\nport = p\nsynchronous = sometimes\n').problems.map((p) => p.severity)).toEqual(['warning']);
  });

  it('debug_min: non-integer or negative is a warning', () => {
    expect(ups('debug_min = x\n[a]\ndriver = dummy-ups\nport = p\ndebug_min = -1\n').problems.map((p) => p.severity)).toEqual(['warning', 'warning']);
  });

  it('a driver-specific option must be declared by the driver (else "not a valid variable name")', () => {
    expect(errorsOf(ups('[a]\ndriver = dummy-ups\nport = p\ncable = 940-0095B\n').problems)).toHaveLength(1);
  });

  it('lbrb_log_delay_sec is a usbhid-ups option, not a core directive', () => {
    expect(ups('[a]\ndriver = usbhid-ups\nport = auto\nlbrb_log_delay_sec = 3\nlbrb_log_delay_without_calibrating\n').problems).toEqual([]);
    expect(errorsOf(ups('[a]\ndriver = dummy-ups\nport = p\nlbrb_log_delay_sec = 3\n').problems)).toHaveLength(1);
  });

  it("upsd's view: a section missing driver or port is refused; no sections at all needs ALLOW_NO_DEVICE", () => {
    expect(errorsOf(ups('[a]\nport = p\n').problems).map((p) => p.key)).toEqual(['driver']);
    expect(errorsOf(ups('[a]\ndriver = dummy-ups\n').problems).map((p) => p.key)).toEqual(['port']);
    expect(errorsOf(ups('maxretry = 3\n').problems)).toHaveLength(1);
  });

  it('a later duplicate key overrides', () => {
    expect(ups('[a]\ndriver = dummy-ups\nport = p1\nport = p2\n').conf.sections[0].port).toBe('p2');
  });

  it('duplicate names differing only by case: a warning (upsd: "already in use")', () => {
    const { problems } = ups('[a]\ndriver = dummy-ups\nport = p\n[A]\ndriver = dummy-ups\nport = p\n');
    expect(problems.map((p) => p.severity)).toEqual(['warning']);
  });
});

describe('config-files.md §3 (upsd.conf)', () => {
  const upsd = (text: string) => {
    const conf = parseUpsdConf(text);
    return { conf, problems: [...conf.problems, ...validateUpsdConf(conf)] };
  };

  it('every directive of the table is accepted', () => {
    const text =
      'LISTEN 0.0.0.0 3493\nLISTEN ::\nMAXAGE 15\nTRACKINGDELAY 3600\nALLOW_NO_DEVICE true\nMAXCONN 100\nSTATEPATH /run/nut\nDATAPATH /usr/share/nut\nCERTFILE /etc/nut/c.pem\nCERTPATH /etc/nut/db\nCERTIDENT name pw\nCERTREQUEST 0\nDISABLE_WEAK_SSL off\nDEBUG_MIN 0\n';
    expect(upsd(text).problems).toEqual([]);
  });

  it('extra words after the expected arguments are ignored', () => {
    const { conf, problems } = upsd('MAXAGE 5 extra words\nLISTEN 127.0.0.1 3493 more\n');
    expect(problems).toEqual([]);
    expect(conf.maxAge?.value).toBe(5);
  });

  it('DEBUG_MIN in any case; other directives case-sensitive (maxage 5 is invalid, verified)', () => {
    expect(upsd('debug_min 1\nDebug_Min 2\n').conf.debugMin?.value).toBe(2);
    expect(upsd('maxage 5\n').problems.map((p) => p.severity)).toEqual(['warning']);
  });

  it('ACCEPT, REJECT and ACL are obsolete: a warning, accepted', () => {
    const { problems } = upsd('ACCEPT all\nREJECT all\nACL all 0.0.0.0/0\n');
    expect(problems.map((p) => p.severity)).toEqual(['warning', 'warning', 'warning']);
  });

  it('ALLOW_NO_DEVICE: digits (non-zero true) or true/on/yes/1, false/off/no/0 in any case', () => {
    for (const [v, b] of [['true', true], ['ON', true], ['yes', true], ['1', true], ['10', true], ['false', false], ['Off', false], ['no', false], ['0', false]] as const) {
      expect(upsd(`ALLOW_NO_DEVICE ${v}\n`).conf.allowNoDevice?.value).toBe(b);
    }
    expect(upsd('ALLOW_NO_DEVICE maybe\n').conf.allowNoDevice).toBeUndefined();
  });
});

describe('config-files.md §4 (upsd.users)', () => {
  const users = (text: string) => {
    const u = parseUpsdUsers(text);
    return { users: u.users, problems: [...u.problems, ...validateUpsdUsers(u)] };
  };

  it('both upsmon primary and upsmon = primary work', () => {
    expect(users('[a]\npassword = p\nupsmon primary\n').users[0].upsmon?.value).toBe('primary');
    expect(users('[a]\npassword = p\nupsmon = primary\n').users[0].upsmon?.value).toBe('primary');
    expect(users('[a]\npassword = p\nupsmon = secondary\n').users[0].actions.map((a) => a.value)).toEqual(['login']);
  });

  it('key = v1 v2 … applies the key to every word', () => {
    const u = users('[a]\npassword = p\nactions = SET FSD\ninstcmds = test.battery.start test.battery.stop\n').users[0];
    expect(u.actions.map((a) => a.value)).toEqual(['SET', 'FSD']);
    expect(u.instcmds.map((c) => c.value)).toEqual(['test.battery.start', 'test.battery.stop']);
  });

  it('lines before the first section are ignored (with a warning)', () => {
    const { users: list, problems } = users('password = x\n[a]\npassword = y\n');
    expect(list[0].password?.value).toBe('y');
    expect(problems.map((p) => p.line)).toEqual([1]);
  });

  it('a user without a password can never authenticate: a warning', () => {
    expect(users('[a]\ninstcmds = ALL\n').problems.map((p) => [p.key, p.severity])).toEqual([['password', 'warning']]);
  });
});

describe('config-files.md §7 (nut.conf)', () => {
  it('MODE=none|standalone|netserver|netclient, UPSD_OPTIONS, UPSMON_OPTIONS, POWEROFF_WAIT', () => {
    const conf = parseNutConf('MODE=netserver\nUPSD_OPTIONS=""\nUPSMON_OPTIONS="-D"\nPOWEROFF_WAIT=15m\n');
    expect([...conf.problems, ...validateNutConf(conf)]).toEqual([]);
  });

  it('no spaces around = (an error: the shell would not set MODE)', () => {
    const conf = parseNutConf('MODE = standalone\n');
    expect(conf.problems.some((p) => p.severity === 'error')).toBe(true);
  });
});
