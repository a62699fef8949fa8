/**
 * The host: one supervised instance per ups.conf section (a plugin in a worker thread, or
 * NUT's C driver when no plugin provides the driver), published as a DeviceDirectory for
 * upsd, plus the upsd service itself. The control socket and the CLIs drive it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Device, DeviceDirectory } from '../dstate/device.js';
import { StateTree } from '../dstate/tree.js';
import { DRIVER_CORE_VERSION } from '../driver/version.js';
import { closest } from '../plugins/validate.js';
import { discoverPlugins, findDriverPlugin, PluginError, type PluginListing, type PluginSearchSettings } from '../plugins/registry.js';
import { buildInstanceSpec, effectiveManifest as manifestOf, SettingsError } from './instance-spec.js';
import { SupervisedInstance, type InstanceLogger, type InstanceState, type InstanceStatus, type RunCallbacks, type RunHandle, type StartOptions, type StartResult } from './instance.js';
import { NutDriverInstance } from './nut-driver-instance.js';
import type { NutPaths } from './paths.js';
import { DEFAULT_RESTART } from './restart-policy.js';
import { mergeSettings, workerResourceLimits, type HostSettings, type HostSettingsInput } from './settings.js';
import { int, problemLines, readUpsConf, str, type UpsConf, type UpsConfSection } from './ups-conf.js';
import { SocketExport } from './socket-export.js';
import { UpsdService } from './upsd-service.js';
import { defaultWorkerPath, WorkerInstance } from './worker-instance.js';
import { WorkerPool, type HostTransports } from './worker-pool.js';
import { instancesPerWorker, runsConfined, runsOutOfProcess } from './pool-policy.js';
import { confinedLaunch } from './confinement.js';
import { TransportService } from '../transport/service.js';

export type HostLogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error';
export type HostLogger = (level: HostLogLevel, message: string) => void;

export interface HostOptions {
  paths: NutPaths;
  /** Any part of the host settings; the rest are the defaults. */
  settings?: HostSettingsInput;
  /** Where node_modules discovery starts (default process.cwd()). */
  cwd?: string;
  /** Extra discovery switches (tests turn the repository's plugins off). */
  pluginSearch?: Omit<PluginSearchSettings, 'pluginPaths' | 'cwd'>;
  workerPath?: string;
  log?: HostLogger;
  /** A ups.conf to use instead of <confPath>/ups.conf (the built-in demo). */
  upsConf?: UpsConf;
  /** Publish worker instances on NUT driver sockets in the state path (default true). */
  driverSockets?: boolean;
  /** The host's device transport service (worker-pool.ts HostTransports); none: no devices. */
  transports?: HostTransports;
}

export interface HostStatus {
  pid: number;
  startedAt: number;
  uptimeSec: number;
  confPath: string;
  statePath: string;
  configProblems: string[];
  upsd: { running: boolean; bound: Array<{ host: string; port: number }>; startedAt?: number };
  instances: InstanceStatus[];
}

/** A section the host cannot run: every start ends at once with the reason. */
class UnavailableInstance extends SupervisedInstance {
  readonly tree = new StateTree();
  constructor(
    name: string,
    driver: string,
    desc: string | undefined,
    logger: InstanceLogger,
    private readonly reasons: string[],
    private readonly exitStatus = 1,
    /** Nothing can be executed at all: start fails at once, like NUT's "Can't start". */
    private readonly fatal = false,
    /** What NUT's driver would print on its standard output (its banner, some refusals). */
    readonly stdout: string[] = [],
  ) {
    super(name, driver, desc, logger);
  }
  protected override cannotStart(): string[] | undefined {
    return this.fatal ? [...this.reasons] : undefined;
  }
  get connected(): boolean {
    return false;
  }
  get lastHeard(): number {
    return 0;
  }
  get provider(): string {
    return 'none';
  }
  protected launch(cb: RunCallbacks): RunHandle {
    setImmediate(() => {
      for (const r of this.reasons.slice(0, -1)) cb.log('error', r);
      cb.ended(this.reasons[this.reasons.length - 1], this.exitStatus);
    });
    return { runId: undefined, stop() {}, kill() {}, shutdown: () => false, instcmd: () => false, setvar: () => false };
  }
  protected markDown(): void {
    this.tree.setStale(true);
  }
  protected shutdownOnce(): Promise<StartResult> {
    return Promise.resolve({ ok: false, messages: [...this.reasons] });
  }
  protected shutdownRunning(): Promise<StartResult> {
    return this.shutdownOnce();
  }
}

