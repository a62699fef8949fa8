/** Daemon chores (getopt, pid files, paths) and the TCP link upslog uses. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpLink } from '../../src/monitor/link.js';
import { getopt, pidFile, pidPath, readPid, signalPidFile, writePid, removePid } from '../../src/monitor/process.js';

describe('getopt', () => {
  it('handles clustered flags, attached and separate values, and stops at the first operand (+)', () => {
    expect(getopt(['-DD', '-c', 'fsd', '-uroot', 'x', '-p'], '+DFBhic:P:f:pu:VK46')).toEqual({
      opts: [
        ['D', undefined],
        ['D', undefined],
        ['c', 'fsd'],
        ['u', 'root'],
      ],
      rest: ['x', '-p'],
    });
    expect(getopt(['-z'], 'ab').error).toBe("invalid option -- 'z'");
    expect(getopt(['-c'], 'c:').error).toBe("option requires an argument -- 'c'");
  });
});

describe('pid files', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('NUT_ALTPIDPATH wins over NUT_STATEPATH, then /run/nut', () => {
    expect(pidPath({ NUT_ALTPIDPATH: '/a', NUT_STATEPATH: '/s' })).toBe('/a');
    expect(pidPath({ NUT_STATEPATH: '/s' })).toBe('/s');
    expect(pidPath({})).toBe('/run/nut');
    expect(pidFile('upsmon', { NUT_STATEPATH: '/s' })).toBe('/s/upsmon.pid');
  });

  it('writes, reads, signals and removes only its own pid file', () => {
    dir = mkdtempSync(join(tmpdir(), 'pid-'));
    const f = join(dir, 'x.pid');
    expect(signalPidFile(f, 0)).toMatch(/Can't open PID file/);
    writePid(f);
    expect(readPid(f)).toBe(process.pid);
    expect(signalPidFile(f, 0)).toBeUndefined();
    writeFileSync(f, '999999999\n');
    removePid(f); // not ours: kept
    expect(readPid(f)).toBe(999999999);
    expect(signalPidFile(f, 0)).toMatch(/ESRCH/);
  });
});

describe('tcpLink', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function serve(answer: (line: string) => string | undefined): Promise<number> {
    server = createServer((sock) => {
      let buf = '';
      sock.on('data', (c) => {
        buf += c.toString('latin1');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const a = answer(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (a !== undefined) sock.write(a);
        }
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  }

  it('tries STARTTLS and falls back to clear text; list bodies are read line by line', async () => {
    const seen: string[] = [];
    const port = await serve((l) => {
      seen.push(l);
      if (l === 'STARTTLS') return 'ERR FEATURE-NOT-CONFIGURED\n';
      if (l === 'LIST UPS') return 'BEGIN LIST UPS\nUPS a "A"\nUPS b "B"\nEND LIST UPS\n';
      return undefined;
    });
    const link = await tcpLink({ host: '127.0.0.1', port, tryTls: true, requireTls: false, certVerify: false, timeoutMs: 5000 });
    expect(link.tls).toBe(false);
    expect(await link.request('LIST UPS')).toBe('BEGIN LIST UPS');
    expect([await link.readLine(), await link.readLine(), await link.readLine()]).toEqual(['UPS a "A"', 'UPS b "B"', 'END LIST UPS']);
    link.close();
    expect(seen.slice(0, 2)).toEqual(['STARTTLS', 'LIST UPS']);
  });

  it('a refused connection and a silent server are errors, not hangs', async () => {
    const port = await serve(() => undefined);
    const link = await tcpLink({ host: '127.0.0.1', port, tryTls: false, requireTls: false, certVerify: false, timeoutMs: 200 });
    await expect(link.request('GET VAR a b')).rejects.toThrow('Read timeout');
    expect(link.open).toBe(false);
    server!.close();
    await expect(tcpLink({ host: '127.0.0.1', port, tryTls: false, requireTls: false, certVerify: false, timeoutMs: 2000 })).rejects.toThrow(/Connection failure/);
  });
});
