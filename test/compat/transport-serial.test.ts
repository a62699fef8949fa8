/**
 * The serial backend on real pseudo-terminals (socat): reads shaped like NUT's ser_get_*
 * (terminator, count, quiet line, timeout), unsolicited bytes, NUT's port lock seen from
 * both sides, and a device that goes away and comes back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTransportError, type SerialHandle } from '../../core/src/plugin-api/transports.js';
import { SerialBackend } from '../../core/src/transport/serial-backend.js';
import { makeSandbox, requireOracle } from '../helpers/oracle.js';
import { ptyPair, SimEnd, type PtyPair } from '../helpers/pty.js';
import { until } from '../helpers/wait.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('serial backend on a socat pty', () => {
  let dir: string;
  let pair: PtyPair;
  let sim: SimEnd;
  const backend = new SerialBackend();
  const open: SerialHandle[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-serial-'));
    pair = await ptyPair(join(dir, 'ttyUPS'), join(dir, 'sim'));
    sim = new SimEnd(pair.sim);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
    sim.take();
  });
  afterAll(async () => {
    sim?.close();
    await pair?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const openPort = async (lock = true) => {
    const h = await backend.openSerial(pair.device, { baudRate: 2400, lock });
    open.push(h);
    return h;
  };

  it('writes bytes and reads an answer up to its terminator, leaving the rest for the next read', async () => {
    const h = await openPort();
    await h.write('Q1\r');
    await until('the command at the simulator', () => sim.received.toString('latin1') === 'Q1\r', 5000);
    sim.send('(230.0 229.0\rNEXT\r');
    expect(text(await h.read({ until: 0x0d, timeoutMs: 2000 }))).toBe('(230.0 229.0\r');
    expect(text(await h.read({ until: [0x0a, 0x0d], timeoutMs: 2000 }))).toBe('NEXT\r');
  });

  it('reads a byte count, a quiet line, and times out with ETIMEDOUT on silence', async () => {
    const h = await openPort();
    sim.send('ABCDEF');
    expect(text(await h.read({ maxBytes: 4, timeoutMs: 2000 }))).toBe('ABCD');
    expect(text(await h.read({ idleMs: 30, timeoutMs: 2000 }))).toBe('EF');
    const started = Date.now();
    const e = await h.read({ until: 0x0d, timeoutMs: 150 }).catch((x: unknown) => x);
    expect(isTransportError(e, 'ETIMEDOUT')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // Partial answer at the timeout: what came is returned, as NUT's ser_get_buf does.
    sim.send('PART');
    expect(text(await h.read({ until: 0x0d, timeoutMs: 300 }))).toBe('PART');
  });

  it('carries every byte value, NUL and newlines included', async () => {
    const h = await openPort();
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await h.write(all);
    await until('256 bytes at the simulator', () => sim.received.length >= 256, 5000);
    expect([...sim.received]).toEqual([...all]);
    sim.send(all);
    expect([...(await h.read({ maxBytes: 256, timeoutMs: 2000 }))]).toEqual([...all]);
  });

  it('gives unsolicited bytes to onData while no read is pending, and not to a later read', async () => {
    const h = await openPort();
    const seen: string[] = [];
    const off = h.onData((d) => seen.push(text(d)));
    sim.send('!');
    await until('the alert byte', () => seen.join('') === '!', 5000);
    const reading = h.read({ until: 0x0d, timeoutMs: 2000 });
    sim.send('OK\r');
    expect(text(await reading)).toBe('OK\r');
    expect(seen.join('')).toBe('!');
    off();
    sim.send('$');
    expect(text(await h.read({ maxBytes: 1, timeoutMs: 2000 }))).toBe('$');
  });

  it('query: an answer sent the instant the command lands is the answer, not an unsolicited byte', async () => {
    const h = await openPort();
    const seen: string[] = [];
    const off = h.onData((d) => seen.push(text(d)));
    const answerAtOnce = (d: Buffer) => {
      if (d.toString('latin1').includes('Q\r')) sim.send('(42\r');
    };
    sim.onData(answerAtOnce);
    try {
      for (let i = 0; i < 20; i++) expect(text(await h.query('Q\r', { until: 0x0d, timeoutMs: 2000 }))).toBe('(42\r');
      expect(seen).toEqual([]);
    } finally {
      sim.offData(answerAtOnce);
      off();
    }
  });

  it('drops buffered input on flushInput and takes modem-line calls on a pty without failing', async () => {
    const h = await openPort();
    // Five bytes cross socat in one piece: once the first is read, the rest sit in the buffer.
    sim.send('stale');
    expect(text(await h.read({ maxBytes: 1, timeoutMs: 2000 }))).toBe('s');
    await h.flushInput();
    sim.send('X');
    expect(text(await h.read({ maxBytes: 1, timeoutMs: 2000 }))).toBe('X');
    await h.setSignals({ dtr: true, rts: false });
    expect(await h.getSignals()).toEqual({ cts: false, dsr: false, dcd: false, ri: false });
  });

  it('fails a second locked open with EBUSY, and opens with lock: false (nolock)', async () => {
    await openPort();
    const e = await backend.openSerial(pair.device, { lock: true }).catch((x: unknown) => x);
    expect(isTransportError(e, 'EBUSY')).toBe(true);
    expect((e as Error).message).toContain('is locked by another process');
    expect((e as Error).message).toContain(pair.device);
    const second = await openPort(false);
    expect(second.path).toBe(pair.device);
  });

  it('uses the lock NUT uses: flock(1) holding the port blocks us, our lock blocks NUT 2.8.0', async () => {
    requireOracle('/lib/nut/apcsmart');
    const holder = spawn('flock', ['--exclusive', '--no-fork', pair.device, 'sleep', '30'], { stdio: 'ignore' });
    try {
      // flock(1) may not hold the lock yet at the first try (it waits while our probe has it): retry.
      let busy: unknown;
      for (const t0 = Date.now(); !isTransportError(busy, 'EBUSY') && Date.now() - t0 < 10_000; ) {
        busy = await backend.openSerial(pair.device).then((h) => h.close().then(() => undefined), (x: unknown) => x);
        if (!isTransportError(busy, 'EBUSY')) await new Promise((r) => setTimeout(r, 50));
      }
      expect(isTransportError(busy, 'EBUSY')).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
    await until('flock(1) gone', () => holder.exitCode !== null || holder.signalCode !== null, 5000);
    const ours = await openPort();
    expect(ours.path).toBe(pair.device);
    const sb = makeSandbox('nut-ts-lock-');
    try {
      sb.write('ups.conf', `[apc]\n\tdriver = apcsmart\n\tport = ${pair.device}\n`);
      const r = spawnSync('/lib/nut/apcsmart', ['-a', 'apc', '-d', '1', '-u', 'root'], { env: sb.env, encoding: 'utf8', timeout: 30_000 });
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toContain(`${pair.device} is locked by another process`);
    } finally {
      sb.cleanup();
    }
  });

  it('reports EACCES for a port the user may not open, naming the node and the group to join', async () => {
    // A port as distributions ship them (root:dialout 0660), opened by a user outside dialout.
    const node = realpathSync(pair.device);
    const dialout = Number(spawnSync('getent', ['group', 'dialout'], { encoding: 'utf8' }).stdout.split(':')[2]);
    expect(Number.isInteger(dialout)).toBe(true);
    chownSync(node, 0, dialout);
    chmodSync(node, 0o660);
    chmodSync(dir, 0o755);
    const script = `
      const { SerialBackend } = await import(${JSON.stringify(new URL('../../core/dist/transport/serial-backend.js', import.meta.url).href)});
      try { await new SerialBackend().openSerial(${JSON.stringify(pair.device)}); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
    `;
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      code: 'EACCES',
      message:
        `open ${pair.device} (${node}): permission denied; the host's user cannot open it: add that user to the group ` +
        `owning the port (usermod -a -G dialout nut, then restart the host), or set user= in ups.conf to a user that can`,
    });
  });

  it('reports ENOENT for a missing node, naming it', async () => {
    const e = await backend.openSerial(join(dir, 'nothing-here')).catch((x: unknown) => x);
    expect(isTransportError(e, 'ENOENT')).toBe(true);
    expect((e as Error).message).toContain('nothing-here');
  });
});

describe('serial device unplugged and plugged back in', () => {
  it('fails the pending read with ELOST, reports onClose, and reopens once the device is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nut-ts-unplug-'));
    const device = join(dir, 'ttyUPS');
    const backend = new SerialBackend();
    try {
      const first = await ptyPair(device, join(dir, 'sim'));
      const h = await backend.openSerial(device);
      const closed = new Promise<unknown>((resolve) => h.onClose((e) => resolve(e)));
      const reading = h.read({ until: 0x0d, timeoutMs: 20_000 }).catch((x: unknown) => x);
      await first.kill();
      expect(isTransportError(await reading, 'ELOST')).toBe(true);
      expect(isTransportError(await closed, 'ELOST')).toBe(true);
      expect(isTransportError(await h.write('x').catch((x: unknown) => x), 'ELOST')).toBe(true);
      expect(isTransportError(await backend.openSerial(device).catch((x: unknown) => x), 'ENOENT')).toBe(true);

      const second = await ptyPair(device, join(dir, 'sim'));
      const sim = new SimEnd(second.sim);
      const again = await backend.openSerial(device);
      sim.send('back\r');
      expect(text(await again.read({ until: 0x0d, timeoutMs: 2000 }))).toBe('back\r');
      await again.close();
      sim.close();
      await second.kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
