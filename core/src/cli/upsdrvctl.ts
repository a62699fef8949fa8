#!/usr/bin/env node
/**
 * upsdrvctl (reference/clients.md §7): start|stop|shutdown [ups] with NUT 2.8.0's flags,
 * messages and exit codes; the work is done by the nut-ts host (started when none runs),
 * reached through its control socket. `status` lists the host's instances.
 */
import { startWhenMain } from './main-module.js';
import { join } from 'node:path';
import { ensureHost, findHost, type ControlClient } from '../host/control-client.js';
import { STARTUP_TIMER_ELAPSED, type InstanceStatus, type StartResult } from '../host/instance.js';
import { nutPaths, type NutPaths } from '../host/paths.js';
import { int, readUpsConf, str, type UpsConf, type UpsConfSection } from '../host/ups-conf.js';
import { findDriverPlugin, PluginError, type PluginSearchSettings } from '../plugins/registry.js';
import { loadHostSettings } from '../host/settings.js';
import { existsSync } from 'node:fs';

export const BANNER = 'Network UPS Tools - UPS driver controller 2.8.0';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function help(io: CliIO, prog: string): void {
  io.stdout(
    [
      'Starts and stops UPS drivers via ups.conf.',
      '',
      `usage: ${prog} [OPTIONS] (start | stop | shutdown | status) [<ups>]`,
      '',
      '  -h\t\t\tdisplay this help',
      '  -r <path>\t\tdrivers will chroot to <path>',
      '  -t\t\t\ttesting mode - prints actions without doing them',
      '  -u <user>\t\tdrivers started will switch from root to <user>',
      '  -D            \traise debugging level',
      '  -d            \tpass debugging level from upsdrvctl to driver',
      '  --json\t\tstatus as JSON',
      '  start\t\t\tstart all UPS drivers in ups.conf',
      '  start\t<ups>\t\tonly start driver for UPS <ups>',
      '  stop\t\t\tstop all UPS drivers in ups.conf',
      '  stop <ups>\t\tonly stop driver for UPS <ups>',
      '  shutdown\t\tshutdown all UPS drivers in ups.conf',
      '  shutdown <ups>\tonly shutdown UPS <ups>',
      '  status\t\tlist driver instances: state, uptime, restarts, last error',
      '  status <ups>\t\tonly the instance for UPS <ups>',
      '',
    ].join('\n'),
  );
}

interface Options {
  testMode: boolean;
  debug: number;
  passDebug: boolean;
  user?: string;
  chroot?: string;
  json: boolean;
  command?: string;
  ups?: string;
}

type Parsed = { ok: true; options: Options } | { ok: false; exit: number; error?: string; help?: boolean };

export function parseArgs(args: readonly string[]): Parsed {
  const o: Options = { testMode: false, debug: 0, passDebug: false, json: args.includes('--json') };
  const argv = args.filter((a) => a !== '--json');
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || rest.length > 0) {
      // getopt with "+": options end at the first non-option
      rest.push(...argv.slice(i));
      break;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const value = (): string | undefined => {
        const inline = a.slice(j + 1);
        j = a.length;
        if (inline !== '') return inline;
        i++;
        return argv[i];
      };
      switch (c) {
        case 'h':
          return { ok: false, exit: 0, help: true };
        case 't':
          o.testMode = true;
          break;
        case 'D':
          o.debug++;
          break;
        case 'd':
          o.passDebug = true;
          break;
        case 'u': {
          const v = value();
          if (v === undefined) return { ok: false, exit: 0, help: true, error: `option requires an argument -- 'u'` };
          o.user = v;
          break;
        }
        case 'r': {
          const v = value();
          if (v === undefined) return { ok: false, exit: 0, help: true, error: `option requires an argument -- 'r'` };
          o.chroot = v;
          break;
        }
        case 'V':
          return { ok: false, exit: 0 };
        default:
          return { ok: false, exit: 0, help: true, error: `invalid option -- '${c}'` };
      }
    }
  }
  if (rest.length === 0) return { ok: false, exit: 0, help: true };
  o.command = rest[0];
  o.ups = rest[1];
  return { ok: true, options: o };
}

