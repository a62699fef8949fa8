/**
 * SNMPv3 (USM) with each security level and the auth/priv protocols NUT 2.8.0 offers: snmpsim
 * serves one recording to several v3 users; NUT's `-d 1` and ours give the same dump for each.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireOracle } from '../helpers/oracle.js';
import { createSnmpUpsDriver } from '../../plugins/snmp-ups/src/index.js';
import { dumpDriver, makeInstance } from '../../plugins/snmp-ups/test/helpers/context.js';
import { nutSnmpDump, NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';

const RECORDING = join(__dirname, '..', 'fixtures', 'snmprec', 'generex-ups_cs141.snmprec');
const AUTH_KEY = 'authpass-1234';
const PRIV_KEY = 'privpass-5678';

interface User {
  name: string;
  /** snmpsimd arguments after --v3-user. */
  sim: string[];
  /** snmp-ups options. */
  options: Record<string, string>;
}

const USERS: User[] = [
  { name: 'u-noauth', sim: [], options: { secLevel: 'noAuthNoPriv' } },
  { name: 'u-md5', sim: [`--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=MD5'], options: { secLevel: 'authNoPriv', authPassword: AUTH_KEY } },
  {
    name: 'u-md5-des',
    sim: [`--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=MD5', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=DES'],
    options: { secLevel: 'authPriv', authPassword: AUTH_KEY, privPassword: PRIV_KEY },
  },
  {
    name: 'u-sha-aes',
    sim: [`--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=SHA', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=AES'],
    options: { secLevel: 'authPriv', authPassword: AUTH_KEY, privPassword: PRIV_KEY, authProtocol: 'SHA', privProtocol: 'AES' },
  },
  {
    name: 'u-sha256-aes',
    sim: [`--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=SHA256', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=AES'],
    options: { secLevel: 'authPriv', authPassword: AUTH_KEY, privPassword: PRIV_KEY, authProtocol: 'SHA256', privProtocol: 'AES' },
  },
  {
    name: 'u-sha512-aes',
    sim: [`--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=SHA512', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=AES'],
    options: { secLevel: 'authPriv', authPassword: AUTH_KEY, privPassword: PRIV_KEY, authProtocol: 'SHA512', privProtocol: 'AES' },
  },
  {
    name: 'u-sha-aes256',
    sim: [`--v3-auth-key=${AUTH_KEY}`, '--v3-auth-proto=SHA', `--v3-priv-key=${PRIV_KEY}`, '--v3-priv-proto=AES256BLMT'],
    options: { secLevel: 'authPriv', authPassword: AUTH_KEY, privPassword: PRIV_KEY, authProtocol: 'SHA', privProtocol: 'AES256' },
  },
];

describe('snmp-ups over SNMPv3, NUT 2.8.0 vs ours', () => {
  let sim: Snmpsim;
  beforeAll(async () => {
    requireOracle(NUT_SNMP_UPS);
    const args = USERS.flatMap((u) => [`--v3-user=${u.name}`, ...u.sim]);
    // v3 requests with an empty context name read <data>/<transport domain>/<peer>.snmprec.
    sim = await startSnmpsim([RECORDING], args, (data) => {
      mkdirSync(join(data, '1.3.6.1.6.1.1.0'));
      copyFileSync(RECORDING, join(data, '1.3.6.1.6.1.1.0', '127.0.0.1.snmprec'));
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  for (const u of USERS) {
    it(`${u.name} (${u.options.secLevel} ${u.options.authProtocol ?? ''} ${u.options.privProtocol ?? ''}): same dump`, async () => {
      const port = `127.0.0.1:${sim.port}`;
      const options = { snmp_version: 'v3', secName: u.name, snmp_retries: '1', ...u.options };
      const nut = nutSnmpDump(port, options);
      expect(nut.status, nut.output).toBe(0);
      const o = { port, options, sensitive: ['community', 'secName', 'authPassword', 'privPassword'] };
      const plugin = createSnmpUpsDriver();
      const inst = makeInstance(o);
      const ours = await dumpDriver(plugin, inst, o);
      await plugin.cleanup?.(inst.ctx);
      expect(ours).toEqual(nut.lines);
      expect(ours.some((l) => /Password|secName/.test(l))).toBe(false);
    });
  }

  it('a wrong password is refused (no detection), like NUT', async () => {
    const port = `127.0.0.1:${sim.port}`;
    const options = { snmp_version: 'v3', secName: 'u-sha-aes', secLevel: 'authPriv', authProtocol: 'SHA', privProtocol: 'AES', authPassword: 'wrong-pass-1', privPassword: PRIV_KEY, snmp_retries: '0' };
    const nut = nutSnmpDump(port, options);
    expect(nut.status).not.toBe(0);
    const plugin = createSnmpUpsDriver();
    const inst = makeInstance({ port, options });
    await expect(dumpDriver(plugin, inst, { port, options })).rejects.toThrow(/No supported device detected/);
  });
});
