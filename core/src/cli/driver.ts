#!/usr/bin/env node
/**
 * A driver run alone, NUT-style: `nut-driver <driver> -a <ups> | -s <id> -x port=…`
 * (drivers/main.c 2.8.0 options, messages and exit codes). Runs in the foreground and
 * serves NUT's driver socket `<statepath>/<driver>-<ups>`, so NUT's own upsd can use it;
 * `-d N` prints the tree after N updates and exits; `-k` runs the plugin's shutdown.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeValue } from '../config/parseconf.js';
import { readUpsConf } from '../config/ups-conf.js';
import { driverSocketPath, DriverSocketServer } from '../driver-socket/server.js';
import { findDriverPluginForCli, type CliPlugin } from '../driver/plugin-lookup.js';
import { loadDriverPlugin } from '../driver/load-plugin.js';
import { DriverFatal, DriverRuntime, errorText, type LogLevel } from '../driver/runtime.js';
import { applyUpsConf, emptySettings, SettingsError, storeValue, toInstanceSpec } from '../driver/settings.js';
import { DRIVER_CORE_VERSION } from '../driver/version.js';
import { nutPaths } from '../host/paths.js';
import { switchProcessUser } from '../host/privileges.js';
import type { PluginManifest } from '../plugins/manifest.js';
import { LocalDevices } from '../transport/local-devices.js';

const OPTIONS_WITH_ARG = new Set(['a', 's', 'd', 'x', 'r', 'u', 'g', 'i']);
const OPTIONS_ALONE = new Set(['k', 'F', 'B', 'D', 'h', 'L', 'q', 'V']);

interface Parsed {
  a?: string;
  s?: string;
  d?: number;
  i?: number;
  u?: string;
  x: string[];
  flags: Map<string, number>;
}

class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** getopt("+a:s:kFBDd:hx:Lqr:u:g:Vi:"): bundling, attached or separate arguments, stops at the first non-option. */
export function parseArgs(argv: string[]): Parsed {
  const p: Parsed = { x: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') {
      throw new ExitError('Error: too many non-option arguments. Try -h for help.', 1);
    }
    for (let j = 1; j < arg.length; j++) {
      const o = arg[j];
      if (OPTIONS_WITH_ARG.has(o)) {
        let value = arg.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) throw new ExitError(`option requires an argument -- '${o}'\nError: unknown option -?. Try -h for help.`, 1);
          value = argv[++i];
        }
        if (o === 'a') p.a = value;
        else if (o === 's') p.s = value;
        else if (o === 'x') p.x.push(value);
        else if (o === 'u') p.u = value;
        else if (o === 'd') p.d = Number.parseInt(value, 10) || 0;
        else if (o === 'i') {
          const n = Number.parseInt(value, 10) || 0;
          if (n <= 0) throw new ExitError(`Error: command-line: invalid pollinterval: ${n}`, 1);
          p.i = n;
        }
        break;
      }
      if (!OPTIONS_ALONE.has(o)) throw new ExitError(`invalid option -- '${o}'\nError: unknown option -?. Try -h for help.`, 1);
      p.flags.set(o, (p.flags.get(o) ?? 0) + 1);
    }
  }
  return p;
}

function banner(m: PluginManifest): string {
  const name = /river/.test(m.description) ? m.description : `${m.description} driver`;
  return `Network UPS Tools - ${name} ${m.version} (${DRIVER_CORE_VERSION})`;
}

function helpText(driver: string, m: PluginManifest): string {
  const lines = [
    '',
    `usage: ${driver} (-a <id>|-s <id>) [OPTIONS]`,
    '  -a <id>        - autoconfig using ups.conf section <id>',
    '                 - note: -x after -a overrides ups.conf settings',
    '',
    '  -s <id>        - configure directly from cmd line arguments',
    '                 - note: must specify all driver parameters with successive -x',
    "                 - note: at least 'port' variable should be set",
    '                 - note: to explore the current values on a device from an',
    '                   unprivileged user account (with sufficient media access in',
    "                   the OS - e.g. to query networked devices), you can specify",
    "                   '-d 1' argument and `export NUT_STATEPATH=/tmp` beforehand",
    '',
    '  -V             - print version, then exit',
    '  -L             - print parseable list of driver variables',
    '  -D             - raise debugging level (and stay foreground by default)',
    "  -d <count>     - dump data to stdout after 'count' updates loop and exit",
    '  -F             - stay foregrounded even if no debugging is enabled',
    '  -B             - stay backgrounded even if debugging is bumped (nut-ts: always foreground)',
    '  -q             - raise log level threshold',
    '  -h             - display this help',
    '  -k             - force shutdown',
    '  -i <int>       - poll interval',
    '  -r <dir>       - chroot to <dir> (ignored)',
    '  -u <user>      - switch to <user> (if started as root)',
    '  -g <group>     - set pipe access to <group> (if started as root; ignored)',
    '  -x <var>=<val> - set driver variable <var> to <val>',
    '                 - example: -x cable=940-0095B',
    '',
  ];
  const props = Object.entries(m.options?.properties ?? {});
  if (props.length) {
    lines.push('Acceptable values for -x or ups.conf in this driver:', '');
    for (const [name, o] of props) {
      const desc = o.description.padStart(40);
      lines.push(o.type === 'boolean' ? `${desc} : -x ${name}` : `${desc} : -x ${name}=<value>`);
    }
  }
  return lines.join('\n') + '\n';
}

