/**
 * upsd as a service, one for every way it runs: inside the nut-ts host over its instances, and
 * as the standalone `upsd` over NUT driver sockets. Reads upsd.conf and upsd.users from the
 * conf path with NUT's checks and messages (stat, world-readable warning, ALLOW_NO_DEVICE from
 * the environment over upsd.conf, at least one UPS), loads the descriptions once, and runs the
 * network server. start/stop/reload; reload keeps clients connected and does not re-bind.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Device, DeviceDirectory } from '../dstate/device.js';
import { parseUpsdConf, parseUpsdUsers, readFileText, type ListenAddress, type UpsdConf, type UpsUser } from './config.js';
import { loadDescriber, type Describer } from './descriptions.js';
import type { LoginThrottleSettings } from './login-throttle.js';
import { PRIVILEGED_BELOW, ReservedListeners } from './reserved-listeners.js';
import { UpsdServer, type BoundListener, type Logger } from './server.js';

export interface UpsdServiceOptions {
  confPath: string;
  log: Logger;
  /** Idle drop, ms without a complete request line (NUT: 60 s). */
  idleTimeoutMs?: number;
  /** Where ALLOW_NO_DEVICE is read (NUT: the environment wins over upsd.conf). */
  env?: NodeJS.ProcessEnv;
  /**
   * Called with each upsd.conf read, before the UPS count is checked: the standalone upsd reads
   * ups.conf here and points its driver-socket directory at STATEPATH. Returns messages to
   * report; an Error thrown at start is fatal (its message is reported).
   */
  configure?: (conf: UpsdConf, reloading: boolean) => string[];
  /** Delay of answers to password checks from addresses with failures (login-throttle.ts). */
  loginThrottle?: LoginThrottleSettings;
}

export interface UpsdStartOptions {
  /** Replaces the LISTEN lines of upsd.conf (the demo, tests). */
  listen?: ListenAddress[];
  family?: 4 | 6;
  /** Run without upsd.conf / upsd.users (the demo): defaults, no users. */
  noConfigFiles?: boolean;
  /** ALLOW_NO_DEVICE as the starting command saw it in its environment. */
  allowNoDevice?: string;
  /** Log upsd's debug lines (per-client disconnects), as NUT's upsd -D does. */
  debug?: boolean;
}

export interface UpsdResult {
  ok: boolean;
  messages: string[];
  bound?: BoundListener[];
}

interface LoadedUpsdConfig {
  conf: UpsdConf;
  users: Map<string, UpsUser> | undefined;
  messages: string[];
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'ENOTDIR') return 'Not a directory';
  return (e as Error).message;
}

/**
 * NUT's check_perms(): the file must exist (else `stat <file>: <error>`, fatal), and a warning
 * when others may read it.
 */
function checkPerms(file: string, messages: string[]): string | undefined {
  try {
    if (statSync(file).mode & 0o005) messages.push(`${file} is world readable`);
    return undefined;
  } catch (e) {
    return `stat ${file}: ${errnoText(e)}`;
  }
}

/** NUT's reading of ALLOW_NO_DEVICE from the environment: a prefix, in any case. */
export function allowNoDeviceFromEnv(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const l = value.toLowerCase();
  if (/^(true|yes|on|1)/.test(l)) return true;
  if (/^(false|no|off|0)/.test(l)) return false;
  return undefined;
}

