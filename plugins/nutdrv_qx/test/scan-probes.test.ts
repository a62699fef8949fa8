/**
 * The serial probes this package's manifest gives nut-scanner (one per protocol, in NUT's
 * detection order): each sends only commands its protocol's table knows, and on every
 * protocol's NUT testing device the scan names the protocol the driver's own detection (no
 * protocol= set) picks on that device.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SerialHandle } from '../../../core/src/plugin-api/transports.js';
import { TransportError } from '../../../core/src/plugin-api/transports.js';
import type { PluginInfo } from '../../../core/src/plugins/registry.js';
import type { PluginManifest } from '../../../core/src/plugins/manifest.js';
import { probePort, serialProbes, type SerialOpener } from '../../../core/src/scanner/serial.js';
import { builtinTableFiles, loadTables } from '../src/index.js';
import type { ProtocolTable } from '../src/table.js';
import { makeRuntime, TestingLink } from './helpers/runtime.js';

const manifest = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { 'nut-ts': PluginManifest })['nut-ts'];
const tables = loadTables(builtinTableFiles());
const probes = serialProbes([{ driver: 'nutdrv_qx', manifest, match: manifest.match ?? {} } as PluginInfo]);
const protocolOf = (p: (typeof probes)[number]) => Object.fromEntries(p.settings).protocol;

/** A line whose device answers as NUT's TESTING build does (TestingLink), counting what was sent. */
function testingLine(table: ProtocolTable, sent: string[]): SerialOpener {
  const link = new TestingLink(table);
  return {
    openSerial: async (path) => {
      let pending: string | undefined;
      const handle: Partial<SerialHandle> = {
        path,
        flushInput: async () => undefined,
        write: async (data) => {
          const cmd = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
          sent.push(cmd);
          const r = await link.command(cmd);
          pending = r.data.slice(0, r.length);
        },
        read: async () => {
          const a = pending;
          pending = undefined;
          if (!a) throw new TransportError('ETIMEDOUT', 'no answer');
          return Buffer.from(a, 'latin1');
        },
        close: async () => undefined,
      };
      return handle as SerialHandle;
    },
  };
}

describe("nutdrv_qx's serial probes for nut-scanner", () => {
  it("one probe per protocol that can claim, in the tables' detection order, sending only the table's commands", () => {
    const claimable = tables.filter((t) => t.protocol !== 'masterguard'); // its claim never succeeds in NUT 2.8.0
    expect(probes.map(protocolOf)).toEqual(claimable.map((t) => t.protocol));
    for (const p of probes) {
      const table = tables.find((t) => t.protocol === protocolOf(p))!;
      for (const st of p.steps) expect(table.items.some((i) => i.command === st.send), `${table.protocol}: ${JSON.stringify(st.send)}`).toBe(true);
      expect(p.options).toMatchObject({ baudRate: 2400, dataBits: 8, parity: 'none', stopBits: 1 });
    }
  });

  it('a silent line: nothing found, each first command sent once, the line cleared once', async () => {
    const sent: string[] = [];
    const silent: SerialOpener = {
      openSerial: async (path) =>
        ({
          path,
          flushInput: async () => undefined,
          write: async (d: string | Uint8Array) => void sent.push(String(d)),
          read: async () => {
            throw new TransportError('ETIMEDOUT', 'no answer');
          },
          close: async () => undefined,
        }) as unknown as SerialHandle,
    };
    expect(await probePort(silent, '/dev/ttyQX', probes, 0)).toBeUndefined();
    expect(sent).toEqual(['\r', 'QGS\r', 'M\r', 'QS\r', 'D\r', 'Q1\r']);
  });

  for (const table of tables.filter((t) => t.testing?.length && t.protocol !== 'masterguard')) {
    it(`${table.protocol}'s testing device: the protocol the driver detects`, async () => {
      const { rt, logs } = makeRuntime(new TestingLink(table));
      await rt.init();
      const detected = /^Using protocol: (\S+)/.exec(logs.find((l) => l.startsWith('Using protocol: ')) ?? '')?.[1];
      expect(detected).toBeDefined();
      const sent: string[] = [];
      const found = await probePort(testingLine(table, sent), '/dev/ttyQX', probes, 0);
      expect(found?.options).toEqual([['protocol', detected!.toLowerCase()]]);
      // an answer once had is not asked for again
      expect(new Set(sent.filter((s) => s !== '\r')).size).toBe(sent.filter((s) => s !== '\r').length);
    });
  }
});