/** The line a NUT driver prints first on its standard output. */
function pluginBanner(m: { description: string; version: string }): string {
  const name = /river/.test(m.description) ? m.description : `${m.description} driver`;
  return `Network UPS Tools - ${name} ${m.version} (${DRIVER_CORE_VERSION})`;
}

/**
 * Starts in flight at once. Placing an instance in a worker is cheap once the worker runs, and
 * a bounded number keeps a burst of new workers (isolated plugins) from all loading together.
 */
export const START_LANES = 512;

/**
 * How long an init may go on past maxstartdelay while its worker is alive (awaiting its device):
 * NUT's drivers have no limit at all, but an init awaiting a promise that never settles has to
 * end some time (host setting initWatchdogMs, when set, is the one limit instead).
 */
export const ALIVE_INIT_LIMIT_MS = 10 * 60_000;

/** Seconds upsdrvctl waits for this section's driver (section, else global, else 45). */
export function maxstartdelayMs(conf: UpsConf, section: UpsConfSection): number {
  const globalDelay = int(conf.global.get('maxstartdelay'), 45);
  return (section.values.has('maxstartdelay') ? int(section.values.get('maxstartdelay'), globalDelay) : globalDelay) * 1000;
}

export class Host implements DeviceDirectory {
  readonly paths: NutPaths;
  readonly startedAt = Date.now();
  readonly upsd: UpsdService;
  private readonly instances = new Map<string, SupervisedInstance>();
  private readonly exports = new Map<SupervisedInstance, SocketExport>();
  /** Sections without driver or port: upsd ignores them, a start fails as NUT's does. */
  private readonly incomplete = new Map<string, SupervisedInstance>();
  /** Fingerprint of the section each instance was built from. */
  private readonly built = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private readonly stateListeners = new Set<(instance: SupervisedInstance, state: InstanceState) => void>();
  private conf: UpsConf | undefined;
  private configProblems: string[] = [];
  private readonly log: HostLogger;
  private settings: HostSettings;
  private closed = false;
  /** Serial/USB/HID devices of every instance; its transport process starts with the first open. */
  private transportService: TransportService | undefined;
  /** Driver workers of every plugin instance of this host. */
  readonly pool: WorkerPool;

  constructor(private readonly options: HostOptions) {
    this.paths = options.paths;
    this.settings = mergeSettings(options.settings);
    this.log = options.log ?? (() => {});
    const host = this;
    this.pool = new WorkerPool({
      workerPath: options.workerPath ?? defaultWorkerPath(),
      get resourceLimits() {
        return workerResourceLimits(host.settings);
      },
      instancesPerWorker: (spec) => instancesPerWorker(this.settings, spec),
      outOfProcess: (spec) => runsOutOfProcess(this.settings, spec),
      confined: (spec) => (runsConfined(this.settings, spec) ? confinedLaunch(spec) : undefined),
      transports: options.transports ?? this.transports.forWorkers(),
      log: (level, message) => this.log(level, message),
    });
    this.upsd = new UpsdService(
      this,
      this.paths.confPath,
      (level, message) => this.log(level, `upsd: ${message}`),
      this.settings.clientIdleTimeoutMs,
      this.settings.mdns,
      this.settings.loginThrottle,
    );
  }

  // DeviceDirectory
  list(): readonly Device[] {
    return [...this.instances.values()];
  }