export class UpsdService {
  private server: UpsdServer | undefined;
  private startOptions: UpsdStartOptions = {};
  private describer: Describer | undefined;
  private readonly reserved = new ReservedListeners();
  startedAt: number | undefined;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly options: UpsdServiceOptions,
  ) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Client connections now (the HTTP service's metrics); undefined while stopped. */
  get clientCount(): number | undefined {
    return this.server?.connectionCount;
  }

  /** Addresses logged in to a device (LIST CLIENT). */
  clientsOf(device: Device): string[] {
    return this.server?.context.clientsOf(device) ?? [];
  }

  get bound(): BoundListener[] {
    return this.server ? [...this.server.bound] : [];
  }

  /** Which descriptions GET DESC serves (a cmdvartab path or 'built-in'), once started. */
  get descriptionSource(): string | undefined {
    return this.describer?.source;
  }

  private load(start: UpsdStartOptions, reloading: boolean): LoadedUpsdConfig | { error: string; messages: string[] } {
    const messages: string[] = [];
    if (start.noConfigFiles) {
      return { conf: parseUpsdConf({ path: 'upsd.conf', text: '' }), users: new Map(), messages };
    }
    const confFile = join(this.options.confPath, 'upsd.conf');
    const missing = checkPerms(confFile, messages);
    if (missing) return { error: missing, messages };
    let conf: UpsdConf;
    try {
      conf = parseUpsdConf(readFileText(confFile));
    } catch (e) {
      return { error: `Can't open ${confFile}: ${errnoText(e)}`, messages };
    }
    messages.push(...conf.warnings);
    const allow = allowNoDeviceFromEnv(start.allowNoDevice ?? this.options.env?.ALLOW_NO_DEVICE);
    if (allow !== undefined) conf.allowNoDevice = allow;
    if (this.options.configure) {
      try {
        messages.push(...this.options.configure(conf, reloading));
      } catch (e) {
        if (!reloading) return { error: (e as Error).message, messages };
        messages.push(`${(e as Error).message}; keeping the previous UPS definitions`);
      }
    }
    const usersFile = join(this.options.confPath, 'upsd.users');
    const usersMissing = checkPerms(usersFile, messages);
    if (usersMissing) {
      // NUT 2.8.0 refuses to start without upsd.users; on reload we keep the users we have
      if (!reloading) return { error: usersMissing, messages };
      messages.push(`${usersMissing}; keeping the previous users`);
      return { conf, users: undefined, messages };
    }
    try {
      const parsed = parseUpsdUsers(readFileText(usersFile));
      messages.push(...parsed.warnings);
      return { conf, users: parsed.users, messages };
    } catch (e) {
      if (!reloading) return { error: `Can't open ${usersFile}: ${errnoText(e)}`, messages };
      messages.push(`Can't open ${usersFile}: ${errnoText(e)}; keeping the previous users`);
      return { conf, users: undefined, messages };
    }
  }

  /** NUT's rule: at least one UPS, unless ALLOW_NO_DEVICE. Returns the fatal message, if any. */
  private checkDevices(conf: UpsdConf, messages: string[]): string | undefined {
    if (this.directory.list().length > 0) return undefined;
    messages.push('Warning: no UPS definitions in ups.conf');
    if (!conf.allowNoDevice) return 'Fatal error: at least one UPS must be defined in ups.conf';
    messages.push(
      'Normally at least one UPS must be defined in ups.conf, currently there are none (please configure the file and reload the service)',
    );
    return undefined;
  }

  /**
   * Binds now the privileged ports (below 1024) upsd will listen on (`listen`, else upsd.conf's
   * LISTEN lines), for a host about to give up root: upsd gets them when it starts. Returns
   * what could not be bound or read (upsd's start reports it again).
   */
  async reservePrivileged(listen?: ListenAddress[], family?: 4 | 6): Promise<string[]> {
    let addrs = listen;
    if (!addrs) {
      const loaded = this.load({}, false);
      if ('error' in loaded) return [];
      addrs = loaded.conf.listen;
    }
    return this.reserved.reserve(
      addrs.filter((a) => a.port < PRIVILEGED_BELOW),
      family,
    );
  }

  async start(start: UpsdStartOptions = {}): Promise<UpsdResult> {
    if (this.server) return { ok: true, messages: ['upsd is already running'], bound: this.bound };
    const loaded = this.load(start, false);
    if ('error' in loaded) return { ok: false, messages: [...loaded.messages, loaded.error] };
    const { conf, messages } = loaded;
    if (!start.noConfigFiles) {
      const fatal = this.checkDevices(conf, messages);
      if (fatal) return { ok: false, messages: [...messages, fatal] };
    }
    // NUT reads its descriptions once, at start
    const describer = loadDescriber(conf.dataPath);
    const server = new UpsdServer(this.directory, {
      listen: start.listen ?? conf.listen,
      family: start.family,
      maxAge: conf.maxAge,
      trackingDelay: conf.trackingDelay,
      maxConn: conf.maxConn,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 60_000,
      certFile: conf.certFile,
      users: loaded.users,
      describer,
      // NUT logs a client's disconnect only at debug level 2
      log: start.debug ? this.options.log : (level, message) => level !== 'debug' && this.options.log(level, message),
      loginThrottle: this.options.loginThrottle,
      reserved: this.reserved,
    });
    try {
      await server.start();
    } catch (e) {
      return { ok: false, messages: [...messages, (e as Error).message] };
    }
    this.server = server;
    this.describer = describer;
    this.startOptions = start;
    this.startedAt = Date.now();
    for (const b of server.bound) messages.push(`listening on ${b.host} port ${b.port}`);
    return { ok: true, messages, bound: this.bound };
  }

  async stop(): Promise<UpsdResult> {
    const server = this.server;
    if (!server) return { ok: false, messages: ['upsd is not running'] };
    this.server = undefined;
    this.startedAt = undefined;
    await server.close();
    return { ok: true, messages: [] };
  }

  async reload(): Promise<UpsdResult> {
    const server = this.server;
    if (!server) return { ok: false, messages: ['upsd is not running'] };
    const loaded = this.load(this.startOptions, true);
    if ('error' in loaded) return { ok: false, messages: [...loaded.messages, `${loaded.error}; keeping the old configuration`] };
    server.reload({
      users: loaded.users,
      maxAge: loaded.conf.maxAge,
      trackingDelay: loaded.conf.trackingDelay,
      maxConn: loaded.conf.maxConn,
    });
    return { ok: true, messages: loaded.messages, bound: this.bound };
  }
}
