import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isTransportError } from '../../src/plugin-api/transports.js';
import { ANSWER_GRACE_MS, completeAt, SerialReader } from '../../src/transport/serial-reader.js';

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('completeAt', () => {
  it('ends at the first terminator of the set, or at the count, whichever comes first', () => {
    expect(completeAt(bytes('ab\rcd'), { until: 0x0d })).toBe(3);
    expect(completeAt(bytes('ab\ncd\r'), { until: [0x0d, 0x0a] })).toBe(3);
    expect(completeAt(bytes('abcdef'), { maxBytes: 4 })).toBe(4);
    expect(completeAt(bytes('abcdef\r'), { until: 0x0d, maxBytes: 4 })).toBe(4);
    expect(completeAt(bytes('ab'), { until: 0x0d })).toBe(-1);
    expect(completeAt(bytes('ab'), { maxBytes: 3 })).toBe(-1);
  });
});

describe('SerialReader', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps what follows a terminator for the next read', async () => {
    const r = new SerialReader();
    r.push(bytes('one\rtw'));
    expect(text(await r.read({ until: 0x0d }))).toBe('one\r');
    const second = r.read({ until: 0x0d });
    r.push(bytes('o\r'));
    expect(text(await second)).toBe('two\r');
  });

  it('ends an open-ended read once the line is quiet for idleMs, restarting the clock per byte', async () => {
    const r = new SerialReader();
    const p = r.read({ idleMs: 50, timeoutMs: 1000 });
    r.push(bytes('ab'));
    await vi.advanceTimersByTimeAsync(40);
    r.push(bytes('c'));
    await vi.advanceTimersByTimeAsync(40);
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(text(await p)).toBe('abc');
  });

  it('fails with ETIMEDOUT on silence, returns a partial answer at the timeout', async () => {
    const r = new SerialReader();
    const silent = r.read({ until: 0x0d, timeoutMs: 100 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(isTransportError(await silent, 'ETIMEDOUT')).toBe(true);
    const partial = r.read({ until: 0x0d, timeoutMs: 100 });
    r.push(bytes('par'));
    await vi.advanceTimersByTimeAsync(100);
    expect(text(await partial)).toBe('par');
  });

  it('serves reads one after the other in call order', async () => {
    const r = new SerialReader();
    const a = r.read({ maxBytes: 2 });
    const b = r.read({ maxBytes: 2 });
    r.push(bytes('1234'));
    expect([text(await a), text(await b)]).toEqual(['12', '34']);
  });

  it('gives bytes to onData only while no read is pending; without a listener they wait for a read', async () => {
    const r = new SerialReader();
    const seen: string[] = [];
    const off = r.onData((d) => seen.push(text(d)));
    r.push(bytes('!'));
    const p = r.read({ until: 0x0d });
    r.push(bytes('ok\r'));
    expect(text(await p)).toBe('ok\r');
    expect(seen).toEqual(['!']);
    off();
    r.push(bytes('$'));
    expect(text(await r.read({ maxBytes: 1 }))).toBe('$');
  });

  it('once a handle reads, the answer to a write waits for the read even when a listener is set and the read comes late', async () => {
    const r = new SerialReader();
    const seen: string[] = [];
    r.onData((d) => seen.push(text(d)));
    r.wrote(); // a handle that never read: the answer goes to the listener (apcsmart's way)
    r.push(bytes('a\r'));
    expect(seen).toEqual(['a\r']);
    const first = r.read({ until: 0x0d, timeoutMs: 10 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    expect(isTransportError(await first, 'ETIMEDOUT')).toBe(true);
    r.wrote();
    r.push(bytes('(1\r')); // before the read reaches the reader
    await vi.advanceTimersByTimeAsync(100);
    expect(text(await r.read({ until: 0x0d }))).toBe('(1\r');
    r.push(bytes('!')); // after the read: unsolicited again
    expect(seen).toEqual(['a\r', '!']);
  });

  it('gives an answer nobody read to the listeners after the grace time', async () => {
    const r = new SerialReader();
    const seen: string[] = [];
    r.onData((d) => seen.push(text(d)));
    const first = r.read({ maxBytes: 1, timeoutMs: 10 }).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    await first;
    r.wrote();
    r.push(bytes('x'));
    r.push(bytes('y'));
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(ANSWER_GRACE_MS);
    expect(seen).toEqual(['xy']);
    r.push(bytes('z'));
    expect(seen).toEqual(['xy', 'z']);
  });

  it('fails the pending and later reads with the error it ended with; an abort fails one read with ECLOSED', async () => {
    const r = new SerialReader();
    const ac = new AbortController();
    const aborted = r.read({ signal: ac.signal, timeoutMs: 1000 }).catch((e: unknown) => e);
    ac.abort();
    expect(isTransportError(await aborted, 'ECLOSED')).toBe(true);
    const pending = r.read({ timeoutMs: 1000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    const { TransportError } = await import('../../src/plugin-api/transports.js');
    r.end(new TransportError('ELOST', 'gone'));
    expect(isTransportError(await pending, 'ELOST')).toBe(true);
    expect(isTransportError(await r.read().catch((e: unknown) => e), 'ELOST')).toBe(true);
  });

  it('flush drops what was buffered', async () => {
    const r = new SerialReader();
    r.push(bytes('old'));
    r.flush();
    r.push(bytes('n'));
    expect(text(await r.read({ maxBytes: 1 }))).toBe('n');
  });
});
