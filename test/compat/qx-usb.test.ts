/**
 * A Q1 UPS behind serial-over-USB bridges on the virtual USB device, each framed as its chip
 * does (cypress: 8-byte class control OUT, 8-byte interrupt IN; ippon: one 64-byte interrupt
 * read; krauler and fabula: answers in string descriptors). NUT 2.8.0's nutdrv_qx and ours (the
 * standalone driver, in its own process under the device's environment) read the same values.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump } from '../../plugins/nutdrv_qx/src/simulator/dump.js';
import { Q1Device } from '../../plugins/nutdrv_qx/src/simulator/q1-device.js';
import { makeSandbox, NUT_DRIVER_DIR, requireOracle } from '../helpers/oracle.js';
import { startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DUMP = join(ROOT, 'test', 'fixtures', 'ddl', 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');
let dev: VirtualUsb | undefined;
afterAll(async () => {
  await dev?.stop();
});

const hex = (s: string) => [...Buffer.from(s, 'latin1')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const chunks = (s: string) => Array.from({ length: Math.ceil(s.length / 8) }, (_, i) => hex(s.slice(i * 8, i * 8 + 8)));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((res) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout!.on('data', (b: Buffer) => (out += b.toString('latin1')));
    c.stderr!.on('data', (b: Buffer) => (err += b.toString('latin1')));
    c.once('exit', (code) => res({ out, err, code }));
  });
}

const vars = (dump: string) =>
  new Map(
    dump
      .split('\n')
      .map((l) => /^([\w.]+): (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && !m[1]!.startsWith('driver.'))
      .map((m) => [m[1]!, m[2]!]),
  );

type Model = Exclude<Parameters<typeof startVirtualUsb>[0], readonly unknown[]>;

/** A Q1 unit behind each bridge, as NUT's bridge code expects the chip to answer. */
const BRIDGES: Array<[string, (reply: (cmd: string) => string) => Model, (log: Array<{ hex: string }>) => boolean]> = [
  [
    'cypress',
    (reply) => ({
      name: 'cypress bridge',
      usb: { vendorId: '0665', productId: '5161', manufacturer: 'INNO TECH', product: 'USB to Serial' },
      interfaces: [{ class: 'ff', endpoints: [{ address: '81', type: 'interrupt', maxPacketSize: 8 }] }],
      reactions: ['Q1', 'F', 'I'].map((c) => ({ when: { prefix: hex(`${c}\r\0`) }, interrupt: chunks(reply(c)) })),
    }),
    // Commands leave as 8-byte class control transfers (SET_REPORT-style, wValue 0x200).
    (log) => log.some((e) => e.hex === hex('Q1\r\0\0\0\0\0')),
  ],
  [
    'ippon',
    (reply) => ({
      name: 'ippon bridge',
      usb: { vendorId: '06da', productId: '0003', manufacturer: 'Mustek', product: 'Powermust' },
      interfaces: [{ class: 'ff', endpoints: [{ address: '81', type: 'interrupt', maxPacketSize: 64 }] }],
      reactions: ['Q1', 'F', 'I'].map((c) => ({ when: { prefix: hex(`${c}\r\0`) }, interrupt: [hex(reply(c).padEnd(64, '\0'))] })),
    }),
    (log) => log.some((e) => e.hex.startsWith(hex('Q1\r'))),
  ],
  [
    'krauler',
    (reply) => ({
      name: 'krauler bridge',
      usb: { vendorId: '1cb0', productId: '0035', manufacturer: 'Legrand', product: 'Daker DK' },
      interfaces: [{ class: 'ff', endpoints: [{ address: '81', type: 'interrupt', maxPacketSize: 8 }] }],
      // The answers are string descriptors 3 (Q1), 13 (F) and 12 (I); the first byte is replaced.
      strings: { '3': reply('Q1').slice(0, -1), '13': reply('F').slice(0, -1), '12': reply('I').slice(0, -1) },
    }),
    () => true,
  ],
  [
    'fabula',
    (reply) => ({
      name: 'fabula bridge',
      usb: { vendorId: '0001', productId: '0000', manufacturer: 'MEC', product: 'MEC0003' },
      interfaces: [{ class: 'ff', endpoints: [{ address: '81', type: 'interrupt', maxPacketSize: 8 }] }],
      strings: { '3': reply('Q1').slice(0, -1), '13': reply('F').slice(0, -1), '12': reply('I').slice(0, -1) },
    }),
    () => true,
  ],
];

describe('nutdrv_qx over USB bridges (virtual device)', () => {
  for (const [bridge, model, wire] of BRIDGES) {
    it(`${bridge}: NUT and ours publish the same values`, async () => {
      requireOracle('/lib/nut/nutdrv_qx');
      const q1 = new Q1Device('megatec', readDump(DUMP));
      dev = await startVirtualUsb(model((cmd) => q1.reply(cmd)!));
      const sb = makeSandbox('nut-ts-qx-usb-');
      try {
        const info = model(() => '').usb;
        sb.write('ups.conf', `[ups]\n\tdriver = nutdrv_qx\n\tport = auto\n\tvendorid = ${info.vendorId}\n\tproductid = ${info.productId}\n\tprotocol = megatec\n`);
        const env = { ...sb.env, ...dev.env };
        const nut = await run(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'ups', '-d', '1', '-u', 'root'], env);
        expect(nut.err).toContain('Using protocol: Megatec 0.06');
        const ours = await run(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'driver.js'), 'nutdrv_qx', '-a', 'ups', '-d', '1'], env);
        expect(ours.code, ours.err).toBe(0);
        const theirs = vars(nut.out);
        expect(theirs.get('input.voltage')).toBe('253.0');
        expect(theirs.get('ups.firmware')).toBe('VER7.02');
        expect(vars(ours.out)).toEqual(theirs);
        expect(wire(dev.outLog())).toBe(true);
      } finally {
        sb.cleanup();
        await dev.stop();
        dev = undefined;
      }
    }, 90_000);
  }
});