function listText(m: PluginManifest): string {
  return Object.entries(m.options?.properties ?? {})
    .map(([name, o]) => `${o.type === 'boolean' ? 'FLAG' : 'VALUE'} ${name} "${o.description}"\n`)
    .join('');
}

function splitX(text: string): [string, string | true] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, true] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** NUT's log shape: with -D, seconds since start and [Dn] on debug lines. */
function makeLogger(debugLevel: number): (level: LogLevel, message: string, n?: number) => void {
  const start = process.hrtime.bigint();
  return (level, message, n) => {
    if (level === 'debug' && debugLevel < (n ?? 1)) return;
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const prefix = debugLevel > 0 ? `${elapsed.toFixed(6).padStart(10)}\t` : '';
    process.stderr.write(`${prefix}${level === 'debug' ? `[D${n ?? 1}] ` : ''}${message}\n`);
  };
}

async function main(argv: string[]): Promise<number> {
  const driver = argv[0];
  const usage = 'usage: nut-driver <driver> (-a <id>|-s <id>) [OPTIONS]   (nut-driver <driver> -h for help)\n';
  if (driver === '-h' || driver === '--help') {
    process.stdout.write(usage);
    return 0;
  }
  if (!driver || driver.startsWith('-')) {
    process.stderr.write(usage);
    return 1;
  }
  let found: CliPlugin | undefined;
  try {
    found = findDriverPluginForCli(driver);
  } catch (e) {
    process.stderr.write(`Error: ${errorText(e)}\n`);
    return 1;
  }
  if (!found) {
    process.stderr.write(`Error: no nut-ts plugin provides driver '${driver}'\n`);
    return 1;
  }
  const m = found.manifest;
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv.slice(1));
  } catch (e) {
    process.stdout.write(banner(m) + '\n');
    if (e instanceof ExitError) {
      process.stderr.write(e.message + '\n');
      return e.code;
    }
    throw e;
  }
  process.stdout.write(banner(m) + '\n');
  const flag = (o: string) => parsed.flags.get(o) ?? 0;
  if (flag('V')) return 0;
  if (flag('h')) {
    process.stdout.write(helpText(driver, m));
    return 0;
  }
  if (flag('L')) {
    process.stdout.write(listText(m));
    return 0;
  }
  const upsname = parsed.a ?? parsed.s;
  if (upsname === undefined) {
    process.stderr.write("Error: specifying '-a id' or '-s id' is now mandatory. Try -h for help.\n");
    return 1;
  }
  const paths = nutPaths();
  const settings = emptySettings(driver, upsname);
  let confUser: string | undefined;
  try {
    if (parsed.a !== undefined) {
      const conf = readUpsConf(paths.confPath);
      const section = conf.sections.find((s) => s.name === parsed.a);
      if (!section) {
        process.stderr.write(`Error: Section ${parsed.a} not found in ups.conf\n`);
        return 1;
      }
      applyUpsConf(settings, conf, section, m);
      const user = section.values.get('user') ?? conf.global.get('user');
      if (typeof user === 'string') confUser = user;
    }
    for (const x of parsed.x) {
      const [k, v] = splitX(x);
      storeValue(settings, m, k, v, true);
    }
  } catch (e) {
    if (e instanceof SettingsError) {
      (e.exitCode === 0 ? process.stdout : process.stderr).write(e.message + (e.message.endsWith('\n') ? '' : '\n'));
      return e.exitCode;
    }
    process.stderr.write(`Error: ${errorText(e)}\n`);
    return 1;
  }
  if (parsed.i !== undefined) settings.pollinterval = parsed.i;
  if (settings.port === '') {
    process.stderr.write("Error: you must specify a port name in ups.conf or in '-x port=...' argument.\nTry -h for help.\n");
    return 1;
  }
  const dumpMode = parsed.d !== undefined && parsed.d > 0;
  const confPath = resolve(paths.confPath);
  const statePath = resolve(paths.statePath);
  const altPidPath = resolve(paths.altPidPath);
  if (!dumpMode && !flag('k')) {
    // NUT's driver works from its state path (relative file names resolve there).
    try {
      process.chdir(statePath);
    } catch (e) {
      process.stderr.write(`chdir(${paths.statePath}): ${errorText(e)}\n`);
      return 1;
    }
  }
  const spec = toInstanceSpec(settings, m, { entryPath: found.entryPath, confPath, pluginDir: found.dir, tables: found.tables }, flag('D'));
  const log = makeLogger(spec.debugLevel);
  // NUT's driver switches user before it opens the device (main.c: become_user, then
  // upsdrv_initups): -u, else `user` of its section or of ups.conf, else nut
  const switched = switchProcessUser({ env: parsed.u ?? (process.env.NUT_RUN_AS_USER || undefined), upsConfUser: confUser }, { confPath, statePath, alsoRead: [found.dir] });
  if (!switched.ok) {
    process.stderr.write(`${switched.error}\n`);
    return 1;
  }
  if (switched.warning) log('warn', switched.warning);
  let plugin;
  try {
    plugin = await loadDriverPlugin(spec.entryPath, spec.upsname);
  } catch (e) {
    process.stderr.write(`${errorText(e)}\n`);
    return 1;
  }
  // A driver run alone is one process for one device, like NUT's: its devices open here (a
  // native crash ends only this driver), with no broker or transport process to start. The
  // plugin's cleanup closes them; whatever it leaves open ends with the process.
  // -k opens the port without its lock, as NUT's main.c does.
  const devices = new LocalDevices({ nolock: spec.options.nolock === true || flag('k') > 0 });
  const runtime = new DriverRuntime(spec, plugin, { log, devices });
  try {
    if (flag('k')) {
      await runtime.forceShutdown();
      return 0;
    }
    await runtime.init();
  } catch (e) {
    process.stderr.write(`${errorText(e)}\n`);
    return 1;
  }
  if (dumpMode) {
    try {
      runtime.publishRuntimeInfo();
      await runtime.dumpUpdates(parsed.d ?? 1);
    } catch (e) {
      process.stderr.write(`${errorText(e)}\n`);
      return 1;
    }
    const out = runtime.tree.list().map((n) => `${n.name}: ${encodeValue(n.value)}\n`);
    process.stdout.write(out.join(''));
    await runtime.cleanup();
    return 0;
  }
  return serve(runtime, driver, upsname, statePath, altPidPath, log);
}

