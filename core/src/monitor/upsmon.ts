/**
 * The upsmon state machine as NUT 2.8.0 runs it (reference/clients.md §5): login sequence,
 * per-UPS status parsing, DEADTIME, critical-state rules, MINSUPPLIES arithmetic, forced
 * shutdown with FSD on every primary UPS, waiting for secondaries (NUMLOGINS) up to HOSTSYNC,
 * FINALDELAY, then the shutdown hook (POWERDOWNFLAG + SHUTDOWNCMD, done by the caller).
 * Everything outside (network, time, notification delivery, the shutdown itself) is injected.
 */
import type { MonitorEntry, UpsmonConfig, UpsmonConfResult } from '../config/upsmon-conf.js';
import { splitLine } from '../client/words.js';
import type { Clock } from './clock.js';
import { Waker } from './clock.js';
import { LinkError, type LinkFactory, type UpsLink } from './link.js';
import { formatNotifyMessage, notifyInfo, type NotifyFlags, type NotifyType } from '../config/notify-types.js';

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'crit' | 'alert';

export interface Notification {
  type: NotifyType;
  message: string;
  /** The MONITOR system string, or '' for SHUTDOWN and NOPARENT. */
  upsname: string;
  flags: NotifyFlags;
}

export interface MonitorHooks {
  log(level: LogLevel, message: string): void;
  /** Delivers a notification (SYSLOG/WALL/EXEC as its flags say). */
  notify(n: Notification): void;
  /** Broadcast to logged-in users (doshutdown's unconditional wall). */
  wall(text: string): void;
  /** POWERDOWNFLAG + SHUTDOWNCMD, by the privileged side. */
  shutdown(): Promise<void>;
  /** False once the privileged parent is gone (split-process mode only). */
  parentAlive?(): boolean;
  /** Re-reads upsmon.conf for a reload. */
  loadConfig?(): UpsmonConfResult;
}

export interface MonitorOptions {
  config: UpsmonConfig;
  link: LinkFactory;
  clock: Clock;
  hooks: MonitorHooks;
}

/** NUT's NET_TIMEOUT: a poll may take this long before it counts as failed. */
export const NET_TIMEOUT_MS = 10_000;

export type MonitorExit = { reason: 'shutdown' } | { reason: 'stopped'; signal?: string } | { reason: 'fatal'; message: string };

export class FatalMonitorError extends Error {}

interface UpsState {
  entry: MonitorEntry;
  link?: UpsLink;
  connected: boolean;
  loggedIn: boolean;
  online: boolean;
  onBatt: boolean;
  lowBatt: boolean;
  fsd: boolean;
  cal: boolean;
  /** Status words of the later notification types currently present (OFF, BYPASS, …). */
  extra: Set<string>;
  /** -1 never, 0 lost, 1 ok (suppresses COMMOK at first contact). */
  commstate: number;
  /** -1 never, 0 on battery, 1 on line (suppresses ONLINE at start). */
  linestate: number;
  lastpoll: number;
  lastnoncrit: number;
  lastrbwarn: number;
  lastncwarn: number;
  retain: boolean;
}

/** Later status words and the notification pair each raises (only when enabled in the config). */
const EXTRA_EVENTS: ReadonlyArray<[word: string, on: NotifyType, off: NotifyType]> = [
  ['OFF', 'OFF', 'NOTOFF'],
  ['BYPASS', 'BYPASS', 'NOTBYPASS'],
  ['ALARM', 'ALARM', 'NOTALARM'],
  ['OVER', 'OVER', 'NOTOVER'],
  ['TRIM', 'TRIM', 'NOTTRIM'],
  ['BOOST', 'BOOST', 'NOTBOOST'],
];

export class Upsmon {
  private config: UpsmonConfig;
  private readonly ups: UpsState[] = [];
  private sleepval = 5;
  private readonly waker = new Waker();
  private userFsd = false;
  private reloadFlag = false;
  private exitSignal: string | undefined;
  private lastParentWarn = 0;
  private readonly link: LinkFactory;
  private readonly clock: Clock;
  private readonly hooks: MonitorHooks;

  constructor(opts: MonitorOptions) {
    this.config = opts.config;
    this.link = opts.link;
    this.clock = opts.clock;
    this.hooks = opts.hooks;
    for (const entry of this.config.monitors) this.ups.push(this.newState(entry));
  }

