// The regex vectors were checked against glibc's regcomp/regexec with REG_EXTENDED |
// REG_ICASE, as NUT calls them (test/compat/usb-match-glibc.test.ts runs them there).
import { describe, expect, it } from 'vitest';
import type { UsbDeviceInfo } from '../../src/plugin-api/transports.js';
import { compileEre, compileMatch, ereToJs, lastPortNumber, RegexError, busportOf } from '../../src/transport/usb-match.js';

const whole = (ere: string, value: string) => compileEre(ere).test(value);

describe('POSIX ERE to JavaScript', () => {
  it('matches the whole value only, case-insensitively', () => {
    expect(whole('back-ups', 'Back-UPS')).toBe(true);
    expect(whole('Back', 'Back-UPS')).toBe(false);
    expect(whole('UPS', 'Back-UPS')).toBe(false);
    expect(whole('a|ab', 'ab')).toBe(true); // leftmost-longest: the longer branch covers the value
    expect(whole('051d', '051D')).toBe(true);
  });

  it('reads bracket expressions the POSIX way', () => {
    expect(whole('[]a]+', ']a]')).toBe(true); // ] first is a member
    expect(whole('[^]a]', 'b')).toBe(true);
    expect(whole('[^]a]', ']')).toBe(false);
    expect(whole('[\\n]', '\\')).toBe(true); // backslash is literal inside brackets
    expect(whole('[\\n]', 'n')).toBe(true);
    expect(whole('[\\n]', '\n')).toBe(false);
    expect(whole('[[:digit:]]{3}', '001')).toBe(true);
    expect(whole('[[:xdigit:]]{4}', '05Af')).toBe(true);
    expect(whole('[[:alpha:][:space:]]+', 'Back UPS')).toBe(true);
    expect(whole('[[:upper:]]+', 'abc')).toBe(true); // REG_ICASE folds the class too
    expect(whole('[a-c-]+', 'b-c')).toBe(true);
    expect(whole('[[.-.]x]+', '-x')).toBe(true);
    expect(() => compileEre('[[:nope:]]')).toThrow(RegexError);
  });

  it('takes a second quantifier as applying to the quantified atom, not as laziness', () => {
    expect(whole('a+?', '')).toBe(true); // (a+)? in an ERE
    expect(whole('a+?', 'aaa')).toBe(true);
    expect(whole('(ab)*+', 'abab')).toBe(true);
    expect(whole('a{2}?', '')).toBe(true);
  });

  it('has no JavaScript-only syntax', () => {
    expect(() => compileEre('(?:a)')).toThrow(/not an extended regular expression/);
    // no \d class in an ERE; glibc with REG_ICASE matches nothing for an escaped plain letter
    expect(whole('\\d', 'd')).toBe(false);
    expect(whole('\\d', '1')).toBe(false);
    expect(whole('\\w+', 'ab')).toBe(true);
    expect(whole('a.b', 'a\nb')).toBe(true); // . matches a newline without REG_NEWLINE
    expect(whole('\\.', '.')).toBe(true);
    expect(whole('\\.', 'x')).toBe(false);
    expect(whole('\\<ups\\>', 'ups')).toBe(true);
    expect(whole('(a)\\1', 'aa')).toBe(true);
    expect(ereToJs('a/b')).toBe('a\\/b');
  });

  it('names the option and pattern of an invalid regex', () => {
    expect(() => compileMatch({ product: '(' })).toThrow('invalid regular expression for product: "("');
    expect(() => compileMatch({ serial: '*' })).toThrow(RegexError);
  });
});

const apc: UsbDeviceInfo = {
  vendorId: 0x051d,
  productId: 0x0002,
  release: 0x0100,
  manufacturer: 'American Power Conversion',
  product: 'Back-UPS 500 FW: 6.5.I USB FW: c1 ',
  serial: 'AB0427******',
  bus: '001',
  device: '002',
  busport: '1-2.3',
};

describe('NUT matching options', () => {
  const m = (match: Parameters<typeof compileMatch>[0]) => compileMatch(match).test(apc);

  it('compares ids as 4-digit lower-case hex', () => {
    expect(m({ vendorid: '051d', productid: '0002' })).toBe(true);
    expect(m({ vendorid: '051D' })).toBe(true);
    expect(m({ vendorid: '51d' })).toBe(false);
    expect(m({ productid: '000[0-3]' })).toBe(true);
  });

  it('drops blanks around the device strings before a whole match', () => {
    expect(m({ product: 'Back-UPS 500 FW: 6.5.I USB FW: c1' })).toBe(true);
    expect(m({ product: 'back-ups.*' })).toBe(true);
    expect(m({ product: 'Back-UPS 500' })).toBe(false);
    expect(m({ vendor: 'american power conversion' })).toBe(true);
    expect(m({ serial: 'AB0427\\*+' })).toBe(true);
    expect(m({ serial: '' })).toBe(false);
    expect(compileMatch({ serial: '' }).test({ ...apc, serial: '  ' })).toBe(true); // a missing string is ""
  });

  it('matches bus, device and busport (path or last port number)', () => {
    expect(m({ bus: '001' })).toBe(true);
    expect(m({ bus: '1' })).toBe(false);
    expect(m({ device: '002' })).toBe(true);
    expect(m({ busport: '1-2\\.3' })).toBe(true);
    expect(m({ busport: '003' })).toBe(true);
    expect(m({ busport: '1-2' })).toBe(false);
    expect(lastPortNumber('1-2.13')).toBe('013');
    expect(busportOf(3, [1, 4])).toBe('3-1.4');
  });

  it('checks the claim list first and says which option failed', () => {
    expect(m({ ids: [{ vendorId: 0x051d }] })).toBe(true);
    expect(m({ ids: [{ vendorId: 0x051d, productId: 3 }] })).toBe(false);
    const c = compileMatch({ ids: [{ vendorId: 0x0463, productId: 0xffff }], vendorid: '051d' });
    expect(c.mismatch(apc)).toMatch(/^ids/);
    expect(compileMatch({ vendorid: '051d', product: 'Smart.*' }).mismatch(apc)).toBe('product');
    expect(compileMatch({ vendorid: '051d', product: 'x' }).describe()).toBe('vendorid=051d product=x');
    expect(compileMatch({}).test(apc)).toBe(true);
  });
});
