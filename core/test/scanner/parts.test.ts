import { describe, expect, it } from 'vitest';
import { getoptLong } from '../../src/scanner/getopt-long.js';
import { addressRange, cidrToRange, NetmaskError } from '../../src/scanner/ip-range.js';
import { formatNutConf, formatParsable } from '../../src/scanner/format.js';
import { parseScannerArgs } from '../../src/scanner/options.js';
import { serialPorts, serialProbes, unescapeC } from '../../src/scanner/serial.js';
import { snmpMatchRows } from '../../src/scanner/snmp-match.js';
import { usbDevices, usbMatchRows } from '../../src/scanner/usb.js';
import { discoverPlugins, type PluginInfo } from '../../src/plugins/registry.js';
import type { ScanDevice } from '../../src/scanner/device.js';

const plugins = discoverPlugins({ nodeModules: false }).plugins;

function fakePlugin(driver: string, match: PluginInfo['manifest']['match']): PluginInfo {
  return {
    driver,
    manifest: { driver, kind: 'hid', description: '', version: '1', match },
    match: match ?? {},
    packageName: driver,
    packageVersion: '1',
    dir: '/nonexistent',
    source: 'pluginPath',
    tables: [],
  };
}

describe('nut-scanner parts', () => {
  it('getopt_long: options after operands, long names and prefixes, glibc messages', () => {
    const err: string[] = [];
    const r = getoptLong(['x', '-qs', '127.0.0.1', '--time=3', '--comm', 'c', '-Z', '-t'], 't:s:c:q', [
      { name: 'timeout', short: 't', hasArg: true },
      { name: 'community', short: 'c', hasArg: true },
    ], 'nut-scanner', (s) => err.push(s));
    expect(r.options).toEqual([{ opt: 'q' }, { opt: 's', arg: '127.0.0.1' }, { opt: 't', arg: '3' }, { opt: 'c', arg: 'c' }, { opt: '?' }, { opt: '?' }]);
    expect(r.operands).toEqual(['x']);
    expect(err).toEqual(["nut-scanner: invalid option -- 'Z'\n", "nut-scanner: option requires an argument -- 't'\n"]);
  });

  it('options: no type given means all but serial; the last of -N/-P wins; bad values warn as NUT', () => {
    const err: string[] = [];
    const r = parseScannerArgs(['-P', '-N', '-t', '0', '-T', 'x'], (s) => err.push(s));
    expect(r.kind).toBe('run');
    if (r.kind !== 'run') return;
    expect([r.options.usb, r.options.snmp, r.options.oldnut, r.options.avahi, r.options.serial]).toEqual([true, true, true, true, undefined]);
    expect(r.options.format).toBe('nutconf');
    expect(r.options.timeoutMs).toBe(5000);
    expect(err).toEqual(['Illegal timeout value, using default 5s\n', 'WARNING: Requested max scanning thread count x (0) is out of range, using default 512\n']);
    expect(parseScannerArgs(['-M'], () => {})).toEqual({ kind: 'help', status: 0, error: true });
    expect(parseScannerArgs(['--bogus'], () => {})).toEqual({ kind: 'help', status: 255, error: true });
  });

  it('CIDR: network and broadcast included; no mask warns; a zero mask is fatal', () => {
    expect(cidrToRange('127.0.0.5/30', () => {})).toEqual({ start: '127.0.0.4', end: '127.0.0.7' });
    expect(cidrToRange('127.0.0.5/32', () => {})).toEqual({ start: '127.0.0.5', end: '127.0.0.5' });
    const warn: string[] = [];
    expect(cidrToRange('bad', (s) => warn.push(s))).toBeUndefined();
    expect(warn).toEqual(['WARNING: nutscan_cidr_to_ip failed to parse mask from cidr=bad (first_ip=bad)\n']);
    expect(() => cidrToRange('127.0.0.1/0', () => {})).toThrow(NetmaskError);
    expect([...addressRange('127.0.0.3', '127.0.0.1')]).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  });

  it('formats: numbering goes on across devices, values unescaped, bare option names', () => {
    const d: ScanDevice[] = [
      { type: 'USB', driver: 'usbhid-ups', port: 'auto', options: [['product', 'TRIPP LITE "SMART1500"'], ['bus', '004']] },
      { type: 'AVAHI', driver: 'nutclient', port: 'a@h', options: [['flag', undefined]] },
    ];
    expect(formatNutConf(d)).toBe('[nutdev1]\n\tdriver = "usbhid-ups"\n\tport = "auto"\n\tproduct = "TRIPP LITE "SMART1500""\n\tbus = "004"\n[nutdev2]\n\tdriver = "nutclient"\n\tport = "a@h"\n\tflag\n');
    expect(formatParsable(d)).toBe('USB:driver="usbhid-ups",port="auto",product="TRIPP LITE "SMART1500"",bus="004"\nNUT:driver="nutclient",port="a@h",flag\n');
  });

  it("SNMP match rows come from the snmp-ups tables in NUT's scanner order", () => {
    const rows = snmpMatchRows(plugins);
    const order = rows.map((r) => r.mib);
    // NUT 2.8.0's nutscan-snmp.h order (reference/nut-scanner.md §6)
    expect(order).toEqual([
      'apc_ats', 'apcc', 'apc_pdu', 'apc_pdu', 'apc_pdu', 'baytech', 'bestpower', 'cpqpower', 'cyberpower', 'delta_ups',
      'eaton_ats16_nm2', 'eaton_ats16_nmc', 'eaton_ats30', 'aphel_genesisII', 'eaton_epdu', 'pulizzi_switched1',
      'pulizzi_switched2', 'aphel_revelation', 'emerson_avocent_pdu', 'hpe_epdu', 'huawei', 'tripplite', 'ietf', 'mge',
      'netvision', 'pw', 'pxgx_ups', 'raritan', 'raritan-px2', 'xppc',
    ]);
    expect(rows.filter((r) => r.modelOID).length).toBe(27);
    expect(new Set(rows.map((r) => r.driver))).toEqual(new Set(['snmp-ups']));
  });

  it('USB: exact id pairs first, a vendor-only entry otherwise; strings trimmed, empty ones left out', () => {
    const rows = usbMatchRows([
      fakePlugin('nutdrv_qx', { usb: [{ vendorId: '0665', productId: '5161' }] }),
      fakePlugin('usbhid-ups', { usb: [{ vendorId: '0665' }] }),
    ]);
    const dev = { vendorId: 0x665, productId: 0x5161, release: 0, manufacturer: 'INNO TECH  ', product: 'USB to Serial', serial: '', bus: '002', device: '003', busport: '2-1' };
    expect(usbDevices([dev, { ...dev, productId: 0x1 }, { ...dev, vendorId: 0x1234 }], rows)).toEqual([
      { type: 'USB', driver: 'nutdrv_qx', port: 'auto', options: [['vendorid', '0665'], ['productid', '5161'], ['product', 'USB to Serial'], ['vendor', 'INNO TECH'], ['bus', '002']] },
      { type: 'USB', driver: 'usbhid-ups', port: 'auto', options: [['vendorid', '0665'], ['productid', '0001'], ['product', 'USB to Serial'], ['vendor', 'INNO TECH'], ['bus', '002']] },
    ]);
  });

  it("serial: the apcsmart manifest's probe, C escapes, NUT's port list syntax", () => {
    const apc = serialProbes(plugins).find((p) => p.driver === 'apcsmart')!;
    expect(apc.steps.map((st) => st.send)).toEqual(['Y']);
    expect(apc.steps[0].expect.test('SM\r\n')).toBe(true);
    expect(apc.options).toMatchObject({ baudRate: 2400, dataBits: 8, parity: 'none', stopBits: 1 });
    expect(unescapeC('Q1\\r\\x0d')).toBe('Q1\r\r');
    expect(serialPorts('1-2', () => {})).toEqual(['/dev/ttyS1', '/dev/ttyUSB1', '/dev/ttyS2', '/dev/ttyUSB2']);
    expect(serialPorts('/dev/ttyS0,/dev/ttyUSB3', () => {})).toEqual(['/dev/ttyS0', '/dev/ttyUSB3']);
    expect(serialPorts('/tmp/x-y/ttyS0', () => {})).toEqual(['/tmp/x-y/ttyS0']);
    expect(serialPorts('auto', () => {})).toHaveLength(20);
  });
});