  private newState(entry: MonitorEntry): UpsState {
    return {
      entry,
      connected: false,
      loggedIn: false,
      online: false,
      onBatt: false,
      lowBatt: false,
      fsd: false,
      cal: false,
      extra: new Set(),
      commstate: -1,
      linestate: -1,
      lastpoll: 0,
      lastnoncrit: 0,
      lastrbwarn: 0,
      lastncwarn: 0,
      retain: true,
    };
  }

  /** time(): whole seconds, as every NUT comparison uses. */
  private time(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** Current poll interval in seconds (5 until the first OL/OB transition, as in 2.8.0). */
  get pollInterval(): number {
    return this.sleepval;
  }

  /** `upsmon -c fsd` / SIGUSR1. */
  requestFsd(): void {
    this.hooks.log('info', 'Signal 10: User requested FSD');
    this.userFsd = true;
    this.waker.wake();
  }

  /** `upsmon -c reload` / SIGHUP. */
  requestReload(): void {
    this.reloadFlag = true;
    this.waker.wake();
  }

  /** `upsmon -c stop` / SIGTERM, SIGINT, SIGQUIT. */
  requestStop(signal = 'SIGTERM'): void {
    this.exitSignal = signal;
    this.waker.wake();
  }

  private enabled(type: NotifyType): boolean {
    if (notifyInfo(type).since === '2.8.0') return true;
    return this.config.notifyFlag[type] !== undefined || this.config.notifyMsg[type] !== undefined;
  }

  private doNotify(ups: UpsState | undefined, type: NotifyType, extraArg = ''): void {
    if (!this.enabled(type)) return;
    const format = this.config.notifyMsg[type] ?? notifyInfo(type).message;
    const flags = this.config.notifyFlag[type] ?? notifyInfo(type).flags;
    const sys = ups ? ups.entry.system : '';
    this.hooks.log('debug', `do_notify: ntype ${type}`);
    this.hooks.notify({ type, message: formatNotifyMessage(format, sys, extraArg), upsname: sys, flags });
  }

  /** Runs until shutdown, stop or a fatal reload. */
  async run(): Promise<MonitorExit> {
    try {
      while (this.exitSignal === undefined) {
        if (this.userFsd) {
          await this.forceShutdown();
          return { reason: 'shutdown' };
        }
        if (this.reloadFlag) this.reload();
        for (const ups of this.ups) await this.pollUps(ups);
        if (await this.recalc()) return { reason: 'shutdown' };
        this.checkParent();
        if (this.exitSignal !== undefined || this.userFsd || this.reloadFlag) continue;
        this.waker.reset();
        await this.clock.sleep(this.sleepval * 1000, this.waker.signal);
      }
    } catch (err) {
      if (err instanceof FatalMonitorError) {
        this.closeAll();
        return { reason: 'fatal', message: err.message };
      }
      throw err;
    }
    this.hooks.log('info', `Signal ${this.exitSignal}: exiting`);
    for (const ups of this.ups) this.dropConnection(ups, true);
    return { reason: 'stopped', signal: this.exitSignal };
  }

  // ---- connection and login -------------------------------------------------------------

  private async request(ups: UpsState, line: string): Promise<string> {
    if (!ups.link || !ups.link.open) throw new LinkError('Not connected');
    return ups.link.request(line);
  }

  private async tryConnect(ups: UpsState): Promise<boolean> {
    const { entry } = ups;
    this.hooks.log('debug', `Trying to connect to UPS [${entry.system}]`);
    ups.connected = false;
    if (this.config.certVerify === 1 && !this.config.certPath) {
      this.hooks.log('error', "Configuration error: CERTVERIFY is set, but CERTPATH isn't");
      this.hooks.log('error', `UPS [${entry.system}]: Connection impossible, dropping link`);
      this.upsIsGone(ups);
      this.dropConnection(ups);
      return false;
    }
    try {
      ups.link = await this.link({
        host: entry.host,
        port: entry.port,
        tryTls: this.config.forceSsl !== 1,
        requireTls: this.config.forceSsl === 1,
        certVerify: this.config.certVerify === 1,
        ...(this.config.certPath ? { certPath: this.config.certPath } : {}),
        timeoutMs: NET_TIMEOUT_MS,
      });
    } catch (err) {
      this.hooks.log('error', `UPS [${entry.system}]: connect failed: ${(err as Error).message}`);
      this.upsIsGone(ups);
      return false;
    }
    ups.connected = true;
    return this.doAuth(ups);
  }

  private async doAuth(ups: UpsState): Promise<boolean> {
    const { entry } = ups;
    const sys = entry.system;
    const step = async (line: string, what: string, requireOk: boolean): Promise<boolean> => {
      let answer: string;
      try {
        answer = await this.request(ups, line);
      } catch (err) {
        this.hooks.log('error', `${what} on [${sys}] failed: ${(err as Error).message}`);
        return false;
      }
      if (answer.startsWith('ERR')) {
        this.hooks.log('error', `${what} on [${sys}] failed: ${errText(answer)}`);
        return false;
      }
      if (requireOk && !answer.startsWith('OK')) {
        this.hooks.log('error', `${what} on [${sys}] failed - got [${answer}]`);
        return false;
      }
      return true;
    };
    if (!(await step(`USERNAME ${entry.username}`, 'Set username', false))) return false;
    if (!(await step(`PASSWORD ${entry.password}`, 'Set password', true))) return false;
    if (!entry.upsname) {
      this.hooks.log('error', `Login to UPS [${sys}] failed: empty upsname`);
      return false;
    }
    let answer: string;
    try {
      answer = await this.request(ups, `LOGIN ${entry.upsname}`);
    } catch (err) {
      this.hooks.log('error', `Can't login to UPS [${sys}]: ${(err as Error).message}`);
      return false;
    }
    if (!answer.startsWith('OK')) {
      this.hooks.log('error', `Login on UPS [${sys}] failed - got [${answer}]`);
      return false;
    }
    this.hooks.log('debug', `Logged into UPS ${sys}`);
    ups.loggedIn = true;
    return this.applyForPrimary(ups);
  }

  private async applyForPrimary(ups: UpsState): Promise<boolean> {
    if (!ups.entry.primary) return true;
    const sys = ups.entry.system;
    const fail = (detail: string) => {
      this.hooks.log('alert', `Primary managerial privileges unavailable on UPS [${sys}]`);
      this.hooks.log('alert', detail);
      return false;
    };
    try {
      let answer = await this.request(ups, `PRIMARY ${ups.entry.upsname}`);
      if (answer.startsWith('OK')) return true;
      if (answer.startsWith('ERR')) return fail(`Reason: ${errText(answer)}`);
      answer = await this.request(ups, `MASTER ${ups.entry.upsname}`);
      if (answer.startsWith('OK')) return true;
      if (answer.startsWith('ERR')) return fail(`Reason: ${errText(answer)}`);
      return fail(`Response: [${answer}]`);
    } catch (err) {
      return fail(`Reason: ${(err as Error).message}`);
    }
  }

  private dropConnection(ups: UpsState, quiet = false): void {
    if (!quiet) this.hooks.log('debug', `Dropping connection to UPS [${ups.entry.system}]`);
    ups.commstate = 0;
    ups.linestate = 0;
    ups.loggedIn = false;
    ups.connected = false;
    ups.link?.close();
    ups.link = undefined;
  }

  private closeAll(): void {
    for (const ups of this.ups) {
      ups.link?.close();
      ups.link = undefined;
    }
  }

  // ---- polling --------------------------------------------------------------------------

  private async getVar(ups: UpsState, query: string[]): Promise<string> {
    const answer = await this.request(ups, `GET ${query.join(' ')}`);
    const words = splitLine(answer).words;
    if (words[0] === 'ERR') throw new ServerError(words[1] ?? 'UNKNOWN');
    if (words.length < query.length + 1 || words[0] !== query[0]) {
      throw new LinkError(`${query[0] === 'VAR' ? query[2] : query[0].toLowerCase()}: Error: insufficient data (got ${Math.max(0, words.length - 1)} args, need at least ${query.length})`);
    }
    return words[query.length];
  }

  private async pollUps(ups: UpsState): Promise<void> {
    if (!ups.connected && !(await this.tryConnect(ups))) return;
    const sys = ups.entry.system;
    this.hooks.log('debug', `pollups: ${sys}${ups.link?.tls ? ' [SSL]' : ''}`);
    let status: string;
    try {
      status = await this.getVar(ups, ['VAR', ups.entry.upsname, 'ups.status']);
    } catch (err) {
      if (err instanceof ServerError && err.code === 'UNKNOWN-UPS') {
        this.hooks.log('error', `Poll UPS [${sys}] failed - [${ups.entry.upsname}] does not exist on server ${ups.entry.host}`);
      } else {
        this.hooks.log('error', `Poll UPS [${sys}] failed - ${(err as Error).message}`);
      }
      this.upsIsGone(ups);
      if (!ups.link || !ups.link.open) this.dropConnection(ups);
      return;
    }
    await this.parseStatus(ups, status);
  }

  private upsIsAlive(ups: UpsState): void {
    ups.lastpoll = this.time();
    if (ups.commstate === 1) return;
    if (ups.commstate === 0) this.doNotify(ups, 'COMMOK');
    ups.commstate = 1;
  }

  private upsIsGone(ups: UpsState): void {
    if (ups.commstate !== 0) {
      ups.commstate = 0;
      this.doNotify(ups, 'COMMBAD');
      return;
    }
    const now = this.time();
    if (now - ups.lastpoll < this.config.noCommWarnTime) return;
    if (now - ups.lastncwarn > this.config.noCommWarnTime) {
      this.doNotify(ups, 'NOCOMM');
      ups.lastncwarn = now;
    }
  }

  private updateCrittimer(ups: UpsState): void {
    if (!ups.onBatt || !ups.lowBatt || ups.cal) ups.lastnoncrit = this.time();
  }

  private async parseStatus(ups: UpsState, status: string): Promise<void> {
    this.hooks.log('debug', `parse_status: [${status}]`);
    if (status === '') {
      this.upsIsGone(ups);
      return;
    }
    this.upsIsAlive(ups);
    if (!status.includes('LB')) ups.lowBatt = false;
    if (!status.includes('FSD')) ups.fsd = false;
    const words = status.split(' ');
    for (const raw of words) {
      const word = raw.toUpperCase();
      if (word === 'OL') this.upsOnLine(ups);
      if (word === 'OB') this.upsOnBatt(ups);
      if (word === 'LB') this.upsLowBatt(ups);
      if (word === 'RB') this.upsReplBatt(ups);
      if (word === 'CAL') this.upsCal(ups);
      if (word === 'FSD') this.upsFsd(ups);
      this.updateCrittimer(ups);
    }
    const present = new Set(words.map((w) => w.toUpperCase()));
    // 2.8.0 never clears CAL once seen, so a UPS that calibrated once would never count as
    // critical again; we clear it when the word goes away (as 2.8.2 does, with NOTCAL).
    if (ups.cal && !present.has('CAL')) {
      ups.cal = false;
      this.doNotify(ups, 'NOTCAL');
      this.updateCrittimer(ups);
    }
    for (const [word, on, off] of EXTRA_EVENTS) {
      const had = ups.extra.has(word);
      const has = present.has(word);
      if (has === had) continue;
      if (has) {
        ups.extra.add(word);
        if (on === 'ALARM' && this.enabled('ALARM')) {
          let alarm = '';
          try {
            alarm = await this.getVar(ups, ['VAR', ups.entry.upsname, 'ups.alarm']);
          } catch {
            alarm = '';
          }
          this.doNotify(ups, on, alarm);
        } else {
          this.doNotify(ups, on);
        }
      } else {
        ups.extra.delete(word);
        this.doNotify(ups, off);
      }
    }
  }

  private upsOnBatt(ups: UpsState): void {
    if (ups.onBatt) return;
    this.sleepval = this.config.pollFreqAlert;
    ups.linestate = 0;
    this.doNotify(ups, 'ONBATT');
    ups.onBatt = true;
    ups.online = false;
  }

  private upsOnLine(ups: UpsState): void {
    if (ups.online) return;
    this.sleepval = this.config.pollFreq;
    if (ups.linestate !== -1) this.doNotify(ups, 'ONLINE');
    ups.linestate = 1;
    ups.online = true;
    ups.onBatt = false;
  }

  private upsLowBatt(ups: UpsState): void {
    if (ups.lowBatt) return;
    this.doNotify(ups, 'LOWBATT');
    ups.lowBatt = true;
  }

  private upsReplBatt(ups: UpsState): void {
    const now = this.time();
    if (now - ups.lastrbwarn > this.config.rbWarnTime) {
      this.doNotify(ups, 'REPLBATT');
      ups.lastrbwarn = now;
    }
  }

  private upsCal(ups: UpsState): void {
    if (ups.cal) return;
    this.doNotify(ups, 'CAL');
    ups.cal = true;
  }

  private upsFsd(ups: UpsState): void {
    if (ups.fsd) return;
    this.doNotify(ups, 'FSD');
    ups.fsd = true;
  }

  // ---- critical state and shutdown -------------------------------------------------------

  private isCritical(ups: UpsState): boolean {
    if (ups.fsd) return true;
    if (!ups.onBatt || !ups.lowBatt) return false;
    if (ups.cal) {
      this.hooks.log(
        'warning',
        `is_ups_critical: seems that UPS [${ups.entry.upsname}] is OB+LB now, but it is also calibrating - not declaring a critical state`,
      );
      return false;
    }
    if (ups.entry.primary) return true;
    if (this.time() - ups.lastnoncrit > this.config.hostSync) {
      this.hooks.log('warning', `Giving up on the primary for UPS [${ups.entry.system}]`);
      return true;
    }
    return false;
  }

  /** Returns true when a shutdown ran. */
  private async recalc(): Promise<boolean> {
    const now = this.time();
    let valOl = 0;
    for (const ups of this.ups) {
      if (now - ups.lastpoll > this.config.deadTime && ups.onBatt) {
        this.hooks.log('debug', `Promoting dead UPS: ${ups.entry.system}`);
        ups.lowBatt = true;
      }
      if (this.isCritical(ups)) this.hooks.log('debug', `Critical UPS: ${ups.entry.system}`);
      else valOl += ups.entry.powerValue;
    }
    this.hooks.log('debug', `Current power value: ${valOl}`);
    this.hooks.log('debug', `Minimum power value: ${this.config.minSupplies}`);
    if (valOl < this.config.minSupplies) {
      await this.forceShutdown();
      return true;
    }
    return false;
  }

  private async setFsd(ups: UpsState): Promise<void> {
    const sys = ups.entry.system;
    this.hooks.log('debug', `Setting FSD on UPS ${sys}`);
    try {
      const answer = await this.request(ups, `FSD ${ups.entry.upsname}`);
      if (answer.startsWith('OK')) return;
      this.hooks.log('error', `FSD set on UPS ${sys} failed: ${answer.startsWith('ERR') ? errText(answer) : answer}`);
    } catch (err) {
      this.hooks.log('error', `FSD set on UPS ${sys} failed: ${(err as Error).message}`);
    }
  }

  private async syncSecondaries(): Promise<void> {
    const start = this.time();
    for (;;) {
      let maxLogins = 0;
      for (const ups of this.ups) {
        if (!ups.entry.primary) continue;
        try {
          const n = Number.parseInt(await this.getVar(ups, ['NUMLOGINS', ups.entry.upsname]), 10);
          if (n > maxLogins) maxLogins = n;
        } catch {
          // an unreachable upsd has no secondaries left to wait for
        }
      }
      if (maxLogins <= 1) return;
      if (this.time() - start > this.config.hostSync) {
        this.hooks.log('info', 'Host sync timer expired, forcing shutdown');
        return;
      }
      await this.clock.sleep(250);
    }
  }

  private async forceShutdown(): Promise<void> {
    this.hooks.log('debug', 'Shutting down any UPSes in PRIMARY mode...');
    let isPrimary = false;
    for (const ups of this.ups) {
      if (!ups.entry.primary) continue;
      isPrimary = true;
      await this.setFsd(ups);
    }
    if (isPrimary) {
      this.hooks.log('debug', 'This system is a primary... waiting for secondaries to logout...');
      await this.syncSecondaries();
    }
    await this.doShutdown();
  }

  private async doShutdown(): Promise<void> {
    this.hooks.log('crit', 'Executing automatic power-fail shutdown');
    this.hooks.wall('Executing automatic power-fail shutdown\n');
    this.doNotify(undefined, 'SHUTDOWN');
    await this.clock.sleep(this.config.finalDelay * 1000);
    // NUT exits right after handing over to the parent: the connections close (no LOGOUT),
    // which is how a secondary "logs out" for the primary's NUMLOGINS count.
    this.closeAll();
    await this.hooks.shutdown();
  }

  private checkParent(): void {
    if (!this.hooks.parentAlive || this.hooks.parentAlive()) return;
    const now = this.time();
    if (now - this.lastParentWarn < 120) return;
    this.lastParentWarn = now;
    this.doNotify(undefined, 'NOPARENT');
    this.hooks.log('alert', 'Parent died - shutdown impossible');
  }

  // ---- reload --------------------------------------------------------------------------

  private reload(): void {
    this.reloadFlag = false;
    this.hooks.log('info', 'Reloading configuration');
    if (!this.hooks.loadConfig) return;
    const { config, problems } = this.hooks.loadConfig();
    const fatal = problems.find((p) => p.severity === 'fatal');
    for (const p of problems) this.hooks.log(p.severity === 'warning' ? 'warning' : 'error', p.message);
    if (fatal) {
      if (fatal.line === 0) return; // unreadable file: keep running on the old config
      throw new FatalMonitorError('Fatal error: unusable configuration');
    }
    for (const ups of this.ups) ups.retain = false;
    for (const entry of config.monitors) {
      const ups = this.ups.find((u) => u.entry.system === entry.system);
      if (!ups) {
        this.ups.push(this.newState(entry));
        continue;
      }
      this.redefine(ups, entry);
    }
    for (const ups of [...this.ups]) {
      if (ups.retain) continue;
      this.hooks.log('notice', `No longer monitoring UPS [${ups.entry.system}]`);
      this.dropConnection(ups);
      this.ups.splice(this.ups.indexOf(ups), 1);
    }
    if (config.totalPowerValue < config.minSupplies) {
      this.hooks.log('crit', `Fatal error: total power value (${config.totalPowerValue}) less than MINSUPPLIES (${config.minSupplies})`);
      throw new FatalMonitorError('Impossible power configuration, unable to continue');
    }
    if (config.shutdownCmd !== this.config.shutdownCmd || config.powerDownFlag !== this.config.powerDownFlag) {
      // the privileged parent read them at start; it does not see the change
      const key = config.shutdownCmd !== this.config.shutdownCmd ? 'SHUTDOWNCMD' : 'POWERDOWNFLAG';
      if (this.hooks.parentAlive) {
        this.hooks.log('warning', `Warning: ${key} redefined in split-process mode!`);
        this.hooks.log('warning', 'You must restart upsmon for this change to work');
      }
    }
    this.config = { ...config, monitors: this.ups.map((u) => u.entry) };
  }

  private redefine(ups: UpsState, entry: MonitorEntry): void {
    ups.retain = true;
    const old = ups.entry;
    const sys = old.system;
    if (old.powerValue !== entry.powerValue) this.hooks.log('info', `UPS [${sys}]: redefined power value to ${entry.powerValue}`);
    let reconnect = false;
    if (old.username !== entry.username) {
      this.hooks.log('info', `UPS [${sys}]: redefined username`);
      reconnect ||= !ups.loggedIn;
    }
    if (old.password !== entry.password) {
      this.hooks.log('info', `UPS [${sys}]: redefined password`);
      reconnect ||= !ups.loggedIn;
    }
    ups.entry = { ...entry };
    if (reconnect) {
      this.hooks.log('info', `UPS [${sys}]: retrying connection`);
      this.dropConnection(ups);
    }
    if (entry.primary && !old.primary) {
      this.hooks.log('info', `UPS [${sys}]: redefined as a primary`);
      this.dropConnection(ups);
    } else if (!entry.primary && old.primary) {
      this.hooks.log('info', `UPS [${sys}]: redefined as a secondary`);
    }
  }
}

class ServerError extends Error {
  constructor(readonly code: string) {
    super(errText(`ERR ${code}`));
  }
}

/** libupsclient's text for `ERR <code>` answers. */
function errText(answer: string): string {
  const code = splitLine(answer).words[1] ?? '';
  const table: Record<string, string> = {
    'ACCESS-DENIED': 'Access denied',
    'UNKNOWN-UPS': 'Unknown UPS',
    'VAR-NOT-SUPPORTED': 'Variable not supported by UPS',
    'DATA-STALE': 'Data stale',
    'DRIVER-NOT-CONNECTED': 'Driver not connected',
    'USERNAME-REQUIRED': 'Username required',
    'PASSWORD-REQUIRED': 'Password required',
    'INVALID-USERNAME': 'Invalid username',
    'INVALID-PASSWORD': 'Invalid password',
    'ALREADY-LOGGED-IN': 'Already logged in',
    'ALREADY-SET-USERNAME': 'Already set username',
    'ALREADY-SET-PASSWORD': 'Already set password',
    'UNKNOWN-COMMAND': 'Unknown command',
    'FEATURE-NOT-CONFIGURED': 'Feature not configured',
  };
  return table[code] ?? `Unknown error: ${code}`;
}
