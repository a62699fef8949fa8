/** A host on loopback with the dummy-ups plugin, upsd and the HTTP service, for the HTTP tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../../src/host/host.js';
import { startHostServices, type HostServices, type ServiceSettings } from '../../src/host/services.js';
import { freePort } from '../../../test/helpers/oracle.js';
import { until } from '../../../test/helpers/wait.js';

export const DEV = [
  'ups.status: OL',
  'battery.charge: 100',
  'battery.runtime: 1800',
  'ups.load: 23',
  'input.voltage: 230.4',
  'output.voltage: 229.8',
  'device.mfr: Example Power',
  'device.model: Line 1500',
  'device.serial: ABC123',
  'device.type: ups',
  'ups.beeper.status: enabled',
  '',
].join('\n');

export interface TestHost {
  host: Host;
  services: HostServices;
  base: string;
  upsdPort: number;
  dir: string;
  confPath: string;
  logs: string[];
  close(): Promise<void>;
}

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const ADMIN = basic('admin', 'secret');
export const VIEWER = basic('viewer', 'look');

export async function startTestHost(options: { files?: Record<string, string>; services?: ServiceSettings; port?: string } = {}): Promise<TestHost> {
  const dir = mkdtempSync(join(tmpdir(), 'nut-ts-http-'));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  mkdirSync(confPath);
  mkdirSync(statePath);
  const upsdPort = await freePort();
  const files: Record<string, string> = {
    'ups.conf': `[dev]\n driver = dummy-ups\n port = ${options.port ?? 'dev.dev'}\n desc = "test device"\n`,
    'upsd.conf': `LISTEN 127.0.0.1 ${upsdPort}\n`,
    'upsd.users': '[admin]\n password = secret\n actions = SET\n instcmds = all\n\n[viewer]\n password = look\n instcmds = beeper.toggle\n',
    'dev.dev': DEV,
    ...options.files,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(confPath, name), text, { mode: 0o640 });
  const logs: string[] = [];
  const host = new Host({
    paths: { confPath, statePath, altPidPath: statePath, driverPath: '/lib/nut' },
    settings: { transport: 'main-thread' },
    pluginSearch: { nodeModules: false },
    driverSockets: false,
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  host.loadConfig();
  const started = await host.startInstance('dev', { maxstartdelayMs: 30_000 });
  if (!started.ok) throw new Error(`dummy-ups did not start: ${started.messages.join('; ')}\n${logs.join('\n')}`);
  const up = await host.upsd.start();
  if (!up.ok) throw new Error(up.messages.join('; '));
  const httpPort = await freePort();
  const services = await startHostServices(host, options.services ?? { http: { listen: `127.0.0.1:${httpPort}`, historyIntervalMs: 200 } }, (level, m) => logs.push(`${level} ${m}`));
  if (services.http) await until('the device to be connected', () => host.get('dev')?.connected && !host.get('dev')?.tree.stale, 30_000);
  return {
    host,
    services,
    base: `http://127.0.0.1:${services.http?.address?.port ?? 0}`,
    upsdPort,
    dir,
    confPath,
    logs,
    async close() {
      await services.close();
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
