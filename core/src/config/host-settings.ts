/**
 * nut-ts host settings (what NUT's files cannot say), found with cosmiconfig under the module
 * name `nut-ts`: nut-ts.config.{json,js,mjs,cjs,ts}, .nut-tsrc[.json|.yaml|.yml|.js|.ts|.mjs|.cjs],
 * .config/nut-tsrc*, or a "nut-ts" field in package.json; validated by
 * schemas/host-settings.schema.json. A bad settings file never stops the host: its problems are
 * reported and the defaults stand in for the invalid keys.
 *
 * Defaults, and why:
 * - workersPerInstance "auto": instances of a plugin whose sharing was measured (dummy-ups,
 *   snmp-ups, apcsmart, nutdrv_qx, usbhid-ups: core/src/host/pool-policy.ts) share workers, up
 *   to instancesPerWorker each; any other plugin gets a worker per instance (isolation for code
 *   nobody measured). A pooled instance that blocks its worker is still named and restarted;
 *   its pool-mates restart with it.
 * - outOfProcess []: plugins run in worker threads; a plugin listed here (or one whose thread
 *   once stayed blocked in a system call after terminate) runs in child processes instead.
 * - confined []: plugins run with the host's full access (they are trusted code, as NUT's
 *   drivers are); a driver or UPS listed here runs in a child process of its own under Node's
 *   permission model (core/src/host/confinement.ts), for plugins from third parties.
 * - watchdogMs 30000: twice upsd's MAXAGE (15 s). A call still running after that has already
 *   made the device stale for every client, so waiting longer only delays the restart; an SNMP
 *   request with NUT's snmp-ups defaults (1 s timeout, 5 retries) fits many times over.
 * - initWatchdogMs: the section's maxstartdelay (NUT's upsdrvctl default 45 s), because start-up
 *   (USB enumeration, SNMP walks of large ePDUs) may legitimately take longer than one update.
 *   Unset, that limit applies to an init that blocks its thread; an init that is awaiting its
 *   device is reported slow at maxstartdelay and left to run up to 10 minutes, as NUT's
 *   upsdrvctl stops waiting for a driver but does not stop it. Set, it is the one limit.
 * - restart 1 s doubling to 60 s, reset after 60 s of good running: a crash loop costs little
 *   CPU, a one-off crash is repaired within a second or two.
 * - transport "process": native device code (serialport, usb, node-hid) runs in a child the
 *   host restarts, so a segfault there costs a reopen, never upsd (measured in the README).
 * - resourceLimits.maxOldGenerationSizeMb 128: far above what a driver needs, low enough that a
 *   leaking plugin dies alone instead of taking the host with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, basename } from 'node:path';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleSettings } from './login-throttle-settings.js';
import { problem, sortProblems, type ConfigProblem } from './problems.js';
import { allowedBy, severityOf, validatorFor, loadSchema, type JsonSchema } from './schemas.js';
import { closest } from './suggest.js';

export type WorkerPolicy = 'auto' | 'instance' | 'plugin';

export interface RestartSettings {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  resetAfterMs: number;
  /** Consecutive failed restarts before giving up; undefined = never give up. */
  maxRestarts?: number;
}

export interface WorkerResourceLimits {
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb: number;
}