/** upsdebugx-style output: timestamps (seconds since start) once debugging is on. */
class Reporter {
  private readonly t0 = process.hrtime.bigint();
  constructor(
    private readonly io: CliIO,
    private readonly debugLevel: number,
  ) {}
  private stamp(): string {
    const us = Number((process.hrtime.bigint() - this.t0) / 1000n);
    return `${String(Math.floor(us / 1e6)).padStart(4)}.${String(us % 1e6).padStart(6, '0')}\t`;
  }
  say(message: string): void {
    this.io.stderr(`${this.debugLevel > 0 ? this.stamp() : ''}${message}\n`);
  }
  debug(level: number, message: string): void {
    if (this.debugLevel >= level) this.io.stderr(`${this.stamp()}[D${level}] ${message}\n`);
  }
}

interface UpsEntry {
  name: string;
  driver: string;
  port: string | undefined;
  sdorder: number;
  maxstartdelay: number;
}

function entries(conf: UpsConf): UpsEntry[] {
  const globalDelay = int(conf.global.get('maxstartdelay'), 45);
  return conf.sections.map((s: UpsConfSection) => ({
    name: s.name,
    driver: str(s.values.get('driver')) ?? '',
    port: str(s.values.get('port')),
    sdorder: int(s.values.get('sdorder'), 0),
    maxstartdelay: s.values.has('maxstartdelay') ? int(s.values.get('maxstartdelay'), globalDelay) : globalDelay,
  }));
}

/** What would run for a section, for -t and -D output. */
function execLine(
  conf: UpsConf,
  paths: NutPaths,
  ups: UpsEntry,
  o: Options,
  extra: string[],
  search: PluginSearchSettings,
): { line?: string; error?: string } {
  const debugArgs = o.passDebug ? Array<string>(o.debug).fill('-D') : [];
  const tail = [...debugArgs, '-a', ups.name, ...extra, ...(o.chroot ? ['-r', o.chroot] : []), ...(o.user ? ['-u', o.user] : [])];
  try {
    const plugin = findDriverPlugin(ups.driver, search);
    if (plugin) return { line: `exec:  nut-ts worker ${plugin.plugin.packageName} (${plugin.entryPath}) ${tail.join(' ')}` };
  } catch (e) {
    if (e instanceof PluginError) return { error: e.message };
    throw e;
  }
  const program = join(str(conf.global.get('driverpath')) ?? paths.driverPath, ups.driver);
  if (!existsSync(program)) return { error: `Can't start ${program}: No such file or directory`, line: `exec:  ${program} ${tail.join(' ')}` };
  return { line: `exec:  ${program} ${tail.join(' ')}` };
}

/** What NUT prints when a driver has no pid file (i.e. is not running). */
function pidFileMessages(paths: NutPaths, ups: UpsEntry): string[] {
  const pid = (id: string) => join(paths.altPidPath, `${ups.driver}-${id}.pid`);
  const out = [`Can't open ${pid(ups.name)}: No such file or directory`];
  if (ups.port !== undefined) out.push(`Can't open ${pid(ups.port.split('/').pop() ?? ups.port)} either: No such file or directory`);
  return out;
}

const TEST_MODE_NOTE = [
  '',
  'This is the driver controller, not a driver: it starts drivers inside the nut-ts host.',
  "The 'exec:' lines below show what runs for each UPS; to debug a driver itself, run it",
  "alone with that command line plus -D flags, or give upsdrvctl '-d' to pass its debug",
  'level to the drivers it starts.',
  '',
].join('\n');