  get(name: string): Device | undefined {
    return this.instance(name);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every state change of every instance (including ones rebuilt later). */
  onInstanceState(listener: (instance: SupervisedInstance, state: InstanceState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  instance(name: string): SupervisedInstance | undefined {
    const exact = this.instances.get(name) ?? this.incomplete.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    for (const [k, v] of this.instances) if (k.toLowerCase() === lower) return v;
    return undefined;
  }

  get upsConf(): UpsConf | undefined {
    return this.conf;
  }

  setSettings(settings: HostSettingsInput): void {
    this.settings = mergeSettings(settings);
  }

  private searchSettings(): PluginSearchSettings {
    return { ...this.options.pluginSearch, pluginPaths: this.settings.pluginPaths, cwd: this.options.cwd };
  }

  get transports(): TransportService {
    this.transportService ??= new TransportService({
      mode: this.settings.transport,
      redirects: this.settings.transportRedirects,
      log: (level, message) => this.log(level, message),
    });
    return this.transportService;
  }

  /**
   * The plugins found, once per configuration load (a thousand sections must not mean a
   * thousand scans of node_modules); a newly installed plugin is seen at the next load.
   */
  private listing: PluginListing | undefined;

  /** The package directory of the plugin that runs `driver`, if one is installed. */
  pluginDir(driver: string): string | undefined {
    try {
      return findDriverPlugin(driver, this.searchSettings(), this.plugins())?.plugin.dir;
    } catch {
      return undefined;
    }
  }

  private plugins(): PluginListing {
    this.listing ??= discoverPlugins(this.searchSettings());
    return this.listing;
  }

  private instanceLogger(): InstanceLogger {
    return (level, message) => this.log(level, message);
  }

  /** Builds the instance for one section: plugin, else NUT's C driver, else unavailable. */
  private createInstance(conf: UpsConf, section: UpsConfSection, debugLevel: number): SupervisedInstance {
    const instance = this.buildInstance(conf, section, debugLevel);
    instance.onStateChange((state) => {
      for (const l of this.stateListeners) l(instance, state);
    });
    if (instance instanceof WorkerInstance && this.options.driverSockets !== false) {
      this.exports.set(instance, new SocketExport(instance, this.paths.statePath, this.instanceLogger()));
    }
    return instance;
  }

  private buildInstance(conf: UpsConf, section: UpsConfSection, debugLevel: number): SupervisedInstance {
    const driver = str(section.values.get('driver')) ?? '';
    const desc = str(section.values.get('desc'));
    const logger = this.instanceLogger();
    let runnable;
    try {
      runnable = findDriverPlugin(driver, this.searchSettings(), this.plugins());
    } catch (e) {
      const message = e instanceof PluginError ? e.message : (e as Error).message;
      return new UnavailableInstance(section.name, driver, desc, logger, [message]);
    }
    let instance: SupervisedInstance;
    if (runnable) {
      let spec;
      try {
        spec = buildInstanceSpec(conf, section, runnable, {
          confPath: this.paths.confPath,
          debugLevel,
          watchdogMs: this.settings.watchdogMs,
        });
      } catch (e) {
        if (!(e instanceof SettingsError)) throw e;
        // NUT's driver prints its banner, and an unknown variable (exit 0) on stdout too
        const stdout = [pluginBanner(manifestOf(runnable)), ...(e.exitCode === 0 ? [e.message] : [])];
        return new UnavailableInstance(section.name, driver, desc, logger, [e.message], e.exitCode, false, stdout);
      }
      const startDelay = maxstartdelayMs(conf, section);
      instance = new WorkerInstance({
        spec,
        desc,
        provider: `plugin ${runnable.plugin.packageName}@${runnable.plugin.packageVersion}`,
        logger,
        pool: this.pool,
        initWatchdogMs: this.settings.initWatchdogMs ?? startDelay,
        initAliveMs: this.settings.initWatchdogMs ?? Math.max(startDelay, ALIVE_INIT_LIMIT_MS),
      });
    } else {
      const driverPath = str(conf.global.get('driverpath')) ?? this.paths.driverPath;
      const program = join(driverPath, driver);
      if (!existsSync(program)) {
        const known = this.plugins().plugins.map((p) => p.driver);
        const hint = closest(driver, known);
        return new UnavailableInstance(
          section.name,
          driver,
          desc,
          logger,
          [
            `no nut-ts plugin provides driver "${driver}"${hint ? ` (did you mean "${hint}"?)` : ''}, and NUT has no such driver either`,
            `Can't start ${program}: No such file or directory`,
          ],
          1,
          true,
        );
      }
      instance = new NutDriverInstance({
        name: section.name,
        driver,
        desc,
        program,
        confPath: this.paths.confPath,
        statePath: this.paths.statePath,
        altPidPath: this.paths.altPidPath,
        debugLevel,
        logger,
      });
    }
    const r = this.settings.restart;
    instance.setPolicy({
      maxretry: int(conf.global.get('maxretry'), DEFAULT_RESTART.maxretry),
      retrydelayMs: int(conf.global.get('retrydelay'), DEFAULT_RESTART.retrydelayMs / 1000) * 1000,
      initialDelayMs: r.initialDelayMs,
      factor: r.factor,
      maxDelayMs: r.maxDelayMs,
      resetAfterMs: r.resetAfterMs,
      maxRestarts: r.maxRestarts,
    });
    return instance;
  }

  private fingerprint(conf: UpsConf, section: UpsConfSection): string {
    return JSON.stringify([[...conf.global], [...section.values], this.settings]);
  }

  /**
   * (Re)reads ups.conf. Sections that are not running are rebuilt (a newly installed plugin is
   * picked up); running ones keep their instance until they are restarted; sections that are
   * gone are stopped and removed. Returns the problems found (the file is still used).
   */
  loadConfig(debugLevel = 0): { ok: boolean; messages: string[] } {
    this.listing = undefined;
    let conf: UpsConf;
    try {
      conf = this.options.upsConf ?? readUpsConf(this.paths.confPath);
    } catch (e) {
      return { ok: false, messages: [(e as Error).message] };
    }
    this.conf = conf;
    this.configProblems = problemLines(conf);
    const messages = [...this.configProblems];
    const next = new Map<string, SupervisedInstance>();
    const incomplete = new Map<string, SupervisedInstance>();
    let changed = false;
    for (const section of conf.sections) {
      if (next.has(section.name)) continue;
      const driverName = str(section.values.get('driver'));
      if (!driverName || !str(section.values.get('port'))) {
        messages.push(`ignoring incomplete configuration for UPS [${section.name}]`);
        const driverPath = str(conf.global.get('driverpath')) ?? this.paths.driverPath;
        const reasons = driverName
          ? ["Error: you must specify a port name in ups.conf or in '-x port=...' argument.", 'Try -h for help.']
          : [`Can't start ${join(driverPath, '(null)')}: No such file or directory`];
        incomplete.set(section.name, new UnavailableInstance(section.name, driverName ?? '(null)', undefined, this.instanceLogger(), reasons, 1, !driverName));
        continue;
      }
      const existing = this.instances.get(section.name);
      const print = this.fingerprint(conf, section);
      if (existing && (existing.active || this.built.get(section.name) === print)) {
        next.set(section.name, existing);
        continue;
      }
      if (existing) this.retire(existing);
      next.set(section.name, this.createInstance(conf, section, debugLevel));
      this.built.set(section.name, print);
      changed = true;
    }
    for (const [name, inst] of this.instances) {
      if (!next.has(name)) {
        this.retire(inst);
        this.built.delete(name);
        changed = true;
      }
    }
    this.incomplete.clear();
    for (const [k, v] of incomplete) if (!next.has(k)) this.incomplete.set(k, v);
    if (changed || next.size !== this.instances.size) {
      this.instances.clear();
      for (const [k, v] of next) this.instances.set(k, v);
      this.changed();
    }
    return { ok: true, messages };
  }

  /** An instance replaced or removed: stop it and forget its socket. */
  private retire(instance: SupervisedInstance): void {
    const exp = this.exports.get(instance);
    this.exports.delete(instance);
    void instance.stop().then(() => exp?.close());
  }

  /** Rebuilds one stopped instance with the debug level of this start request. */
  private refreshForStart(name: string, debugLevel: number): SupervisedInstance | undefined {
    const current = this.instance(name);
    if (!current || current.active || !this.conf || this.incomplete.has(current.name)) return current;
    const section = this.conf.sections.find((s) => s.name === current.name);
    if (!section) return current;
    const fresh = this.createInstance(this.conf, section, debugLevel);
    this.built.set(current.name, this.fingerprint(this.conf, section));
    this.retire(current);
    this.instances.set(current.name, fresh);
    this.changed();
    return fresh;
  }

  async startInstance(name: string, options: StartOptions = {}): Promise<StartResult> {
    const loaded = this.loadConfig(options.debugLevel ?? 0);
    if (!loaded.ok) return { ok: false, messages: loaded.messages };
    return this.startLoaded(name, options);
  }

  /** Starts one section of the configuration already loaded. */
  private async startLoaded(name: string, options: StartOptions): Promise<StartResult> {
    const current = this.instance(name);
    if (!current) return { ok: false, messages: [`UPS ${name} not found in ups.conf`] };
    const section = this.conf?.sections.find((s) => s.name === current.name);
    if (current.active && section && this.conf && this.built.get(current.name) !== this.fingerprint(this.conf, section)) {
      // like NUT's upsdrvctl start over a running driver: the new configuration replaces it
      this.log('info', `[${current.name}] configuration changed: restarting`);
      await current.stop();
    }
    const inst = this.refreshForStart(current.name, options.debugLevel ?? 0);
    if (!inst) return { ok: false, messages: [`UPS ${name} not found in ups.conf`] };
    return inst.start(options);
  }

  /** A start's result with what the driver prints on its standard output (NUT: its banner). */
  private withStdout(name: string, r: StartResult): StartResult {
    const inst = this.instance(name);
    if (r.fatal) return r;
    if (inst instanceof WorkerInstance) return { ...r, stdout: [pluginBanner({ description: inst.spec.pluginName, version: inst.spec.pluginVersion })] };
    if (inst instanceof UnavailableInstance && inst.stdout.length > 0) {
      return { ...r, messages: r.messages.filter((m) => !inst.stdout.includes(m)), stdout: inst.stdout };
    }
    return r;
  }

  /**
   * Starts several sections without waiting for one before the next (at most `lanes` starts
   * in flight); the configuration is read once. Results come back in the order asked.
   */
  async startMany(items: ReadonlyArray<{ ups: string; maxstartdelayMs?: number }>, options: StartOptions = {}, lanes = START_LANES): Promise<StartResult[]> {
    const loaded = this.loadConfig(options.debugLevel ?? 0);
    if (!loaded.ok) return items.map(() => ({ ok: false, messages: loaded.messages }));
    const results: StartResult[] = new Array(items.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        const it = items[i];
        const r = await this.startLoaded(it.ups, { ...options, ...(it.maxstartdelayMs !== undefined ? { maxstartdelayMs: it.maxstartdelayMs } : {}) });
        results[i] = this.withStdout(it.ups, r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, lanes), items.length) }, lane));
    return results;
  }

