/**
 * upsd inside the host: the network server (core/src/upsd) over the host's device directory,
 * configured from upsd.conf and upsd.users in the conf path. start/stop/reload for the
 * control socket; reload keeps clients connected (listeners are not re-bound).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Device, DeviceDirectory } from '../dstate/device.js';
import { parseUpsdConf, parseUpsdUsers, readFileText, type ListenAddress, type UpsdConf, type UpsUser } from '../upsd/config.js';
import { loadDescriber } from '../upsd/descriptions.js';
import { UpsdServer, type BoundListener, type Logger } from '../upsd/server.js';

export interface UpsdStartOptions {
  /** Replaces the LISTEN lines of upsd.conf (the demo, tests). */
  listen?: ListenAddress[];
  family?: 4 | 6;
  /** Run without upsd.conf / upsd.users (the demo): defaults, no users. */
  noConfigFiles?: boolean;
}

export interface UpsdResult {
  ok: boolean;
  messages: string[];
  bound?: BoundListener[];
}

interface LoadedUpsdConfig {
  conf: UpsdConf;
  users: Map<string, UpsUser>;
  messages: string[];
}

export class UpsdService {
  private server: UpsdServer | undefined;
  private options: UpsdStartOptions = {};
  startedAt: number | undefined;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly confPath: string,
    private readonly log: Logger,
    private readonly idleTimeoutMs = 60_000,
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

  private load(options: UpsdStartOptions, starting: boolean): LoadedUpsdConfig | { error: string } {
    const messages: string[] = [];
    if (options.noConfigFiles) {
      return { conf: parseUpsdConf({ path: 'upsd.conf', text: '' }), users: new Map(), messages };
    }
    const confFile = join(this.confPath, 'upsd.conf');
    if (!existsSync(confFile)) return { error: `Can't open ${confFile}: No such file or directory` };
    let conf: UpsdConf;
    try {
      conf = parseUpsdConf(readFileText(confFile));
    } catch (e) {
      return { error: (e as Error).message };
    }
    messages.push(...conf.warnings);
    let users = new Map<string, UpsUser>();
    const usersFile = join(this.confPath, 'upsd.users');
    if (existsSync(usersFile)) {
      try {
        const parsed = parseUpsdUsers(readFileText(usersFile));
        users = parsed.users;
        messages.push(...parsed.warnings);
      } catch (e) {
        messages.push((e as Error).message);
      }
    } else if (starting) {
      // NUT 2.8.0 refuses to start without upsd.users (its permission check stats the file)
      return { error: `stat ${usersFile}: No such file or directory` };
    } else {
      messages.push(`Can't open ${usersFile}: No such file or directory`);
    }
    return { conf, users, messages };
  }

  async start(options: UpsdStartOptions = {}): Promise<UpsdResult> {
    if (this.server) return { ok: true, messages: ['upsd is already running'], bound: this.bound };
    const loaded = this.load(options, true);
    if ('error' in loaded) return { ok: false, messages: [loaded.error] };
    const { conf, users, messages } = loaded;
    if (!options.noConfigFiles && this.directory.list().length === 0 && !conf.allowNoDevice) {
      return { ok: false, messages: [...messages, 'Fatal error: at least one UPS must be defined in ups.conf'] };
    }
    const server = new UpsdServer(this.directory, {
      listen: options.listen ?? conf.listen,
      family: options.family,
      maxAge: conf.maxAge,
      trackingDelay: conf.trackingDelay,
      maxConn: conf.maxConn,
      idleTimeoutMs: this.idleTimeoutMs,
      certFile: conf.certFile,
      users,
      describer: await loadDescriber(conf.dataPath),
      log: this.log,
    });
    try {
      await server.start();
    } catch (e) {
      return { ok: false, messages: [...messages, (e as Error).message] };
    }
    this.server = server;
    this.options = options;
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
    const loaded = this.load(this.options, false);
    if ('error' in loaded) return { ok: false, messages: [loaded.error] };
    server.reload({
      users: loaded.users,
      maxAge: loaded.conf.maxAge,
      trackingDelay: loaded.conf.trackingDelay,
      maxConn: loaded.conf.maxConn,
      describer: await loadDescriber(loaded.conf.dataPath),
    });
    return { ok: true, messages: loaded.messages, bound: this.bound };
  }
}
