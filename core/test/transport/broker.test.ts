/**
 * The device broker without hardware: a worker-side client, the host's TransportService and
 * a dispatcher serving an echo device, both on this thread and in a forked transport process.
 */
import { MessageChannel } from 'node:worker_threads';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransportError, type SerialHandle } from '../../src/plugin-api/transports.js';
import { createDeviceClient, DeviceClient, devicesFromChannel } from '../../src/transport/client.js';
import { Dispatcher, withSignal } from '../../src/transport/dispatcher.js';
import { TransportService } from '../../src/transport/service.js';
import { until } from '../../../test/helpers/wait.js';
// @ts-expect-error plain ESM fixture without types
import { EchoDevices } from './fixtures/echo-device.mjs';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const ECHO_PROCESS = join(import.meta.dirname, 'fixtures', 'echo-transport.mjs');

describe('client and dispatcher over a MessageChannel', () => {
  it('proxies a handle: its data members, any method by name, Uint8Array payloads, events, close', async () => {
    const { port1, port2 } = new MessageChannel();
    const devices = new EchoDevices();
    const dispatcher = new Dispatcher(devices, (m) => port2.postMessage(m));
    port2.on('message', (m) => dispatcher.handle(m));
    port2.unref();
    const client = createDeviceClient(port1);
    const h = await client.openSerial('/echo/a', { baudRate: 2400 });
    expect(h.path).toBe('/echo/a');
    await h.write(Uint8Array.from([0x71, 0x00, 0x0d]));
    expect([...(await h.read({ until: 0x0d, timeoutMs: 1000 }))]).toEqual([0x51, 0x00, 0x0d]);
    expect(await (h as unknown as { describe(p: string): Promise<string> }).describe('dev')).toBe('dev:/echo/a');
    const seen: string[] = [];
    const off = h.onData((d) => seen.push(text(d)));
    await h.write('!');
    await until('the unsolicited byte', () => seen.join('') === '!', 5000);
    off();
    const closed = new Promise((resolve) => h.onClose((e) => resolve(e ?? 'clean')));
    await h.close();
    expect(await closed).toBe('clean');
    expect(isTransportError(await h.write('x').catch((e: unknown) => e), 'ECLOSED')).toBe(true);
    expect(dispatcher.openHandles).toBe(0);
    port1.close();
  });

  it('turns a call the transport never answers into ETIMEDOUT, and an abort into ECLOSED', async () => {
    const { port1, port2 } = new MessageChannel();
    const sent: unknown[] = [];
    port2.on('message', (m) => sent.push(m));
    port2.unref();
    const client = new DeviceClient(port1);
    const ac = new AbortController();
    const aborted = client.call(0, 'listUsb', [{ signal: ac.signal }]).catch((e: unknown) => e);
    ac.abort();
    expect(isTransportError(await aborted, 'ECLOSED')).toBe(true);
    const started = Date.now();
    const silent = await client.call(0, 'listUsb', [{ timeoutMs: 10 }]).catch((e: unknown) => e);
    expect(isTransportError(silent, 'ETIMEDOUT')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    await until('the cancel of both calls', () => sent.filter((m) => (m as { t: string }).t === 'cancel').length === 2, 5000);
    port1.close();
  });
});

describe('TransportService', () => {
  let service: TransportService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  const mainThread = (redirects?: Record<string, string>) => {
    const devices = new EchoDevices();
    service = new TransportService({ mode: 'main-thread', devices: () => devices, redirects });
    return { service, devices };
  };

  it('refuses a port another section holds, naming both sections, nolock or not', async () => {
    const { service: s } = mainThread();
    const a = createDeviceClient(s.attach('ups1#1', 'ups1'));
    const b = createDeviceClient(s.attach('ups2#1', 'ups2', { nolock: true }));
    const h = await a.openSerial('/echo/tty');
    const e = await b.openSerial('/echo/tty').catch((x: unknown) => x);
    expect(isTransportError(e, 'EBUSY')).toBe(true);
    expect((e as Error).message).toBe('/echo/tty is already in use by UPS [ups1]: sections [ups1] and [ups2] name the same port');
    await h.close();
    const again = await b.openSerial('/echo/tty');
    expect(again.path).toBe('/echo/tty');
  });

  it('redirects a port name to another path and passes nolock as lock: false', async () => {
    const { service: s, devices } = mainThread({ '/dev/ttyS0': '/echo/sim' });
    const c = createDeviceClient(s.attach('ups#1', 'ups', { nolock: true }));
    const h = await c.openSerial('/dev/ttyS0', { baudRate: 1200 });
    expect(h.path).toBe('/echo/sim');
    expect(devices.opened).toEqual([{ path: '/echo/sim', options: { baudRate: 1200, lock: false } }]);
  });

  it('closes the handles and releases the ports of a detached run; a handle id of another run is refused', async () => {
    const { service: s, devices } = mainThread();
    const first = createDeviceClient(s.attach('ups#1', 'ups'));
    const h = (await first.openSerial('/echo/tty')) as SerialHandle;
    s.detach('ups#1');
    await until('the device closed', () => devices.open.size === 0, 5000);
    const second = createDeviceClient(s.attach('ups#2', 'ups'));
    const again = await second.openSerial('/echo/tty');
    expect(again.path).toBe('/echo/tty');
    expect(h.path).toBe('/echo/tty');
    // A run that names a handle it does not own (the first run's, id 1) is refused.
    const raw = s.attach('other#1', 'other');
    const answer = new Promise((resolve) => raw.once('message', resolve));
    raw.postMessage({ t: 'call', id: 7, handle: 2, method: 'write', args: ['x'] });
    expect(await answer).toMatchObject({ t: 'error', id: 7, error: { code: 'ELOST' } });
    raw.close();
  });

  it('ends the calls of a run the host detaches with ECLOSED, and refuses its later calls', async () => {
    const { service: s } = mainThread();
    const c = createDeviceClient(s.attach('ups#1', 'ups'));
    const h = await c.openSerial('/echo/tty');
    const reading = h.read({ until: 0x0d, timeoutMs: 20_000 }).catch((e: unknown) => e);
    s.detach('ups#1');
    expect(isTransportError(await reading, 'ECLOSED')).toBe(true);
    expect(isTransportError(await c.openSerial('/echo/tty').catch((e: unknown) => e), 'ECLOSED')).toBe(true);
  });

  it('forwards a device that goes away as ELOST to pending reads and onClose', async () => {
    const { service: s, devices } = mainThread();
    const c = createDeviceClient(s.attach('ups#1', 'ups'));
    const h = await c.openSerial('/echo/tty');
    const closed = new Promise((resolve) => h.onClose((e) => resolve(e)));
    const reading = h.read({ until: 0x0d, timeoutMs: 10_000 }).catch((e: unknown) => e);
    await until('the read reached the device', () => devices.open.size === 1, 5000);
    devices.open.get('/echo/tty').unplug();
    expect(isTransportError(await reading, 'ELOST')).toBe(true);
    expect(isTransportError(await closed, 'ELOST')).toBe(true);
    expect(isTransportError(await h.write('x').catch((e: unknown) => e), 'ELOST')).toBe(true);
    const reopened = await c.openSerial('/echo/tty');
    expect(reopened.path).toBe('/echo/tty');
  });

  it('starts the transport process with the first device call only, and restarts it after SIGKILL with every handle ELOST', async () => {
    service = new TransportService({ processPath: ECHO_PROCESS });
    const port = service.attach('ups#1', 'ups');
    const c = createDeviceClient(port);
    expect(service.running).toBe(false);
    const h = await c.openSerial('/echo/tty');
    const pid = service.pid;
    expect(pid).toBeGreaterThan(0);
    await h.write('ping\r');
    expect(text(await h.read({ until: 0x0d, timeoutMs: 2000 }))).toBe('PING\r');
    const closed = new Promise((resolve) => h.onClose((e) => resolve(e)));
    const reading = h.read({ until: 0x0d, timeoutMs: 20_000 }).catch((e: unknown) => e);
    process.kill(pid!, 'SIGKILL');
    const lost = await reading;
    expect(isTransportError(lost, 'ELOST')).toBe(true);
    expect((lost as Error).message).toContain('SIGKILL');
    expect(isTransportError(await closed, 'ELOST')).toBe(true);
    await until('a new transport process', () => service!.pid !== undefined && service!.pid !== pid, 10_000);
    const again = await c.openSerial('/echo/tty');
    await again.write('pong\r');
    expect(text(await again.read({ until: 0x0d, timeoutMs: 2000 }))).toBe('PONG\r');
    expect(service.starts).toBe(2);
  });
});

describe('DeviceClient.bindSignal', () => {
  it('ends the calls waiting when the instance stops with ECLOSED, and lets later calls through', async () => {
    const { port1, port2 } = new MessageChannel();
    const devices = new EchoDevices();
    const dispatcher = new Dispatcher(devices, (m) => port2.postMessage(m));
    port2.on('message', (m) => dispatcher.handle(m));
    port2.unref();
    const stop = new AbortController();
    const client = createDeviceClient(port1, stop.signal);
    const h = await client.openSerial('/echo/a');
    const waiting = h.read({ until: 0x0d, timeoutMs: 10_000 }).catch((e: unknown) => e);
    stop.abort();
    const e = await waiting;
    expect(isTransportError(e, 'ECLOSED')).toBe(true);
    expect((e as Error).message).toBe('read: the instance is stopping');
    await h.write('bye\r');
    expect(text(await h.read({ until: 0x0d, timeoutMs: 1000 }))).toBe('BYE\r');
    port1.close();
  });
});

describe('withSignal', () => {
  const s = new AbortController().signal;
  it('puts the signal in the options slot: the caller-marked one, else the last declared parameter when it is free', () => {
    expect(withSignal([{ until: 13 }], 0, s)).toEqual([{ until: 13, signal: s }]);
    expect(withSignal([], 0, s)).toEqual([{ signal: s }]);
    expect(withSignal([1], 2, s)).toEqual([1, undefined, { signal: s }]);
    expect(withSignal([Uint8Array.of(1)], 0, s)).toEqual([Uint8Array.of(1)]);
    expect(withSignal(['x', 5], 1, s)).toEqual(['x', 5]);
    expect(withSignal(['x'], undefined, s)).toEqual(['x']);
  });
});

describe('TransportService.forWorkers and devicesFromChannel', () => {
  it('attach per run with nolock from the spec, a channel a worker turns into its DeviceAccess, detach at the end', async () => {
    const devices = new EchoDevices();
    const s = new TransportService({ mode: 'main-thread', devices: () => devices });
    try {
      const pool = s.forWorkers();
      const run = pool.attach('ups', { upsname: 'ups', options: { nolock: true } });
      expect(run.transfer).toEqual([run.channel]);
      expect(devicesFromChannel(undefined)).toBeUndefined();
      const client = devicesFromChannel(run.channel)!;
      const h = await client.openSerial('/echo/tty', {});
      expect(devices.opened).toEqual([{ path: '/echo/tty', options: { lock: false } }]);
      run.detach();
      await until('the device closed', () => devices.open.size === 0, 5000);
      expect(h.path).toBe('/echo/tty');
      const next = devicesFromChannel(pool.attach('ups', { upsname: 'ups', options: {} }).channel)!;
      expect((await next.openSerial('/echo/tty')).path).toBe('/echo/tty');
      // a shutdown run (upsdrvctl shutdown, driver -k) opens without the lock, as NUT's -k
      const down = devicesFromChannel(pool.attach('other', { upsname: 'other', options: {}, mode: 'shutdown' }).channel)!;
      await down.openSerial('/echo/other', { baudRate: 2400 });
      expect(devices.opened.at(-1)).toEqual({ path: '/echo/other', options: { baudRate: 2400, lock: false } });
    } finally {
      await s.close();
    }
  });
});