async function serve(
  runtime: DriverRuntime,
  driver: string,
  upsname: string,
  statePath: string,
  altPidPath: string,
  log: (level: LogLevel, message: string, n?: number) => void,
): Promise<number> {
  let server: DriverSocketServer;
  const path = driverSocketPath(statePath, driver, upsname);
  try {
    server = await DriverSocketServer.listen({
      path,
      tree: runtime.tree,
      log,
      commands: {
        instcmd: (command, param, reply) => runtime.instcmd(command, param, undefined, reply),
        setvar: (name, value, reply) => runtime.setvar(name, value, undefined, reply),
      },
    });
  } catch (e) {
    process.stderr.write(`Fatal error: unable to create listener socket\n${path}: ${errorText(e)}\n`);
    return 1;
  }
  log('debug', `dstate_init: sock ${path} open`);
  runtime.publishRuntimeInfo();
  const pidFile = join(altPidPath, `${driver}-${upsname}.pid`);
  try {
    writeFileSync(pidFile, `${process.pid}\n`);
  } catch {
    log('debug', `writepid: cannot write ${pidFile}`);
  }
  for (const [sig, n] of [
    ['SIGTERM', 15],
    ['SIGINT', 2],
    ['SIGQUIT', 3],
  ] as const) {
    process.on(sig, () => {
      log('info', `Signal ${n}: exiting`);
      runtime.stop();
    });
  }
  process.on('SIGHUP', () => {});
  process.on('SIGPIPE', () => {});
  let code = 0;
  try {
    await runtime.runLoop();
  } catch (e) {
    process.stderr.write(`${e instanceof DriverFatal ? e.message : errorText(e)}\n`);
    code = 1;
  }
  await server.close();
  try {
    unlinkSync(pidFile);
  } catch {
    // not written or already gone
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    // Plugin handles (sockets, timers) must not keep a finished driver alive.
    process.exitCode = code;
    setImmediate(() => process.exit(code));
  },
  (e: unknown) => {
    process.stderr.write(`nut-driver: ${errorText(e)}\n`);
    process.exit(1);
  },
);