  async stopInstance(name: string): Promise<StartResult> {
    const inst = this.instance(name);
    if (!inst) return { ok: false, messages: [`UPS ${name} not found in ups.conf`] };
    if (!inst.active) {
      const pid = (ups: string) => join(this.paths.altPidPath, `${inst.driver}-${ups}.pid`);
      const port = this.conf?.sections.find((s) => s.name === inst.name)?.values.get('port');
      const messages = [`Can't open ${pid(inst.name)}: No such file or directory`];
      if (typeof port === 'string') messages.push(`Can't open ${pid(port.split('/').pop() ?? port)} either: No such file or directory`);
      if (inst.state === 'failed') await inst.stop();
      return { ok: false, messages };
    }
    await inst.stop();
    return { ok: true, messages: [] };
  }

  async shutdownInstance(name: string, options: StartOptions = {}): Promise<StartResult> {
    const loaded = this.loadConfig(options.debugLevel ?? 0);
    if (!loaded.ok) return { ok: false, messages: loaded.messages };
    const inst = this.instance(name);
    if (!inst) return { ok: false, messages: [`UPS ${name} not found in ups.conf`] };
    return inst.shutdown(options);
  }

  /** Starts every section (what `nut start` does); messages in ups.conf order. */
  async startAll(options: StartOptions & { parallel?: number } = {}): Promise<StartResult> {
    const loaded = this.loadConfig(options.debugLevel ?? 0);
    if (!loaded.ok) return loaded;
    const names = [...this.instances.keys()];
    const conf = this.conf;
    // each section waits its own maxstartdelay unless the caller gives one for all
    const delayOf = (ups: string) => {
      const section = conf?.sections.find((s) => s.name === ups);
      return options.maxstartdelayMs ?? (conf && section ? maxstartdelayMs(conf, section) : undefined);
    };
    const results = await this.startMany(names.map((ups) => ({ ups, maxstartdelayMs: delayOf(ups) })), options, options.parallel ?? START_LANES);
    const messages = [...loaded.messages];
    let ok = true;
    names.forEach((name, i) => {
      ok &&= results[i].ok;
      messages.push(...results[i].messages.map((m) => `[${name}] ${m}`));
    });
    return { ok, messages };
  }

