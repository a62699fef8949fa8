/**
 * DriverSocketDevice against a scripted fake driver on a Unix socket: the upsd side of
 * reference/sock-protocol.md §4-6.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverSocketDevice, encodeInstcmd, encodeSet, driverSocketPath, systemErrorText } from '../../src/driver-socket/client.js';
import { sleep } from './helpers.js';

class FakeDriver {
  server: Server;
  peers: Socket[] = [];
  received = '';
  constructor(path: string) {
    this.server = createServer((s) => {
      this.peers.push(s);
      s.setEncoding('latin1');
      s.on('data', (d: string) => (this.received += d));
      s.on('error', () => {});
    });
    this.server.listen(path);
  }
  send(text: string): void {
    for (const p of this.peers) p.write(text);
  }
  dropAll(): void {
    for (const p of this.peers) p.destroy();
    this.peers = [];
  }
  close(): Promise<void> {
    this.dropAll();
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timeout');
    await sleep(20);
  }
}

let dir: string;
let driver: FakeDriver | undefined;
let dev: DriverSocketDevice | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockc-'));
});
afterEach(async () => {
  dev?.stop();
  await driver?.close();
  driver = undefined;
  dev = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('DriverSocketDevice', () => {
  it('path is <statepath>/<driver>-<ups>', () => {
    expect(driverSocketPath('/run/nut', 'dummy-ups', 'myups')).toBe('/run/nut/dummy-ups-myups');
  });

  it("logs connect failures and successes as NUT's upsd does: socket name and strerror text", async () => {
    // NUT 2.8.0: "Can't connect to UPS [apc] (dummy-ups-apc): No such file or directory", "Connected to UPS [apc]: dummy-ups-apc"
    const logs: string[] = [];
    dev = new DriverSocketDevice({ name: 'apc', driver: 'dummy-ups', statePath: dir, reconnectMs: 100, log: (_l, m) => logs.push(m) });
    dev.start();
    await until(() => logs.length > 0);
    expect(logs[0]).toBe("Can't connect to UPS [apc] (dummy-ups-apc): No such file or directory");
    driver = new FakeDriver(join(dir, 'dummy-ups-apc'));
    await until(() => logs.length > 1);
    expect(logs[1]).toBe('Connected to UPS [apc]: dummy-ups-apc');
    expect(systemErrorText(Object.assign(new Error('connect ECONNREFUSED /x'), { errno: -111, code: 'ECONNREFUSED' }))).toBe('Connection refused');
    expect(systemErrorText(new Error('plain'))).toBe('plain');
  });

  it('encodes INSTCMD and SET as upsd does', () => {
    expect(encodeInstcmd('load.off', undefined, undefined)).toBe('INSTCMD load.off\n');
    expect(encodeInstcmd('load.off', '5', 'ID-1')).toBe('INSTCMD load.off 5 TRACKING ID-1\n');
    // the parameter is escaped but not quoted (spaces split it into words, as in NUT)
    expect(encodeInstcmd('x', 'a "b"#', undefined)).toBe('INSTCMD x a \\"b\\"\\#\n');
    expect(encodeSet('ups.mfr', 'Via "socket"', undefined)).toBe('SET ups.mfr "Via \\"socket\\""\n');
    expect(encodeSet('a', 'b', 'T')).toBe('SET a "b" TRACKING T\n');
  });

  it('connects, sends DUMPALL, shows WAIT until the dump, honours DATAOK/DATASTALE only after DUMPDONE', async () => {
    driver = new FakeDriver(join(dir, 'dummy-ups-u'));
    dev = new DriverSocketDevice({ name: 'u', driver: 'dummy-ups', statePath: dir });
    expect(dev.connected).toBe(false);
    dev.start();
    await until(() => dev!.connected && driver!.received.includes('DUMPALL\n'));
    expect(dev.tree.getValue('ups.status')).toBe('WAIT');
    expect(dev.tree.stale).toBe(false);
    driver.send('DATASTALE\nSETINFO ups.status "OL"\nSETINFO ups.mfr "A \\"q\\""\nSETFLAGS ups.mfr RW STRING\nSETAUX ups.mfr 20\n');
    driver.send('ADDENUM ups.mfr "x"\nADDRANGE ups.mfr 1 5\nADDCMD load.off\n');
    await until(() => dev!.tree.hasCommand('load.off'));
    expect(dev.tree.stale).toBe(false);
    expect(dev.tree.getValue('ups.status')).toBe('OL');
    expect(dev.tree.get('ups.mfr')).toMatchObject({ value: 'A "q"', flags: 3, aux: 20, enums: ['x'], ranges: [{ min: 1, max: 5 }] });
    driver.send('DUMPDONE\n');
    await until(() => dev!.dumpComplete);
    expect(dev.tree.stale).toBe(true);
    driver.send('DATAOK\n');
    await until(() => !dev!.tree.stale);
    driver.send('DELINFO ups.mfr\nDELCMD load.off\n');
    await until(() => !dev!.tree.has('ups.mfr') && !dev!.tree.hasCommand('load.off'));
  });

  it('forwards commands and reports TRACKING answers', async () => {
    driver = new FakeDriver(join(dir, 'drv-u'));
    dev = new DriverSocketDevice({ name: 'u', driver: 'drv', statePath: dir });
    const results: Array<[string, number]> = [];
    dev.onCommandResult((id, st) => results.push([id, st]));
    expect(dev.instcmd('x', undefined, undefined)).toBe(false);
    dev.start();
    await until(() => dev!.connected);
    expect(dev.instcmd('load.off', undefined, 'ABC')).toBe(true);
    expect(dev.setvar('ups.id', 'my ups', undefined)).toBe(true);
    await until(() => driver!.received.includes('SET ups.id'));
    expect(driver.received).toBe('DUMPALL\nINSTCMD load.off TRACKING ABC\nSET ups.id "my ups"\n');
    driver.send('TRACKING ABC 0\nTRACKING DEF 3\nTRACKING short\n');
    await until(() => results.length === 2);
    expect(results).toEqual([
      ['ABC', 0],
      ['DEF', 3],
    ]);
  });

  it('pings a silent driver after MAXAGE/3 and counts only parsed messages as heard', async () => {
    driver = new FakeDriver(join(dir, 'drv-u'));
    dev = new DriverSocketDevice({ name: 'u', driver: 'drv', statePath: dir, maxAge: 3 });
    dev.start();
    await until(() => dev!.connected);
    const heard = dev.lastHeard;
    await until(() => driver!.received.includes('PING\n'), 5000);
    driver.send('BOGUS words here\nSETINFO onlyname\n');
    await sleep(200);
    expect(dev.lastHeard).toBe(heard);
    driver.send('PONG\n');
    await until(() => dev!.lastHeard > heard);
  });

  it('drops all data on disconnect and reconnects', async () => {
    const path = join(dir, 'drv-u');
    driver = new FakeDriver(path);
    dev = new DriverSocketDevice({ name: 'u', driver: 'drv', statePath: dir, reconnectMs: 200 });
    const events: boolean[] = [];
    dev.onConnectionChange((c) => events.push(c));
    dev.start();
    await until(() => dev!.connected);
    driver.send('SETINFO a "1"\nDUMPDONE\nDATAOK\n');
    await until(() => dev!.tree.has('a') && !dev!.tree.stale);
    driver.dropAll();
    await until(() => !dev!.connected);
    expect(dev.tree.size).toBe(0);
    await until(() => dev!.connected, 10_000);
    expect(dev.tree.getValue('ups.status')).toBe('WAIT');
    expect(events).toEqual([true, false, true]);
  });

  it('a parse error drops the rest of that chunk only', async () => {
    driver = new FakeDriver(join(dir, 'drv-u'));
    dev = new DriverSocketDevice({ name: 'u', driver: 'drv', statePath: dir });
    dev.start();
    await until(() => dev!.connected);
    driver.send('SETINFO a "x#y"\nSETINFO b "lost"\n');
    await sleep(200);
    driver.send('SETINFO c "kept"\n');
    await until(() => dev!.tree.has('c'));
    expect(dev.tree.has('a')).toBe(false);
    expect(dev.tree.has('b')).toBe(false);
  });
});
