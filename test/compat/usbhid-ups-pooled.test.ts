/**
 * usbhid-ups in the host, three sections on three identical virtual APC Back-UPS CS 500 units
 * (told apart by busport), sharing one driver worker and each in a worker of its own: every
 * section serves, through upsd, what NUT 2.8.0's usbhid-ups publishes for the same device; an
 * interrupt report from one unit reaches its own section only; one unit unplugged makes only
 * its section stale while its worker-mates keep answering, and it comes back by itself; one
 * section stopped and started again gets its device back while the others carry on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeSandbox, requireOracle } from '../helpers/oracle.js';
import { lendEnv, startVirtualUsb, type VirtualUsb } from '../virtual-usb/harness.js';
import { dumpVars, nutDumpOnVirtualUsb } from '../virtual-usb/nut.js';
import { modelFromLogFile } from '../virtual-usb/model-from-log.js';
import { describePoolModes, restartSection } from '../helpers/pooled-fleet.js';

const FIXTURE = new URL('../fixtures/hid/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev', import.meta.url).pathname;
const USBHID = '/lib/nut/usbhid-ups';
const NAMES = ['u0', 'u1', 'u2'];
const { model } = modelFromLogFile(FIXTURE);
/** The present-status feature report as the unit sends it (on line), and with AC gone. */
const STATUS_OL = model.featureReports!['19']!;
const STATUS_OB = '13 00';

let dev: VirtualUsb;
/** NUT's usbhid-ups -d 1 on the first unit, driver.* aside. */
const nut = new Map<string, string>();
let restoreEnv = () => {};

beforeAll(async () => {
  requireOracle(USBHID);
  dev = await startVirtualUsb(NAMES.map(() => model));
  const sb = makeSandbox('nut-ts-usbhid-pooled-');
  try {
    sb.write('ups.conf', '[ups]\n\tdriver = usbhid-ups\n\tport = auto\n\tbus = 001\n');
    const r = nutDumpOnVirtualUsb(sb, dev, 'ups');
    if (r.status !== 0) throw new Error(`NUT's usbhid-ups -d 1 failed (${r.status}): ${r.stderr}`);
    for (const [name, value] of dumpVars(r.stdout)) nut.set(name, value);
  } finally {
    sb.cleanup();
  }
  expect(nut.size).toBeGreaterThan(20);
  expect(nut.get('ups.status')).toBe('OL');
  // the host's transport process is forked with this environment, so it sees the testbed
  restoreEnv = lendEnv(dev.env);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await dev?.stop();
});

// Polls 30 s apart: a status change sooner than that came from the interrupt endpoint.
describePoolModes('usbhid-ups', NAMES, () =>
  NAMES.map((n, i) => `[${n}]\n driver = usbhid-ups\n port = auto\n busport = 1-${i + 1}\n pollinterval = 30\n`).join(''),
  (fleet, workers) => {
    it('every section serves what NUT\'s usbhid-ups publishes', async () => {
      for (const n of NAMES) await fleet().untilStatus(n, 'OL', 20_000);
      for (const n of NAMES) expect(await fleet().values(n), n).toEqual(nut);
    });

    it('an interrupt report from one unit changes its own section only', async () => {
      await dev.device(1).queueInterrupt(STATUS_OB);
      await fleet().untilStatus('u1', 'OB', 10_000);
      expect(await fleet().status('u0')).toBe('OL');
      expect(await fleet().status('u2')).toBe('OL');
      await dev.device(1).queueInterrupt(STATUS_OL);
      await fleet().untilStatus('u1', 'OL', 10_000);
    });

    it('one unit unplugged: only its section goes stale, the others keep answering, and it comes back', async () => {
      await dev.device(0).unplug();
      await fleet().untilStatus('u0', 'ERR DATA-STALE', 30_000);
      expect(await fleet().status('u1')).toBe('OL');
      expect(await fleet().status('u2')).toBe('OL');
      await dev.device(2).queueInterrupt(STATUS_OB);
      await fleet().untilStatus('u2', 'OB', 10_000);
      expect(await fleet().status('u0')).toBe('ERR DATA-STALE');
      await dev.device(2).queueInterrupt(STATUS_OL);
      await fleet().untilStatus('u2', 'OL', 10_000);
      await dev.device(0).replug();
      await fleet().untilStatus('u0', 'OL', 60_000);
      expect(await fleet().values('u0')).toEqual(nut);
      expect(await fleet().status('u1')).toBe('OL');
    }, 90_000);

    it('one section stopped and started again: its device is free for it, its worker-mates carry on', async () => {
      await restartSection(fleet(), 'u2', 'u1', nut);
      // its interrupt endpoint is its own again
      await dev.device(2).queueInterrupt(STATUS_OB);
      await fleet().untilStatus('u2', 'OB', 10_000);
      expect(await fleet().status('u1')).toBe('OL');
      await dev.device(2).queueInterrupt(STATUS_OL);
      await fleet().untilStatus('u2', 'OL', 10_000);
      expect(fleet().host.pool.workers()).toHaveLength(workers);
    }, 60_000);
  },
);