  /** One row per ups.conf section, in file order, including sections that cannot run. */
  private statusRows(): InstanceStatus[] {
    const rows: InstanceStatus[] = [];
    const seen = new Set<string>();
    for (const section of this.conf?.sections ?? []) {
      if (seen.has(section.name)) continue;
      seen.add(section.name);
      const inst = this.instances.get(section.name) ?? this.incomplete.get(section.name);
      if (!inst) continue;
      const row = inst.status();
      if (this.incomplete.has(section.name) && !this.instances.has(section.name)) {
        row.lastError ??= `incomplete configuration: no ${str(section.values.get('driver')) ? 'port' : 'driver'}`;
      }
      rows.push(row);
    }
    for (const [name, inst] of this.instances) if (!seen.has(name)) rows.push(inst.status());
    return rows;
  }

  get idle(): boolean {
    return !this.upsd.running && [...this.instances.values()].every((i) => !i.active);
  }

  status(): HostStatus {
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      uptimeSec: Math.floor((Date.now() - this.startedAt) / 1000),
      confPath: this.paths.confPath,
      statePath: this.paths.statePath,
      configProblems: this.configProblems,
      upsd: { running: this.upsd.running, bound: this.upsd.bound, startedAt: this.upsd.startedAt },
      instances: this.statusRows(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.upsd.running) await this.upsd.stop();
    await Promise.all([...this.instances.values()].map((i) => i.stop()));
    await this.pool.close();
    await Promise.all([...this.exports.values()].map((e) => e.close()));
    this.exports.clear();
    await this.transportService?.close();
  }
}
