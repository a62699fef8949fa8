/**
 * Serial scan (`-E <ports>`): each installed plugin's probes (manifest `match.serial`) on each
 * port, ports in parallel, probes on one port one after another with a pause between them;
 * the first probe whose answers all match names the driver and the settings it implies
 * (nutdrv_qx's `protocol`). A command already sent on a port with the same line settings is
 * not sent again: its answer (or silence) is reused, so probes that share a first query
 * (most Q1 protocols) cost one trip. The port's line settings are saved before and put back
 * after (stty), so a probe never leaves a terminal in another mode.
 */
import { execFile } from 'node:child_process';
import type { SerialHandle, SerialOptions } from '../plugin-api/transports.js';
import type { SerialMatch, SerialStep } from '../plugins/manifest.js';
import type { PluginInfo } from '../plugins/registry.js';
import type { ScanDevice } from './device.js';

export interface ProbeStep {
  send: string;
  /** The answer (latin1) must match. */
  expect: RegExp;
  timeoutMs: number;
}

export interface SerialProbe {
  driver: string;
  /** Sent in turn on one open line; every answer must match. */
  steps: ProbeStep[];
  options: SerialOptions;
  /** ups.conf settings printed with the device. */
  settings: Array<[string, string]>;
  /** Sent once per port and line settings before the first command; the answer is dropped. */
  clear?: string;
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

function regex(text: string): RegExp | undefined {
  try {
    return new RegExp(text);
  } catch {
    return undefined;
  }
}

function stepFrom(m: SerialStep): ProbeStep | undefined {
  const expect = regex(m.expect);
  return expect && { send: unescapeC(m.send), expect, timeoutMs: m.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}

function probeFrom(driver: string, m: SerialMatch): SerialProbe | undefined {
  const settings = Object.entries(m.options ?? {});
  if (m.send !== undefined && m.expect !== undefined) {
    const steps = [m as SerialStep, ...(m.then ?? [])].map(stepFrom);
    if (steps.some((st) => st === undefined)) return undefined;
    const parity = m.parity === 'mark' || m.parity === 'space' ? undefined : m.parity;
    return {
      driver,
      steps: steps as ProbeStep[],
      options: { baudRate: m.baudRate, dataBits: m.dataBits, parity, stopBits: m.stopBits === 2 ? 2 : 1, dtr: m.dtr, rts: m.rts },
      settings,
      subdriver: m.subdriver,
      clear: m.clear === undefined ? undefined : unescapeC(m.clear),
    };
  }
  // "<send> -> <answer> (<baud> <bits><parity><stop>)"
  const t = /^(.+?)\s*->\s*(.+?)\s*(?:\((\d+)\s+([5-8])([NEO])([12])\))?\s*$/.exec(m.probe ?? '');
  if (!t) return undefined;
  return {
    driver,
    steps: [{ send: unescapeC(t[1]), expect: new RegExp('^' + escapeRegex(unescapeC(t[2]))), timeoutMs: DEFAULT_TIMEOUT_MS }],
    options: t[3]
      ? { baudRate: Number(t[3]), dataBits: Number(t[4]) as 5 | 6 | 7 | 8, parity: PARITY[t[5]], stopBits: Number(t[6]) as 1 | 2 }
      : {},
    settings,
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

/** What a command got on a port at given line settings: the answer, or null (silence, error). */
type AnswerCache = Map<string, string | null>;

const keyOf = (probe: SerialProbe, step: ProbeStep): string => JSON.stringify([probe.options, step.send]);

/** Whether a probe would send anything, or is settled by answers already had. */
function needsLine(probe: SerialProbe, cache: AnswerCache): boolean {
  for (const step of probe.steps) {
    const answer = cache.get(keyOf(probe, step));
    if (answer === undefined) return true;
    if (answer === null || !step.expect.test(answer)) return false;
  }
  return false;
}

async function tryProbe(opener: SerialOpener, port: string, probe: SerialProbe, cache: AnswerCache): Promise<boolean> {
  let handle: SerialHandle | undefined;
  try {
    for (const step of probe.steps) {
      const key = keyOf(probe, step);
      let answer = cache.get(key);
      if (answer === undefined) {
        try {
          handle ??= await opener.openSerial(port, { ...probe.options, lock: true });
        } catch {
          return false;
        }
        await clearLine(handle, probe, cache);
        answer = await ask(handle, step);
        cache.set(key, answer);
      }
      if (answer === null || !step.expect.test(answer)) return false;
    }
    return true;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

const CLEAR_WAIT_MS = 200;

async function clearLine(handle: SerialHandle, probe: SerialProbe, cache: AnswerCache): Promise<void> {
  if (probe.clear === undefined) return;
  const key = JSON.stringify([probe.options, null, probe.clear]);
  if (cache.has(key)) return;
  cache.set(key, null);
  await handle.write(probe.clear, { timeoutMs: CLEAR_WAIT_MS }).catch(() => undefined);
  await handle.read({ timeoutMs: CLEAR_WAIT_MS, idleMs: 50 }).catch(() => undefined);
}

async function ask(handle: SerialHandle, step: ProbeStep): Promise<string | null> {
  try {
    await handle.flushInput();
    await handle.write(step.send, { timeoutMs: step.timeoutMs });
    const answer = await handle.read({ timeoutMs: step.timeoutMs, idleMs: 50 });
    return Buffer.from(answer).toString('latin1');
  } catch {
    return null;
  }
}

/** Runs the probes on one port in turn; the first whose answers all match gives the device. */
export async function probePort(opener: SerialOpener, port: string, probes: readonly SerialProbe[], gapMs = PROBE_GAP_MS): Promise<ScanDevice | undefined> {
  const cache: AnswerCache = new Map();
  let sent = false;
  for (const probe of probes) {
    const fresh = needsLine(probe, cache);
    if (sent && fresh) await sleep(gapMs);
    sent ||= fresh;
    if (await tryProbe(opener, port, probe, cache)) {
      return { type: 'EATON_SERIAL', driver: probe.driver, port, options: [...probe.settings], subdriver: probe.subdriver };
    }
  }
  return undefined;
}

/** Probes one port; its line settings are restored whatever happens. */
export async function scanSerialPort(opener: SerialOpener, port: string, probes: readonly SerialProbe[]): Promise<ScanDevice[]> {
  const saved = await stty(['-g', '-F', port]);
  if (saved === undefined) return []; // missing or not a terminal: silent, as NUT
  try {
    const found = await probePort(opener, port, probes);
    return found ? [found] : [];
  } finally {
    await stty(['-F', port, saved]);
  }
}
