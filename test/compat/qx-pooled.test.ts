/**
 * nutdrv_qx in the host, three sections on three Q1 simulators (pseudo-terminals) and one on a
 * Q1 unit behind a cypress serial-over-USB bridge (virtual USB device), sharing one driver
 * worker and each in a worker of its own: every section serves, through upsd, what NUT 2.8.0's
 * nutdrv_qx publishes for the same unit; pooled, one serial unit unplugged makes only its
 * section stale while its worker-mates keep answering (an event on a mate still gets through),
 * and it comes back by itself.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeOp } from '../../core/src/driver-socket/codec.js';
import { readDump } from '../../plugins/nutdrv_qx/src/simulator/dump.js';
import { Q1Device } from '../../plugins/nutdrv_qx/src/simulator/q1-device.js';
import { makeSandbox, requireOracle } from '../helpers/oracle.js';
import { lendEnv, startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { dumpVars, nutDumpOnVirtualUsb } from '../virtual-usb/nut.js';
import { describePoolModes } from '../helpers/pooled-fleet.js';
import { dumpAll, eventually, normalizeDump, setinfoValues, type Sim, startNut, startSim } from './qx-harness.js';

const DUMP = join(resolve(import.meta.dirname, '..', 'fixtures', 'ddl'), 'CABAC__UPS-1700DV2__blazer_usb__2.6.4__01.dev');
const SERIAL = ['q0', 'q1', 'q2'];
const NAMES = [...SERIAL, 'qu'];
const OPTIONS = { protocol: 'megatec', pollinterval: '1' };

const hex = (s: string) => [...Buffer.from(s, 'latin1')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const chunks = (s: string) => Array.from({ length: Math.ceil(s.length / 8) }, (_, i) => hex(s.slice(i * 8, i * 8 + 8)));

let sims: Sim[] = [];
let usb: VirtualUsb | undefined;
/** NUT's nutdrv_qx on the first simulator: its DUMPALL once the first update is in. */
let nutDump: string[] = [];
/** NUT's nutdrv_qx -d 1 on the unit behind the USB bridge, driver.* aside. */
const nutUsb = new Map<string, string>();
let restoreEnv = () => {};

beforeAll(async () => {
  requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
  sims = await Promise.all(SERIAL.map(() => startSim(DUMP)));
  const nut = await startNut(sims[0]!.pty.path, OPTIONS);
  try {
    await eventually('NUT publishes ups.status', async () => (nutDump = await dumpAll(nut.socket)).some((l) => l.startsWith('SETINFO ups.status ')), 30_000);
  } finally {
    await nut.stop();
  }
  expect(nutValues().size).toBeGreaterThan(20);

  // A cypress bridge: commands go out as class control transfers, answers come back as 8-byte
  // interrupt reports (qx-usb.test.ts).
  const q1 = new Q1Device('megatec', readDump(DUMP));
  usb = await startVirtualUsb({
    name: 'cypress bridge',
    usb: { vendorId: '0665', productId: '5161', manufacturer: 'INNO TECH', product: 'USB to Serial' },
    interfaces: [{ class: 'ff', endpoints: [{ address: '81', type: 'interrupt', maxPacketSize: 8 }] }],
    reactions: ['Q1', 'F', 'I'].map((c) => ({ when: { prefix: hex(`${c}\r\0`) }, interrupt: chunks(q1.reply(c)!) })),
  });
  const sb = makeSandbox('nut-ts-qx-pooled-usb-');
  try {
    sb.write('ups.conf', '[ups]\n\tdriver = nutdrv_qx\n\tport = auto\n\tvendorid = 0665\n\tproductid = 5161\n\tprotocol = megatec\n');
    const r = nutDumpOnVirtualUsb(sb, usb, 'ups', 'nutdrv_qx');
    if (r.status !== 0) throw new Error(`NUT's nutdrv_qx -d 1 on the bridge failed (${r.status}): ${r.stderr}`);
    for (const [name, value] of dumpVars(r.stdout)) nutUsb.set(name, value);
  } finally {
    sb.cleanup();
  }
  expect(nutUsb.get('ups.vendorid')).toBe('0665');
  // the host's transport process is forked with this environment, so it sees the bridge
  restoreEnv = lendEnv(usb.env);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  for (const s of sims) await s.close();
  await usb?.stop();
});

const nutValues = () => setinfoValues(nutDump);

describePoolModes('nutdrv_qx', NAMES, () =>
  SERIAL.map((n, i) => `[${n}]\n driver = nutdrv_qx\n port = ${sims[i]!.pty.path}\n protocol = megatec\n pollinterval = 1\n`).join('') +
      '[qu]\n driver = nutdrv_qx\n port = auto\n vendorid = 0665\n productid = 5161\n protocol = megatec\n pollinterval = 1\n',
  (fleet, _workers, label) => {
    it('every section serves what NUT\'s nutdrv_qx publishes', async () => {
      for (const n of NAMES) await fleet().untilStatus(n, 'OL', 20_000);
      for (const n of SERIAL) {
        expect(await fleet().values(n), n).toEqual(nutValues());
        const tree = fleet().host.instance(n)!.tree.dump().map(encodeOp);
        expect(normalizeDump(tree), n).toEqual(normalizeDump(nutDump));
      }
      expect(await fleet().values('qu')).toEqual(nutUsb);
    });

    // Pooled only: the unit goes stale after NUT's retries (about 7 s); one section alone in its
    // worker doing the same is qx-events.test.ts's unplugged cable.
    if (label !== 'pooled') return;
    it('one unit unplugged: only its section goes stale, the others keep answering, and it comes back', async () => {
      await sims[0]!.event('unplug');
      await fleet().untilStatus('q0', 'ERR DATA-STALE', 30_000);
      expect(await fleet().status('q1')).toBe('OL');
      expect(await fleet().status('q2')).toBe('OL');
      expect(await fleet().status('qu')).toBe('OL');
      // a mate's device still gets through while q0 is gone
      await sims[1]!.event('onbattery');
      await fleet().untilStatus('q1', 'OB', 20_000);
      expect(await fleet().status('q0')).toBe('ERR DATA-STALE');
      await sims[1]!.event('online');
      await fleet().untilStatus('q1', 'OL', 20_000);
      await sims[0]!.event('replug');
      await fleet().untilStatus('q0', 'OL', 30_000);
      expect(await fleet().values('q0')).toEqual(nutValues());
      expect(await fleet().status('q2')).toBe('OL');
      expect(await fleet().values('qu')).toEqual(nutUsb);
    }, 90_000);
  },
);
