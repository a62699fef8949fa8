/**
 * The shutdown sequence (driver -k / upsdrvctl shutdown) of every sdtype, and of advorder, is
 * byte for byte what NUT 2.8.0's apcsmart sends: each pair of drivers talks to its own
 * simulator of the same dump, which logs every byte it receives.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriverRuntime } from '../../core/src/driver/runtime.js';
import apcsmart from '../../plugins/apcsmart/src/index.js';
import { makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { DDL, ourSpec, ptyDevices, startSimulator } from './apcsmart-harness.js';

const DUMP = join(DDL, 'APC__Smart-UPS_3000_RM__apcsmart__2.0.1__01.dev');
const sandboxes: Sandbox[] = [];
afterAll(() => {
  for (const sb of sandboxes) sb.cleanup();
});

const CASES: Array<[string, Record<string, string>]> = [
  ['sdtype 0 (default)', {}],
  ['sdtype 1', { sdtype: '1' }],
  ['sdtype 2', { sdtype: '2' }],
  ['sdtype 3', { sdtype: '3' }],
  ['sdtype 4', { sdtype: '4', cshdelay: '0.5' }],
  ['sdtype 5 with awd', { sdtype: '5', awd: '12' }],
  ['advorder 01 (S fails on line, then @)', { advorder: '01', awd: '7' }],
];

async function nutShutdown(sb: Sandbox, port: string, options: Record<string, string>): Promise<void> {
  const extra = Object.entries(options)
    .map(([k, v]) => `\t${k} = ${v}\n`)
    .join('');
  sb.write('ups.conf', `[ups]\n\tdriver = apcsmart\n\tport = ${port}\n${extra}`);
  const child = spawn('/lib/nut/apcsmart', ['-a', 'ups', '-k', '-u', 'root'], { env: sb.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`apcsmart -k: ${code} ${stderr}`);
}

async function ourShutdown(port: string, options: Record<string, string>): Promise<void> {
  const runtime = new DriverRuntime(ourSpec('ups', port, options), apcsmart(), { devices: ptyDevices() });
  await runtime.forceShutdown();
}

describe('shutdown sequences', () => {
  it.each(CASES)('%s: the bytes NUT sends', async (_name, options) => {
    requireOracle('/lib/nut/apcsmart');
    const sb = makeSandbox('nut-ts-apcsmart-sd-');
    sandboxes.push(sb);
    const simNut = await startSimulator(DUMP, sb.dir, 'nut');
    const simOurs = await startSimulator(DUMP, sb.dir, 'ours');
    try {
      await Promise.all([nutShutdown(sb, simNut.port, options), ourShutdown(simOurs.port, options)]);
      const nut = simNut.received();
      expect(nut.startsWith('YQ')).toBe(true);
      expect(simOurs.received()).toBe(nut);
    } finally {
      await simNut.stop();
      await simOurs.stop();
    }
  });
});
