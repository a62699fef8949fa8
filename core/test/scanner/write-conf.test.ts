import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main as checkConfig } from '../../src/cli/check-config.js';
import { parseUpsConf } from '../../src/config/ups-conf.js';
import type { ScanDevice } from '../../src/scanner/device.js';
import { mergeIntoUpsConf, writeUpsConf } from '../../src/scanner/write-conf.js';

const EXISTING = `# my UPSes
maxretry = 3

[nutdev1]   # hand-made
\tdriver = snmp-ups
\tport = 10.0.0.5
\tcommunity = private
`;

const SNMP: ScanDevice = {
  type: 'SNMP',
  driver: 'snmp-ups',
  port: '127.0.0.41',
  options: [['desc', 'OL2200 "rack" \\ 2U'], ['mibs', 'cyberpower'], ['community', 'cyberpower']],
};
const ALREADY: ScanDevice = { type: 'SNMP', driver: 'snmp-ups', port: '10.0.0.5', options: [['mibs', 'ietf'], ['community', 'private']] };
const NUT: ScanDevice = { type: 'NUT', driver: 'nutclient', port: 'alpha@127.0.0.2', options: [] };
const SERIAL: ScanDevice = { type: 'EATON_SERIAL', driver: 'apcsmart', port: '/dev/ttyS0', options: [] };

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('nut-scanner --write', () => {
  it('keeps the file as it was, adds new sections with unused names, skips what is configured', () => {
    const r = mergeIntoUpsConf(EXISTING, [SNMP, ALREADY, NUT, SERIAL, SNMP], 'found');
    expect(r.text.startsWith(EXISTING)).toBe(true);
    expect(r.added.map((a) => a.name)).toEqual(['nutdev2', 'nutdev3', 'nutdev4']);
    expect(r.present.map((p) => p.name)).toEqual(['nutdev1', 'nutdev2']);
    const conf = parseUpsConf(r.text);
    expect(conf.problems).toEqual([]);
    const added = conf.sections.find((s) => s.name === 'nutdev2')!;
    expect(added.values.get('desc')).toBe('OL2200 "rack" \\ 2U');
    expect(conf.sections.find((s) => s.name === 'nutdev3')).toMatchObject({ driver: 'dummy-ups', port: 'alpha@127.0.0.2' });
  });

  it('nothing new: the file is not rewritten', () => {
    dir = mkdtempSync(join(tmpdir(), 'scanner-write-'));
    const file = join(dir, 'ups.conf');
    writeFileSync(file, EXISTING);
    const r = writeUpsConf(file, [ALREADY]);
    expect(r.added).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(EXISTING);
  });

  it('nut check-config accepts the merged file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'scanner-write-'));
    const file = join(dir, 'ups.conf');
    writeFileSync(file, EXISTING);
    writeUpsConf(file, [SNMP, NUT, SERIAL], 'found');
    writeFileSync(join(dir, 'upsd.conf'), '');
    writeFileSync(join(dir, 'upsd.users'), '');
    const out: string[] = [];
    const status = await checkConfig([dir], { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(out.filter((l) => /ups\.conf/.test(l) && /error/i.test(l))).toEqual([]);
    expect(status, out.join('\n')).toBe(0);
  });
});
