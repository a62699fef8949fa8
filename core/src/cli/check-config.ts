#!/usr/bin/env node
/**
 * `nut check-config [confdir]`: reads every NUT config file and prints every problem, one per
 * line (`ups.conf:12: [myups] key 'prot' is not an option of driver dummy-ups; did you mean
 * 'port'?`). Exit status 1 when there is an error, 0 otherwise (warnings alone), 2 on bad usage.
 * Driver options are checked against the installed plugins' manifests.
 */
import { startWhenMain } from './main-module.js';
import { effectiveManifest } from '../plugins/effective-manifest.js';
import { checkConfig, type CheckConfigOptions } from '../config/check-config.js';
import type { NutMode } from '../config/nut-conf.js';
import { NUT_MODES } from '../config/nut-conf.js';
import { loadHostSettings } from '../config/host-settings.js';
import { formatProblem } from '../config/problems.js';
import type { DriverOptionsLookup } from '../config/validate-ups-conf.js';
import { discoverPlugins, findDriverPlugin } from '../plugins/registry.js';

export interface CheckConfigDeps {
  /** The plugin registry's view of a driver name (H3 passes it from `nut check-config`). */
  lookupDriver?: DriverOptionsLookup;
  knownDrivers?: readonly string[];
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Driver lookup from the installed plugins (host settings' pluginPaths, node_modules, plugins/).
 * A plugin that extends an engine accepts the engine's options plus its own.
 */
export async function registryDeps(cwd: string): Promise<{ lookupDriver: DriverOptionsLookup; knownDrivers: string[]; notes: string[] }> {
  const hs = await loadHostSettings(cwd);
  const notes = hs.problems.map(formatProblem);
  const settings = { pluginPaths: hs.settings.pluginPaths, cwd };
  const listing = discoverPlugins(settings);
  for (const p of listing.problems) notes.push(`plugin: ${p.message}`);
  const lookupDriver: DriverOptionsLookup = (driver) => {
    let runnable;
    try {
      runnable = findDriverPlugin(driver, settings, listing);
    } catch {
      return 'unknown-driver'; // a broken provider: its problem is among the notes
    }
    if (!runnable) return 'unknown-driver';
    return effectiveManifest(runnable).options;
  };
  return { lookupDriver, knownDrivers: listing.plugins.map((p) => p.driver), notes };
}

const USAGE = `usage: check-config [OPTIONS] [<confdir>]

Reads ups.conf, upsd.conf, upsd.users, nut.conf, upsmon.conf and upssched.conf and
reports every problem at once.

  <confdir>          config directory (default: $NUT_CONFPATH, else /etc/nut)
  -m, --mode <mode>  check as if nut.conf said MODE=<mode> (none, standalone, netserver, netclient)
  -q, --quiet        print errors only
      --json         print the problems as JSON
  -h, --help         this help

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 bad usage.`;

export async function main(argv: string[], deps: CheckConfigDeps = {}): Promise<number> {
  const out = deps.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const err = deps.err ?? ((l: string) => process.stderr.write(l + '\n'));
  const env = deps.env ?? process.env;
  let confPath: string | undefined;
  let mode: NutMode | undefined;
  let quiet = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      out(USAGE);
      return 0;
    } else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === '--json') json = true;
    else if (a === '-m' || a === '--mode') {
      const m = argv[++i];
      if (!(NUT_MODES as readonly string[]).includes(m ?? '')) {
        err(`check-config: --mode needs one of: ${NUT_MODES.join(', ')}`);
        return 2;
      }
      mode = m as NutMode;
    } else if (a.startsWith('-')) {
      err(`check-config: unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (confPath === undefined) confPath = a;
    else {
      err(`check-config: only one config directory may be given\n${USAGE}`);
      return 2;
    }
  }
  confPath ??= env.NUT_CONFPATH || '/etc/nut';
  let { lookupDriver, knownDrivers } = deps;
  if (!lookupDriver) {
    const found = await registryDeps(process.cwd());
    ({ lookupDriver, knownDrivers } = found);
    for (const n of found.notes) err(`check-config: ${n}`);
  }
  const opts: CheckConfigOptions = { env, mode, lookupDriver, knownDrivers };
  const result = checkConfig(confPath, opts);
  const shown = quiet ? result.problems.filter((p) => p.severity === 'error') : result.problems;
  if (json) {
    out(JSON.stringify({ confPath: result.confPath, mode: result.mode, errors: result.errors, warnings: result.warnings, problems: shown }, null, 2));
  } else {
    for (const p of shown) out(formatProblem(p));
    err(`check-config: ${confPath}: ${result.errors} error(s), ${result.warnings} warning(s)`);
  }
  return result.errors > 0 ? 1 : 0;
}


startWhenMain(import.meta.url, 'check-config', main, 2);
