/** In-process devices, a server on an ephemeral port, and a line-oriented test client. */
import { connect, type Socket } from 'node:net';
import type { CommandResultListener, Device, DeviceDirectory } from '../../src/dstate/device.js';
import { StateTree } from '../../src/dstate/tree.js';
import { UpsdServer, type UpsdServerConfig } from '../../src/upsd/server.js';
import { parseUpsdUsers } from '../../src/upsd/config.js';

export class FakeDevice implements Device {
  tree = new StateTree();
  connected = true;
  lastHeard = Date.now();
  deliver = true;
  sent: string[] = [];
  private listeners = new Set<CommandResultListener>();
  constructor(
    public name: string,
    public desc: string | undefined = undefined,
  ) {
    this.tree.setStale(false);
  }
  instcmd(command: string, param: string | undefined, trackingId: string | undefined): boolean {
    this.sent.push(['INSTCMD', command, param, trackingId].filter((x) => x !== undefined).join(' '));
    return this.deliver;
  }
  setvar(name: string, value: string, trackingId: string | undefined): boolean {
    this.sent.push(['SET', name, value, trackingId].filter((x) => x !== undefined).join(' '));
    return this.deliver;
  }
  onCommandResult(listener: CommandResultListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  result(id: string, status: number): void {
    for (const l of this.listeners) l(id, status);
  }
  /** Keeps the device fresh regardless of how long a test runs. */
  touch(): void {
    this.lastHeard = Date.now();
  }
}

export class FakeDirectory implements DeviceDirectory {
  private listeners = new Set<() => void>();
  constructor(public devices: Device[] = []) {}
  list(): readonly Device[] {
    return this.devices;
  }
  get(name: string): Device | undefined {
    return this.devices.find((d) => d.name.toLowerCase() === name.toLowerCase());
  }
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(devices: Device[]): void {
    this.devices = devices;
    for (const l of this.listeners) l();
  }
}

/** A device like the one in net-protocol.md §9 (test.dev through dummy-ups). */
export function sampleDevice(name = 'dummy'): FakeDevice {
  const d = new FakeDevice(name, 'Test "dummy" device');
  const t = d.tree;
  t.setInfo('ups.mfr', 'ACME "Quoted" Inc');
  t.setFlags('ups.mfr', 0x3);
  t.setAux('ups.mfr', 32);
  t.setInfo('zeta.var', 'z');
  t.setInfo('Alpha.var', 'A');
  t.setInfo('beta.var', 'b');
  t.setInfo('battery.charge', '100');
  t.setFlags('battery.charge', 0x1);
  t.setInfo('ups.status', 'OL CHRG');
  t.setInfo('custom.hash', 'a#b');
  t.setInfo('driver.name', 'dummy-ups');
  t.setInfo('input.transfer.low', '100');
  t.setFlags('input.transfer.low', 0x1);
  t.addEnum('input.transfer.low', '100');
  t.addEnum('input.transfer.low', '103');
  t.addEnum('input.transfer.low', '97');
  t.setInfo('ups.delay.shutdown', '20');
  t.setFlags('ups.delay.shutdown', 0x1);
  t.addRange('ups.delay.shutdown', 0, 60);
  t.addRange('ups.delay.shutdown', 120, 180);
  t.setInfo('ups.id', 'x');
  t.setFlags('ups.id', 0x3);
  t.setAux('ups.id', 0);
  t.setInfo('output.voltage', '230');
  t.setFlags('output.voltage', 0x1);
  t.addEnum('output.voltage', '230');
  t.addRange('output.voltage', 200, 240);
  t.addCmd('load.off');
  t.addCmd('Test.A');
  t.addCmd('beeper.enable');
  t.addCmd('test.b');
  return d;
}

export const SAMPLE_USERS = `
[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[reader]
  password = r
[tester]
  password = t
  instcmds = test.b load.off
[monprimary]
  password = p
  upsmon primary
[monsecondary]
  password = s
  upsmon = secondary
[nopass]
  actions = SET
`;

export async function startServer(
  devices: Device[],
  config: UpsdServerConfig = {},
): Promise<{ server: UpsdServer; port: number; directory: FakeDirectory; close(): Promise<void> }> {
  const directory = new FakeDirectory(devices);
  const server = new UpsdServer(directory, {
    listen: [{ host: '127.0.0.1', port: 0 }],
    users: parseUpsdUsers({ path: 'upsd.users', text: SAMPLE_USERS }).users,
    ...config,
  });
  await server.start();
  const port = server.bound[0].port;
  return { server, port, directory, close: () => server.close() };
}

/** A raw client: collects bytes; waits for complete answers. */
export class TestClient {
  buffer = '';
  chunks: string[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  private constructor(public socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.chunks.push(d);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }
  static open(port: number, host = '127.0.0.1'): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host);
      s.once('connect', () => resolve(new TestClient(s)));
      s.once('error', reject);
    });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async waitFor(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timeout; buffer=${JSON.stringify(this.buffer.slice(-300))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  send(text: string | Buffer): void {
    this.socket.write(text);
  }
  /** Takes one complete answer (a line, or a BEGIN…END block) off the buffer. */
  async answer(timeoutMs = 10_000): Promise<string> {
    let out = '';
    await this.waitFor(() => {
      const r = takeAnswer(this.buffer);
      if (r === undefined) return false;
      out = r;
      return true;
    }, timeoutMs);
    this.buffer = this.buffer.slice(out.length);
    return out;
  }
  async ask(line: string): Promise<string> {
    this.send(line + '\n');
    return this.answer();
  }
  close(): void {
    this.socket.destroy();
  }
}

export function takeAnswer(buffer: string): string | undefined {
  const nl = buffer.indexOf('\n');
  if (nl < 0) return undefined;
  const first = buffer.slice(0, nl);
  if (!first.startsWith('BEGIN LIST ')) return buffer.slice(0, nl + 1);
  const end = '\nEND LIST ' + first.slice('BEGIN LIST '.length) + '\n';
  const i = buffer.indexOf(end);
  if (i < 0) return undefined;
  return buffer.slice(0, i + end.length);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
