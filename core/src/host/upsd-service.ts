/**
 * The host's upsd: the one upsd service (core/src/upsd/service.ts) over the host's instances,
 * configured from upsd.conf and upsd.users in the conf path; announced over mDNS while it
 * runs when the host setting `mdns` enables it.
 */
import type { DeviceDirectory } from '../dstate/device.js';
import { MdnsAnnouncer, type MdnsOptions } from '../scanner/mdns.js';
import type { LoginThrottleSettings } from '../upsd/login-throttle.js';
import type { Logger } from '../upsd/server.js';
import { UpsdService as Service, type UpsdResult, type UpsdStartOptions } from '../upsd/service.js';

export type { UpsdResult, UpsdStartOptions } from '../upsd/service.js';

export class UpsdService extends Service {
  private announcer: MdnsAnnouncer | undefined;

  constructor(
    private readonly devices: DeviceDirectory,
    confPath: string,
    private readonly logger: Logger,
    idleTimeoutMs = 60_000,
    /** Announce over mDNS while running (host setting `mdns`). */
    private readonly mdns?: MdnsOptions & { enabled: boolean },
    loginThrottle?: LoginThrottleSettings,
  ) {
    super(devices, { confPath, log: logger, idleTimeoutMs, env: process.env, loginThrottle });
  }

  override async start(start: UpsdStartOptions = {}): Promise<UpsdResult> {
    const r = await super.start(start);
    const first = this.bound[0];
    if (r.ok && this.mdns?.enabled && first && !this.announcer) {
      this.announcer = new MdnsAnnouncer(
        () => ({ port: first.port, address: first.host, upsNames: this.devices.list().map((d) => d.name) }),
        this.mdns,
        (m) => this.logger('warn', m),
      );
      this.announcer.start();
    }
    return r;
  }

  override async stop(): Promise<UpsdResult> {
    await this.announcer?.stop();
    this.announcer = undefined;
    return super.stop();
  }
}
