/**
 * Serial scan (`-E <ports>`): each installed plugin's probe (manifest `match.serial`) on each
 * port, ports in parallel, probes on one port one after another with a pause between them,
 * the first answer that matches names the driver. The port's line settings are saved before
 * and put back after (stty), so a probe never leaves a terminal in another mode.
 */
import { execFile } from 'node:child_process';
import type { SerialHandle, SerialOptions } from '../plugin-api/transports.js';
import type { SerialMatch } from '../plugins/manifest.js';
import type { PluginInfo } from '../plugins/registry.js';
import type { ScanDevice } from './device.js';

export interface SerialProbe {
  driver: string;
  send: string;
  /** The answer (latin1) must match. */
  expect: RegExp;
  options: SerialOptions;
  timeoutMs: number;
  subdriver?: string;
}

const DEFAULT_TIMEOUT_MS = 1000;
/** Pause between two probes on one port. */
export const PROBE_GAP_MS = 100;

/** C escapes (\r \n \t \\ \xHH) → the text they stand for. */
export function unescapeC(text: string): string {
  return text.replace(/\\(x[0-9A-Fa-f]{2}|.)/g, (_, e: string) => {
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ r: '\r', n: '\n', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const PARITY: Record<string, SerialOptions['parity']> = { N: 'none', E: 'even', O: 'odd' };

function probeFrom(driver: string, m: SerialMatch): SerialProbe | undefined {
  if (m.send !== undefined && m.expect !== undefined) {
    let expect: RegExp;
    try {
      expect = new RegExp(m.expect);
    } catch {
      return undefined;
    }
    const parity = m.parity === 'mark' || m.parity === 'space' ? undefined : m.parity;
    return {
      driver,
      send: unescapeC(m.send),
      expect,
      options: { baudRate: m.baudRate, dataBits: m.dataBits, parity, stopBits: m.stopBits === 2 ? 2 : 1, dtr: m.dtr, rts: m.rts },
      timeoutMs: m.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      subdriver: m.subdriver,
    };
  }
  // "<send> -> <answer> (<baud> <bits><parity><stop>)"
  const t = /^(.+?)\s*->\s*(.+?)\s*(?:\((\d+)\s+([5-8])([NEO])([12])\))?\s*$/.exec(m.probe ?? '');
  if (!t) return undefined;
  return {
    driver,
    send: unescapeC(t[1]),
    expect: new RegExp('^' + escapeRegex(unescapeC(t[2]))),
    options: t[3]
      ? { baudRate: Number(t[3]), dataBits: Number(t[4]) as 5 | 6 | 7 | 8, parity: PARITY[t[5]], stopBits: Number(t[6]) as 1 | 2 }
      : {},
    timeoutMs: DEFAULT_TIMEOUT_MS,
  };
}

export function serialProbes(plugins: readonly PluginInfo[]): SerialProbe[] {
  const out: SerialProbe[] = [];
  for (const p of plugins) {
    for (const m of p.match.serial ?? []) {
      const probe = probeFrom(p.driver, m);
      if (probe) out.push(probe);
    }
  }
  return out;
}

/**
 * NUT's port list syntax: `auto` (ttyS0-9 and ttyUSB0-9), one character X (ttySX, ttyUSBX),
 * `X-Y` (both families), a comma list of /dev/tty… paths, or a single path.
 */
export function serialPorts(spec: string, warn: (s: string) => void): string[] {
  const both = (c: string): string[] => [`/dev/ttyS${c}`, `/dev/ttyUSB${c}`];
  if (spec === 'auto') return [...'0123456789'].flatMap(both);
  if (spec.length === 1) return both(spec);
  const range = /^(.+)-(.+)$/.exec(spec);
  if (range && !spec.startsWith('/')) {
    if (range[1].length !== 1 || range[2].length !== 1) {
      warn('Serial port range out of bound (must be 0 to 9 or a to z depending on your system)\n');
      return [];
    }
    const out: string[] = [];
    for (let c = range[1].charCodeAt(0); c <= range[2].charCodeAt(0); c++) out.push(...both(String.fromCharCode(c)));
    return out;
  }
  if (spec.startsWith('/dev/tty') && spec.includes(',')) return spec.split(',').filter(Boolean);
  return [spec];
}

function stty(args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('stty', args, { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout.trim()));
  });
}

export interface SerialOpener {
  openSerial(path: string, options: SerialOptions): Promise<SerialHandle>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function tryProbe(opener: SerialOpener, port: string, probe: SerialProbe): Promise<boolean> {
  let handle: SerialHandle;
  try {
    handle = await opener.openSerial(port, { ...probe.options, lock: true });
  } catch {
    return false;
  }
  try {
    await handle.flushInput();
    await handle.write(probe.send, { timeoutMs: probe.timeoutMs });
    const answer = await handle.read({ timeoutMs: probe.timeoutMs, idleMs: 50 });
    return probe.expect.test(Buffer.from(answer).toString('latin1'));
  } catch {
    return false;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Probes one port; its line settings are restored whatever happens. */
export async function scanSerialPort(opener: SerialOpener, port: string, probes: readonly SerialProbe[]): Promise<ScanDevice[]> {
  const saved = await stty(['-g', '-F', port]);
  if (saved === undefined) return []; // missing or not a terminal: silent, as NUT
  try {
    for (let i = 0; i < probes.length; i++) {
      if (i > 0) await sleep(PROBE_GAP_MS);
      if (await tryProbe(opener, port, probes[i])) {
        return [{ type: 'EATON_SERIAL', driver: probes[i].driver, port, options: [], subdriver: probes[i].subdriver }];
      }
    }
    return [];
  } finally {
    await stty(['-F', port, saved]);
  }
}