export interface HostSettings {
  /** Absolute paths (relative entries are resolved against the settings file's directory). */
  pluginPaths: string[];
  workersPerInstance: WorkerPolicy;
  /** Instances per worker when pooled: one number, or per driver name ("*": any other). */
  instancesPerWorker?: number | Record<string, number>;
  /** Drivers whose instances run in child processes instead of worker threads ("*": all). */
  outOfProcess?: string[];
  /** Drivers or UPS names whose instances run confined (Node's permission model); "*": all. */
  confined?: string[];
  watchdogMs: number;
  /** upsd's idle drop; NUT's fixed value is 60 s. */
  clientIdleTimeoutMs: number;
  /** Undefined: use the section's maxstartdelay. */
  initWatchdogMs?: number;
  restart: RestartSettings;
  resourceLimits: WorkerResourceLimits;
  /** Where the native device modules run (see the schema). */
  transport: 'process' | 'main-thread';
  /** Serial port name → the path opened instead (a simulator's pty). */
  transportRedirects: Record<string, string>;
  /** upsd's failed-login throttle; undefined: its defaults (config/login-throttle-settings.ts). */
  loginThrottle?: LoginThrottleSettings;
  /** The user the host runs as after opening what needs root (host/privileges.ts). */
  runAsUser?: string;
  /** upsd announces itself over mDNS (`_nut._tcp`, `_upsd._tcp`); off by default. */
  mdns: { enabled: boolean; port?: number; group?: string };
  /** The HTTP service; undefined = off. */
  http?: HttpSettings;
  /** The MQTT publisher; undefined = off. */
  mqtt?: MqttSettings;
}

export interface HttpSettings {
  listen: string;
  anonymousRead: boolean;
  anonymousMetrics: boolean;
  tls: boolean;
  eventBuffer: number;
  historyIntervalMs: number;
  historyPoints: number;
}

export interface MqttSettings {
  url: string;
  username?: string;
  password?: string;
  baseTopic: string;
  discoveryPrefix: string;
  nodeId: string;
  commands: Record<string, string[]>;
  bufferLimit: number;
}

export function defaultHttpSettings(): HttpSettings {
  return { listen: '127.0.0.1:8080', anonymousRead: false, anonymousMetrics: false, tls: false, eventBuffer: 4096, historyIntervalMs: 30_000, historyPoints: 720 };
}

export function defaultMqttSettings(url: string): MqttSettings {
  return { url, baseTopic: 'nut', discoveryPrefix: 'homeassistant', nodeId: 'nutts', commands: {}, bufferLimit: 10_000 };
}

export interface HostSettingsResult {
  settings: HostSettings;
  /** The file the settings came from; undefined when none was found (all defaults). */
  filepath?: string;
  problems: ConfigProblem[];
}

export const MODULE_NAME = 'nut-ts';

export const SEARCH_PLACES = [
  'package.json',
  `.${MODULE_NAME}rc`,
  `.${MODULE_NAME}rc.json`,
  `.${MODULE_NAME}rc.yaml`,
  `.${MODULE_NAME}rc.yml`,
  `.${MODULE_NAME}rc.js`,
  `.${MODULE_NAME}rc.ts`,
  `.${MODULE_NAME}rc.mjs`,
  `.${MODULE_NAME}rc.cjs`,
  `.config/${MODULE_NAME}rc`,
  `.config/${MODULE_NAME}rc.json`,
  `.config/${MODULE_NAME}rc.yaml`,
  `.config/${MODULE_NAME}rc.yml`,
  `.config/${MODULE_NAME}rc.js`,
  `.config/${MODULE_NAME}rc.ts`,
  `.config/${MODULE_NAME}rc.mjs`,
  `.config/${MODULE_NAME}rc.cjs`,
  `${MODULE_NAME}.config.json`,
  `${MODULE_NAME}.config.js`,
  `${MODULE_NAME}.config.ts`,
  `${MODULE_NAME}.config.mjs`,
  `${MODULE_NAME}.config.cjs`,
];

export function defaultHostSettings(): HostSettings {
  return {
    pluginPaths: [],
    workersPerInstance: 'auto',
    watchdogMs: 30_000,
    clientIdleTimeoutMs: 60_000,
    restart: { initialDelayMs: 1_000, maxDelayMs: 60_000, factor: 2, resetAfterMs: 60_000 },
    resourceLimits: { maxOldGenerationSizeMb: 128, stackSizeMb: 4 },
    transport: 'process',
    transportRedirects: {},
    mdns: { enabled: false },
  };
}

