#!/usr/bin/env node
/**
 * nut-scanner: NUT 2.8.0's options, output formats and exit statuses (reference/nut-scanner.md),
 * with the devices the installed plugins' manifests declare; `--json` and `--write <file>` added.
 */
import { discoverPlugins } from '../plugins/registry.js';
import { loadHostSettings } from '../host/settings.js';
import { LocalDevices } from '../transport/local-devices.js';
import { formatJson, formatNutConf, formatParsable } from '../scanner/format.js';
import { NetmaskError } from '../scanner/ip-range.js';
import { parseScannerArgs, type ScannerOptions } from '../scanner/options.js';
import { ScanResults, runScans } from '../scanner/run.js';
import { usage } from '../scanner/usage.js';
import { writeUpsConf } from '../scanner/write-conf.js';
import type { ScanDevice } from '../scanner/device.js';
import { startWhenMain } from './main-module.js';

export interface ScannerIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** stderr is a terminal: show progress. */
  tty?: boolean;
}

const BAD_ARGS_WARNING =
  "\n\nWARNING: Some error has occurred while processing 'nut-scanner' command-line\narguments, see more details above the usage help text.\n\n";

export function formatDevices(devices: readonly ScanDevice[], format: ScannerOptions['format']): string {
  if (format === 'json') return formatJson(devices);
  return format === 'parsable' ? formatParsable(devices) : formatNutConf(devices);
}

export async function nutScanner(argv: string[], io: ScannerIo, signal?: AbortSignal, results = new ScanResults()): Promise<number> {
  const parsed = parseScannerArgs(argv, io.stderr);
  if (parsed.kind === 'print') {
    io.stdout(parsed.text);
    return 0;
  }
  if (parsed.kind === 'help') {
    io.stdout(usage(512));
    if (parsed.error) io.stderr(BAD_ARGS_WARNING);
    return parsed.status;
  }
  const o = parsed.options;
  const plugins = discoverPlugins(await pluginSettings()).plugins;
  const devices = new LocalDevices();
  let progressShown = false;
  try {
    await runScans(o, {
      plugins,
      listUsb: () => devices.listUsb(),
      serial: devices,
      stderr: io.stderr,
      signal,
      progress:
        io.tty && !o.quiet
          ? (type, done, total) => {
              progressShown = true;
              io.stderr(`\r${type}: ${done}/${total} addresses`);
            }
          : undefined,
    }, results);
  } catch (e) {
    if (e instanceof NetmaskError) {
      io.stderr(e.message + '\n');
      return 1;
    }
    throw e;
  } finally {
    if (progressShown) io.stderr('\r\x1b[K');
    await devices.closeAll();
  }
  const found = results.all();
  io.stdout(formatDevices(found, o.format));
  if (o.write !== undefined) {
    try {
      const r = writeUpsConf(o.write, found, `nut-scanner ${new Date().toISOString()}: ${found.length} device(s) found`);
      for (const a of r.added) io.stderr(`nut-scanner: added [${a.name}] (${a.device.driver} on ${a.device.port}) to ${o.write}\n`);
      for (const p of r.present) io.stderr(`nut-scanner: ${p.device.driver} on ${p.device.port} is already [${p.name}] in ${o.write}\n`);
    } catch (e) {
      io.stderr(`nut-scanner: cannot write ${o.write}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  return 0;
}

async function pluginSettings(): Promise<{ pluginPaths?: readonly string[] }> {
  try {
    return { pluginPaths: (await loadHostSettings(process.cwd())).settings.pluginPaths };
  } catch {
    return {};
  }
}

async function main(argv: string[]): Promise<number> {
  const results = new ScanResults();
  const abort = new AbortController();
  process.once('SIGINT', () => {
    // Ctrl-C: what was found so far, then stop
    abort.abort();
    process.stdout.write(formatDevices(results.all(), parseFormat(argv)));
    process.exit(130);
  });
  return nutScanner(
    argv,
    { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), tty: process.stderr.isTTY },
    abort.signal,
    results,
  );
}

function parseFormat(argv: string[]): ScannerOptions['format'] {
  const parsed = parseScannerArgs(argv, () => {});
  return parsed.kind === 'run' ? parsed.options.format : 'nutconf';
}

startWhenMain(import.meta.url, 'nut-scanner', main);
