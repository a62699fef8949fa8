/** snmp-ups options (NUT 2.8.0 upsdrv_makevartable / nut_snmp_init): parsing with NUT's messages. */
import { atol } from './format.js';
import { authProtocolKey, parsePeer, privProtocolKey, type SecLevel, type SessionConfig } from './session.js';

export interface OptionSource {
  getval(name: string): string | undefined;
  testvar(name: string): boolean;
}

export const DEFAULT_POLLFREQ = 30;
export const DEFAULT_SEMISTATICFREQ = 10;
export const DEFAULT_RETRIES = 5;
export const DEFAULT_TIMEOUT = 1;

/** Builds the session settings; throws with NUT's fatal message on a bad value. */
export function sessionConfig(port: string, opts: OptionSource): SessionConfig {
  const peer = parsePeer(port);
  const retries = opts.testvar('snmp_retries') ? atol(opts.getval('snmp_retries') ?? '') : DEFAULT_RETRIES;
  const timeout = opts.testvar('snmp_timeout') ? atol(opts.getval('snmp_timeout') ?? '') : DEFAULT_TIMEOUT;
  const version = opts.testvar('snmp_version') ? (opts.getval('snmp_version') ?? '') : 'v1';
  const base = { host: peer.host, port: peer.port, retries: Math.max(0, retries), timeout, community: 'public' };
  if (version.startsWith('v1') || version.startsWith('v2c')) {
    return {
      ...base,
      version: version.startsWith('v1') ? 'v1' : 'v2c',
      community: opts.testvar('community') ? (opts.getval('community') ?? '') : 'public',
    };
  }
  if (!version.startsWith('v3')) throw new Error(`Bad SNMP version: ${version}`);
  let secLevel: SecLevel = 'noAuthNoPriv';
  if (opts.testvar('secLevel')) {
    const s = opts.getval('secLevel') ?? '';
    if (s !== 'noAuthNoPriv' && s !== 'authNoPriv' && s !== 'authPriv') throw new Error(`Bad SNMPv3 securityLevel: ${s}`);
    secLevel = s;
  }
  if (!opts.testvar('secName')) throw new Error('securityName is required for SNMPv3');
  const authPassword = opts.testvar('authPassword') ? opts.getval('authPassword') : undefined;
  const privPassword = opts.testvar('privPassword') ? opts.getval('privPassword') : undefined;
  if (secLevel === 'authNoPriv' && authPassword === undefined) throw new Error(`authPassword is required for SNMPv3 in ${secLevel} mode`);
  if (secLevel === 'authPriv' && (authPassword === undefined || privPassword === undefined))
    throw new Error(`authPassword and privPassword are required for SNMPv3 in ${secLevel} mode`);
  const authProtocol = opts.testvar('authProtocol') ? (opts.getval('authProtocol') ?? '') : 'MD5';
  if (!authProtocolKey(authProtocol)) throw new Error(`Bad SNMPv3 authProtocol: ${authProtocol}`);
  const privProtocol = opts.testvar('privProtocol') ? (opts.getval('privProtocol') ?? '') : 'DES';
  if (privProtocol === 'AES192') throw new Error('SNMPv3 privProtocol AES192 is not supported by nut-ts (its SNMP library has DES, AES, AES256)');
  if (!privProtocolKey(privProtocol)) throw new Error(`Bad SNMPv3 privProtocol: ${privProtocol}`);
  return {
    ...base,
    version: 'v3',
    secLevel,
    secName: opts.getval('secName'),
    authPassword,
    privPassword,
    authProtocol,
    privProtocol,
  };
}