/** TypeScript settings files load through jiti (no build step), like plugins; loaded only then. */
const loadTs: Loader = async (filepath) => {
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false });
  return jiti.import(filepath, { default: true });
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Best effort: the line of `"key"` (or `key:`) in the settings file text. */
function lineOfKey(text: string | undefined, key: string): number {
  if (!text) return 0;
  const lines = text.split('\n');
  const quoted = `"${key}"`;
  const bare = new RegExp(`(^|[\\s{,])['"]?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]?\\s*:`);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].includes(quoted) || bare.test(lines[i])) return i + 1;
  }
  return 0;
}

/**
 * Searches for the settings from `searchFrom` up to the nearest package.json (cosmiconfig's
 * "project" strategy) and returns them merged over the defaults.
 */
export async function loadHostSettings(searchFrom: string = process.cwd(), confPath?: string): Promise<HostSettingsResult> {
  // the admin's place first: nut-ts.config.json next to ups.conf
  const besideConf = confPath ? resolve(confPath, `${MODULE_NAME}.config.json`) : undefined;
  if (besideConf && existsSync(besideConf)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(besideConf, 'utf8'));
    } catch (e) {
      return {
        settings: defaultHostSettings(),
        filepath: besideConf,
        problems: [problem('error', basename(besideConf), 0, `cannot load the host settings: ${(e as Error).message.replace(/\s+/g, ' ')}; using the defaults`)],
      };
    }
    return resolveHostSettings(raw, besideConf);
  }
  const explorer = cosmiconfig(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'project',
    loaders: { '.ts': loadTs, '.mts': loadTs, '.cts': loadTs },
    cache: false,
  });
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    found = await explorer.search(searchFrom);
  } catch (e) {
    const err = e as Error & { filepath?: string };
    const file = err.filepath ? basename(err.filepath) : 'host settings';
    return {
      settings: defaultHostSettings(),
      filepath: err.filepath,
      problems: [problem('error', file, 0, `cannot load the host settings: ${err.message.replace(/\s+/g, " ")}; using the defaults`)],
    };
  }
  if (!found || found.isEmpty) return { settings: defaultHostSettings(), filepath: found?.filepath, problems: [] };
  return resolveHostSettings(found.config, found.filepath);
}

