import { describe, expect, it } from 'vitest';
import { AddressError, formatUpsName, parseHostPort, parseUpsName } from '../../src/client/index.js';

// Expected values: libupsclient's upscli_splitname/splitaddr as observed with NUT 2.8.0's upsc
// (clients.md "Common client facts").
describe('ups[@host[:port]]', () => {
  it.each([
    ['myups', { ups: 'myups', host: 'localhost', port: 3493 }],
    ['myups@server', { ups: 'myups', host: 'server', port: 3493 }],
    ['myups@server:13493', { ups: 'myups', host: 'server', port: 13493 }],
    ['myups@10.0.0.2:1', { ups: 'myups', host: '10.0.0.2', port: 1 }],
    ['myups@[::1]:13493', { ups: 'myups', host: '::1', port: 13493 }],
    ['myups@[fe80::1]', { ups: 'myups', host: 'fe80::1', port: 3493 }],
    ['myups@h:13493:99999', { ups: 'myups', host: 'h', port: 13493 }],
    ['myups@h:13493junk', { ups: 'myups', host: 'h', port: 13493 }],
    ['@host', { ups: 'host', host: 'host', port: 3493 }],
  ])('%s', (text, expected) => {
    expect(parseUpsName(text)).toEqual(expected);
  });

  it.each([
    ['myups@', "upscli_splitaddr: can't parse empty string"],
    ['myups@h:', "upscli_splitaddr: no port specified after ':' separator"],
    ['myups@h:0', "upscli_splitaddr: no port specified after ':' separator"],
    ['myups@h:abc', "upscli_splitaddr: no port specified after ':' separator"],
    ['myups@h:70000', "upscli_splitaddr: no port specified after ':' separator"],
    ['myups@[::1', 'upscli_splitaddr: missing closing bracket in [domain literal]'],
  ])('%s is refused', (text, message) => {
    expect(() => parseUpsName(text)).toThrow(AddressError);
    expect(() => parseUpsName(text)).toThrow(message);
  });

  it('host[:port] alone', () => {
    expect(parseHostPort('localhost')).toEqual({ host: 'localhost', port: 3493 });
    expect(parseHostPort('[::1]:4000')).toEqual({ host: '::1', port: 4000 });
  });

  it('formats back', () => {
    expect(formatUpsName({ ups: 'u', host: '::1', port: 4000 })).toBe('u@[::1]:4000');
    expect(formatUpsName({ ups: 'u', host: 'h', port: 3493 })).toBe('u@h');
  });
});