function formatUptime(sec: number | undefined): string {
  if (sec === undefined) return '-';
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return d > 0 ? `${d}d${h}h${m}m` : h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

export function formatStatusTable(instances: readonly InstanceStatus[]): string {
  const rows = [
    ['UPS', 'DRIVER', 'STATE', 'DATA', 'UPTIME', 'RESTARTS', 'LAST ERROR'],
    ...instances.map((i) => [
      i.name,
      i.driver,
      i.state,
      i.connected ? (i.stale ? 'stale' : 'ok') : '-',
      formatUptime(i.uptimeSec),
      String(i.restarts),
      (i.lastError ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' '),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}

async function status(io: CliIO, paths: NutPaths, conf: UpsConf | undefined, o: Options): Promise<number> {
  const client = await findHost(paths);
  if (!client) {
    const instances: InstanceStatus[] = (conf ? entries(conf) : [])
      .filter((u) => !o.ups || u.name === o.ups)
      .map((u) => ({ name: u.name, driver: u.driver, provider: '', state: 'stopped', restarts: 0, connected: false, stale: true }));
    if (o.json) io.stdout(JSON.stringify({ host: null, instances }, null, 2) + '\n');
    else io.stdout(`host: not running (no answer on ${join(paths.statePath, 'nut-ts.ctl')})\n` + formatStatusTable(instances));
    return 1;
  }
  try {
    const reply = await client.request({ cmd: 'status' });
    const st = reply.status!;
    const instances = st.instances.filter((i) => !o.ups || i.name === o.ups);
    if (o.ups && instances.length === 0) {
      io.stderr(`UPS ${o.ups} not found in ups.conf\n`);
      return 1;
    }
    if (o.json) {
      io.stdout(JSON.stringify({ host: { ...st, instances: undefined }, instances }, null, 2) + '\n');
    } else {
      const upsd = st.upsd.running ? `upsd listening on ${st.upsd.bound.map((b) => `${b.host}:${b.port}`).join(', ')}` : 'upsd not running';
      io.stdout(`host: pid ${st.pid}, up ${formatUptime(st.uptimeSec)}, ${upsd}\n` + formatStatusTable(instances));
    }
    return 0;
  } finally {
    client.close();
  }
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: CliIO = defaultIO): Promise<number> {
  const prog = 'upsdrvctl';
  // --json is ours: keep its output parseable
  if (!argv.includes('--json')) io.stdout(`${BANNER}\n`);
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    if (parsed.error) io.stderr(`${prog}: ${parsed.error}\n`);
    if (parsed.help) help(io, prog);
    return parsed.exit;
  }
  const o = parsed.options;
  const paths = nutPaths(env);
  if (o.testMode) {
    io.stdout('*** Testing mode: not calling exec/kill\n');
    if (o.debug < 2) o.debug = 2;
  }
  const r = new Reporter(io, o.debug);
  if (o.debug >= 2) r.debug(2, TEST_MODE_NOTE);
  const command = o.command!;
  if (!['start', 'stop', 'shutdown', 'status'].includes(command)) {
    r.say(`Error: unrecognized command [${command}]`);
    return 1;
  }
  let conf: UpsConf | undefined;
  try {
    conf = readUpsConf(paths.confPath);
  } catch (e) {
    if (command !== 'status') {
      r.say(`Fatal error: ${(e as Error).message}`);
      return 1;
    }
  }
  if (command === 'status') return status(io, paths, conf, o);
  const all = entries(conf!);
  if (all.length === 0) {
    r.say('Error: no UPS definitions found in ups.conf');
    return 1;
  }
  let targets = all;
  if (o.ups !== undefined) {
    targets = all.filter((u) => u.name === o.ups);
    if (targets.length === 0) {
      r.say(`UPS ${o.ups} not found in ups.conf`);
      return 1;
    }
  }
  const maxretry = int(conf!.global.get('maxretry'), 1);
  const retrydelay = int(conf!.global.get('retrydelay'), 5);
  const nowait = conf!.global.get('nowait') === true && env.NUT_IGNORE_NOWAIT !== 'true';
  const debugLevel = o.passDebug ? o.debug : 0;
  let errors = 0;

  if (command === 'shutdown') {
    const maxOrder = Math.max(0, ...all.map((u) => u.sdorder));
    const ordered: UpsEntry[] = [];
    for (let order = 0; order <= maxOrder; order++) ordered.push(...targets.filter((u) => u.sdorder === order));
    targets = ordered;
  }

  if (o.testMode) {
    const search: PluginSearchSettings = { pluginPaths: (await loadHostSettings(process.cwd())).settings.pluginPaths };
    // stop looks at what runs (NUT checks the pid files even in testing mode)
    let active = new Set<string>();
    if (command === 'stop') {
      const client = await findHost(paths);
      if (client) {
        try {
          const st = (await client.request({ cmd: 'status' })).status;
          active = new Set(st?.instances.filter((i) => ['starting', 'running', 'restarting'].includes(i.state)).map((i) => i.name));
        } finally {
          client.close();
        }
      }
    }
    for (const ups of targets) {
      const verb = command === 'start' ? 'Starting UPS' : command === 'stop' ? 'Stopping UPS' : 'Shutdown UPS';
      r.debug(1, `${verb}: ${ups.name}`);
      if (command === 'stop') {
        if (!active.has(ups.name)) {
          for (const m of pidFileMessages(paths, ups)) r.say(m);
          errors++;
        }
        continue;
      }
      const x = execLine(conf!, paths, ups, o, command === 'shutdown' ? ['-k'] : [], search);
      if (command === 'start' && !x.error) r.debug(2, `${maxretry} remaining attempts`);
      if (x.error && command === 'shutdown' && x.line) {
        // NUT checks that the driver exists only when starting
        r.debug(2, x.line);
        continue;
      }
      if (x.error) {
        r.say(x.error);
        return 1;
      }
      r.debug(2, x.line!);
    }
    return errors > 0 ? 1 : 0;
  }

  let client: ControlClient;
  try {
    client = await ensureHost({ paths, env: o.user ? { ...env, NUT_RUN_AS_USER: o.user } : env });
  } catch (e) {
    r.say(`Error: ${(e as Error).message}`);
    return 1;
  }
  try {
    const host = await client.request({ cmd: 'ping' });
    if (host.confPath !== paths.confPath) {
      r.say(`Error: the nut-ts host for ${paths.statePath} (pid ${host.pid}) reads ${host.confPath}, not ${paths.confPath}`);
      return 1;
    }
    if (command === 'start') {
      // every driver starts at once; the reports keep NUT's order (ups.conf order)
      const reply = await client.request({
        cmd: 'start-many',
        items: targets.map((ups) => ({ ups: ups.name, maxstartdelayMs: ups.maxstartdelay * 1000 })),
        maxretry,
        retrydelayMs: retrydelay * 1000,
        nowait,
        debugLevel,
        user: o.user,
        chroot: o.chroot,
      });
      const results: StartResult[] = reply.results ?? targets.map(() => ({ ok: reply.ok, messages: reply.messages }));
      for (const [i, ups] of targets.entries()) {
        const result = results[i];
        r.debug(1, `Starting UPS: ${ups.name}`);
        r.debug(2, `${maxretry} remaining attempts`);
        for (const line of result.stdout ?? []) io.stdout(`${line}\n`);
        for (const m of result.messages) r.say(m);
        if (result.fatal) return 1;
        if (countsAsError(result)) errors++;
      }
    }
    for (const ups of command === 'start' ? [] : targets) {
      if (command === 'stop') {
        r.debug(1, `Stopping UPS: ${ups.name}`);
        const reply = await client.request({ cmd: 'stop', ups: ups.name });
        for (const m of reply.messages) r.say(m);
        if (!reply.ok) errors++;
      } else {
        r.debug(1, `Shutdown UPS: ${ups.name}`);
        const reply = await client.request({
          cmd: 'shutdown',
          ups: ups.name,
          maxstartdelayMs: ups.maxstartdelay * 1000,
          debugLevel,
          user: o.user,
          chroot: o.chroot,
        });
        for (const m of reply.messages) r.say(m);
        if (countsAsError(reply)) errors++;
      }
    }
  } catch (e) {
    r.say(`Error: ${(e as Error).message}`);
    return 1;
  } finally {
    client.close();
  }
  return errors > 0 ? 1 : 0;
}


/** A failed start or shutdown; NUT's upsdrvctl also counts a driver it stopped waiting for (exit 1). */
function countsAsError(r: { ok: boolean; messages: readonly string[] }): boolean {
  return !r.ok || r.messages.includes(STARTUP_TIMER_ELAPSED);
}

startWhenMain(import.meta.url, 'upsdrvctl', main);