/** Validates settings already loaded (e.g. from a test or another source) and applies defaults. */
export function resolveHostSettings(raw: unknown, filepath: string): HostSettingsResult {
  const file = basename(filepath);
  let text: string | undefined;
  try {
    text = readFileSync(filepath, 'utf8');
  } catch {
    text = undefined;
  }
  const settings = defaultHostSettings();
  const problems: ConfigProblem[] = [];
  const data = raw !== null && typeof raw === 'object' && 'default' in raw && Object.keys(raw).length === 1 ? (raw as { default: unknown }).default : raw;
  if (!isObject(data)) {
    problems.push(problem('error', file, 0, `the host settings must be an object, not ${Array.isArray(data) ? 'an array' : typeof data}; using the defaults`));
    return { settings, filepath, problems };
  }
  const validate = validatorFor('host-settings');
  const schema = loadSchema('host-settings');
  const bad = new Set<string>();
  if (!validate(data)) {
    for (const err of validate.errors ?? []) {
      const parts = err.instancePath.split('/').filter(Boolean);
      if (err.keyword === 'additionalProperties') {
        const extra = String((err.params as { additionalProperty: string }).additionalProperty);
        const parent = parts.length ? (schema.properties?.[parts[0]] as JsonSchema | undefined) : schema;
        const known = Object.keys(parent?.properties ?? {});
        const suggestion = closest(extra, known);
        const key = [...parts, extra].join('.');
        problems.push(
          problem('error', file, lineOfKey(text, extra), `unknown setting '${key}'`, {
            key,
            suggestion,
            allowed: suggestion ? undefined : known.join(', '),
          }),
        );
        continue;
      }
      const key = parts.join('.');
      bad.add(parts[0]);
      if (parts.length > 1) bad.add(key);
      problems.push(
        problem(severityOf(err), file, lineOfKey(text, parts[parts.length - 1] ?? ''), `'${key}' ${err.message ?? 'is not valid'} (got ${JSON.stringify(err.data)}); using the default`, {
          key,
          allowed: err.keyword === 'enum' ? undefined : allowedBy(err),
          suggestion:
            err.keyword === 'enum' && typeof err.data === 'string'
              ? closest(err.data, (err.params as { allowedValues: unknown[] }).allowedValues.map(String))
              : undefined,
        }),
      );
    }
  }
  const base = dirname(filepath);
  const ok = (k: string) => !bad.has(k);
  if (Array.isArray(data.pluginPaths) && ok('pluginPaths')) {
    settings.pluginPaths = (data.pluginPaths as string[]).map((p) => (isAbsolute(p) ? p : resolve(base, p)));
  }
  if (ok('workersPerInstance') && typeof data.workersPerInstance === 'string') settings.workersPerInstance = data.workersPerInstance as WorkerPolicy;
  if (ok('instancesPerWorker') && (typeof data.instancesPerWorker === 'number' || isObject(data.instancesPerWorker))) {
    settings.instancesPerWorker = data.instancesPerWorker as number | Record<string, number>;
  }
  if (ok('outOfProcess') && Array.isArray(data.outOfProcess)) settings.outOfProcess = data.outOfProcess as string[];
  if (ok('confined') && Array.isArray(data.confined)) settings.confined = data.confined as string[];
  if (ok('watchdogMs') && typeof data.watchdogMs === 'number') settings.watchdogMs = data.watchdogMs;
  if (ok('clientIdleTimeoutMs') && typeof data.clientIdleTimeoutMs === 'number') settings.clientIdleTimeoutMs = data.clientIdleTimeoutMs;
  if (ok('initWatchdogMs') && typeof data.initWatchdogMs === 'number') settings.initWatchdogMs = data.initWatchdogMs;
  if (ok('loginThrottle') && isObject(data.loginThrottle)) settings.loginThrottle = { ...DEFAULT_LOGIN_THROTTLE, ...(data.loginThrottle as Partial<LoginThrottleSettings>) };
  if (ok('runAsUser') && typeof data.runAsUser === 'string') settings.runAsUser = data.runAsUser;
  if (ok('transport') && typeof data.transport === 'string') settings.transport = data.transport as HostSettings['transport'];
  if (ok('transportRedirects') && isObject(data.transportRedirects)) {
    settings.transportRedirects = Object.fromEntries(
      Object.entries(data.transportRedirects as Record<string, string>).map(([from, to]) => [from, isAbsolute(to) ? to : resolve(base, to)]),
    );
  }
  if (ok('mdns') && isObject(data.mdns)) {
    const m = data.mdns as Record<string, unknown>;
    settings.mdns = {
      enabled: m.enabled === true,
      ...(typeof m.port === 'number' ? { port: m.port } : {}),
      ...(typeof m.group === 'string' ? { group: m.group } : {}),
    };
  }
  if (ok('http') && isObject(data.http)) settings.http = { ...defaultHttpSettings(), ...(data.http as Partial<HttpSettings>) };
  if (ok('mqtt') && isObject(data.mqtt) && typeof data.mqtt.url === 'string') {
    settings.mqtt = { ...defaultMqttSettings(data.mqtt.url), ...(data.mqtt as Partial<MqttSettings>) };
  }
  for (const group of ['restart', 'resourceLimits'] as const) {
    const given = data[group];
    if (!isObject(given)) continue;
    const target = settings[group] as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(given)) {
      if (typeof v === 'number' && !bad.has(`${group}.${k}`) && Object.hasOwn((schema.properties?.[group] as JsonSchema).properties ?? {}, k)) target[k] = v;
    }
  }
  return { settings, filepath, problems: sortProblems(problems) };
}
