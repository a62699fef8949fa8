/**
 * A standalone driver's settings NUT-style (drivers/main.c 2.8.0): ups.conf globals and the
 * `-a` section, then `-x` values (later definitions win), checked against the plugin's
 * options (NUT's addvar table). Produces the InstanceSpec the runtime runs.
 */
import { cAtoi as atoi } from '../config/c-numbers.js';
import type { UpsConf, UpsConfSection } from '../config/ups-conf.js';
import { closest } from '../config/suggest.js';
import type { InstanceSpec } from './worker-protocol.js';
import type { PluginManifest } from '../plugins/manifest.js';

/** Section keys the core handles itself (not driver variables). */
const CORE_VALUE_KEYS = new Set([
  'driver',
  'port',
  'desc',
  'sdorder',
  'user',
  'group',
  'chroot',
  'synchronous',
  'debug_min',
  'sddelay',
  'maxstartdelay',
  'maxretry',
  'retrydelay',
  'nowait',
]);
/** Flags the core publishes as driver.flag.* without the plugin declaring them. */
const CORE_FLAGS = new Set(['nolock', 'ignorelb']);

export class SettingsError extends Error {
  constructor(
    message: string,
    /** NUT exits 0 for an unknown driver variable. */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

export interface DriverSettings {
  upsname: string;
  driver: string;
  port: string;
  pollinterval: number;
  synchronous: 'auto' | 'yes' | 'no';
  debugMin: number;
  options: Array<[string, string | true]>;
  overrides: Array<[string, string]>;
  defaults: Array<[string, string]>;
}

export function emptySettings(driver: string, upsname: string): DriverSettings {
  return { upsname, driver, port: '', pollinterval: 2, synchronous: 'auto', debugMin: 0, options: [], overrides: [], defaults: [] };
}

function synchronous(v: string): 'auto' | 'yes' | 'no' {
  return v === 'yes' ? 'yes' : v === 'auto' ? 'auto' : 'no';
}

function upsert<T>(list: Array<[string, T]>, key: string, value: T): void {
  const i = list.findIndex(([k]) => k.toLowerCase() === key.toLowerCase());
  if (i >= 0) list[i] = [list[i][0], value];
  else list.push([key, value]);
}

export function unknownVariableText(name: string, flag: boolean, manifest: PluginManifest): string {
  const known = Object.keys(manifest.options?.properties ?? {});
  if (name === 'pollinterval') {
    return (
      `\nFatal error: '${name}' is not a valid variable name for this driver.\n\n` +
      'Look in the man page or call this driver with -h for a list of\n' +
      'valid variable names and flags.\n\n' +
      'Hint: set the poll interval with -i <seconds>, or pollinterval in ups.conf.\n'
    );
  }
  const hint = closest(name, [...known, ...CORE_FLAGS, ...CORE_VALUE_KEYS].filter((k) => k !== name));
  return (
    `\nFatal error: '${name}' is not a valid ${flag ? 'flag' : 'variable name'} for this driver.\n\n` +
    'Look in the man page or call this driver with -h for a list of\n' +
    'valid variable names and flags.\n' +
    (hint ? `\nHint: did you mean '${hint}'?` : '') +
    (known.length ? `${hint ? '' : '\nHint:'} ${manifest.driver} accepts: ${known.join(', ')}\n` : hint ? '\n' : '')
  );
}

/** One driver variable (ups.conf section line or -x), NUT's storeval(). */
export function storeValue(s: DriverSettings, manifest: PluginManifest, key: string, value: string | true, fromCommandLine: boolean): void {
  const lower = key.toLowerCase();
  if (lower.startsWith('override.') && typeof value === 'string') {
    upsert(s.overrides, key.slice(9), value);
    return;
  }
  if (lower.startsWith('default.') && typeof value === 'string') {
    upsert(s.defaults, key.slice(8), value);
    return;
  }
  if (value !== true && CORE_VALUE_KEYS.has(key)) {
    if (key === 'port') s.port = value;
    else if (key === 'synchronous') s.synchronous = synchronous(value);
    else if (key === 'debug_min') s.debugMin = Math.max(0, atoi(value));
    else if (key === 'driver' && value !== s.driver) {
      throw new SettingsError(`Error: UPS [${s.upsname}] is for driver ${value}, but I'm ${s.driver}!\n`, 1);
    }
    return;
  }
  if (key === 'pollinterval' && value !== true && !fromCommandLine) {
    const n = atoi(value);
    if (n <= 0) throw new SettingsError(`Error: UPS [${s.upsname}]: invalid pollinterval: ${n}`, 1);
    s.pollinterval = n;
    return;
  }
  if (value === true && CORE_FLAGS.has(key)) {
    upsert(s.options, key, true);
    return;
  }
  const props = manifest.options?.properties ?? {};
  const declared = Object.keys(props).find((k) => k.toLowerCase() === lower);
  if (!declared) throw new SettingsError(unknownVariableText(key, value === true, manifest), 0);
  upsert(s.options, key, value);
}

/** ups.conf globals used by drivers, then the section's lines in file order. */
export function applyUpsConf(s: DriverSettings, conf: UpsConf, section: UpsConfSection, manifest: PluginManifest): void {
  const g = conf.global;
  const pi = g.get('pollinterval');
  if (typeof pi === 'string') {
    const n = atoi(pi);
    if (n <= 0) throw new SettingsError(`Error: invalid pollinterval: ${n}`, 1);
    s.pollinterval = n;
  }
  const sync = g.get('synchronous');
  if (typeof sync === 'string') s.synchronous = synchronous(sync);
  const dm = g.get('debug_min');
  if (typeof dm === 'string') s.debugMin = Math.max(0, atoi(dm));
  for (const [key, value] of section.values) storeValue(s, manifest, key, value, false);
}

export function toInstanceSpec(
  s: DriverSettings,
  manifest: PluginManifest,
  paths: { entryPath: string; confPath: string; pluginDir?: string; tables?: string[] },
  debugLevel: number,
): InstanceSpec {
  const props = manifest.options?.properties ?? {};
  const sensitive = Object.entries(props)
    .filter(([, o]) => o.sensitive)
    .map(([name]) => name);
  return {
    upsname: s.upsname,
    driver: s.driver,
    entryPath: paths.entryPath,
    pluginVersion: manifest.version,
    pluginName: manifest.description,
    port: s.port,
    confPath: paths.confPath,
    pollinterval: s.pollinterval,
    synchronous: s.synchronous,
    debugLevel: Math.max(debugLevel, s.debugMin),
    options: Object.fromEntries(s.options),
    sensitive,
    overrides: s.overrides,
    defaults: s.defaults,
    watchdogMs: 0,
    mode: 'run',
    tables: paths.tables,
    pluginDir: paths.pluginDir,
  };
}
