#!/usr/bin/env node
/**
 * upslog: one status line per interval for each UPS (`-s`/`-l`, or `-m ups,file` tuples), with
 * the format escapes of upslog-format.ts. SIGHUP reopens the log files, SIGUSR1 writes a line
 * at once, SIGINT/SIGQUIT/SIGTERM exit.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseUpsName, type UpsAddress } from '../client/address.js';
import { splitLine, quoteArg } from '../client/words.js';
import { Waker, systemClock } from '../monitor/clock.js';
import { tcpLink, type UpsLink } from '../monitor/link.js';
import { becomeUser, resolveRunAsUser } from '../host/privileges.js';
import { getopt, NUT_VERSION, pidFile, removePid, writePid } from '../monitor/process.js';
import { compileFormat, DEFAULT_FORMAT, renderFormat, type FormatPart } from '../monitor/upslog-format.js';

const BACKGROUND_ENV = 'NUT_TS_UPSLOG_BACKGROUND';

interface Target {
  spec: string;
  addr: UpsAddress;
  logfile: string;
  fd?: number;
  link?: UpsLink;
  everConnected: boolean;
}

function usage(code = 0): never {
  process.stdout.write(
    [
      'UPS status logger.',
      '',
      'usage: upslog [OPTIONS]',
      '',
      '  -f <format>\t- Log format.  See below for details.',
      '\t\t- Use -f "<format>" so your shell doesn\'t break it up.',
      '  -i <interval>\t- Time between updates, in seconds',
      '  -l <logfile>\t- Log file name, or - for stdout (foreground by default)',
      '  -F\t\t- stay foregrounded even if logging into a file',
      '  -B\t\t- stay backgrounded even if logging to stdout',
      '  -p <pidbase>\t- Base name for PID file (defaults to "upslog")',
      '  -s <ups>\t- Monitor UPS <ups> - <upsname>@<host>[:<port>]',
      '  \t\t- Example: -s myups@server',
      '  -m <tuple>\t- Monitor UPS <ups,logfile>',
      '  \t\t- Example: -m myups@server,/var/log/myups.log',
      '  -N\t\t- prefix "%UPSHOST%%t" before the format',
      '  -d <count>\t- Exit after specified amount of updates',
      '  -u <user>\t- Switch to <user> if started as root',
      '',
      'Some valid format string escapes:',
      '\t%% insert a single %',
      '\t%t insert a horizontal tab',
      '\t%TIME format% insert the time with strftime formatting',
      '\t%ETIME% insert the number of seconds, ala time_t',
      '\t%HOST% insert the local hostname',
      '\t%UPSHOST% insert the host of the ups being monitored',
      '\t%PID% insert the pid of upslog',
      '\t%VAR varname% insert the value of ups variable varname',
      '',
      'format string defaults to:',
      DEFAULT_FORMAT,
      '',
    ].join('\n'),
  );
  process.exit(code);
}

function fatal(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  process.stdout.write(`Network UPS Tools upslog ${NUT_VERSION}\n`);
  const argv = process.argv.slice(2);
  const { opts, rest, error } = getopt(argv, 'hs:l:i:f:u:Vp:FBm:Nd:');
  if (error) {
    process.stderr.write(`upslog: ${error}\n`);
    usage(1);
  }
  let ups: string | undefined;
  let logfile: string | undefined;
  let interval = 30;
  let format: string | undefined;
  let pidbase = 'upslog';
  let foreground: boolean | undefined;
  let prefixHost = false;
  let maxLines: number | undefined;
  let runAs: string | undefined;
  const tuples: Array<[string, string]> = [];
  for (const [flag, value = ''] of opts) {
    switch (flag) {
      case 'h':
        usage();
      // falls through (never reached)
      case 's':
        ups = value;
        break;
      case 'l':
        logfile = value;
        break;
      case 'i':
        interval = Number.parseInt(value, 10);
        break;
      case 'f':
        format = value;
        break;
      case 'p':
        pidbase = value;
        break;
      case 'F':
        foreground = true;
        break;
      case 'B':
        foreground = false;
        break;
      case 'N':
        prefixHost = true;
        break;
      case 'd':
        maxLines = Number.parseInt(value, 10);
        break;
      case 'm': {
        const comma = value.lastIndexOf(',');
        if (comma <= 0) fatal(`Invalid tuple for -m: ${value} (expected <ups>,<logfile>)`);
        tuples.push([value.slice(0, comma), value.slice(comma + 1)]);
        break;
      }
      case 'V':
        process.exit(0);
      // falls through (never reached)
      case 'u':
        runAs = value;
        break;
    }
  }
  // legacy positional form: upslog <ups> <file> <interval> [format words…]
  if (rest.length >= 3 && ups === undefined && tuples.length === 0) {
    ups = rest[0];
    logfile = rest[1];
    interval = Number.parseInt(rest[2], 10);
    if (rest.length > 3) format = rest.slice(3).join(' ');
  }
  if (!Number.isFinite(interval) || interval < 1) interval = 30;
  if (ups !== undefined || logfile !== undefined) {
    if (ups === undefined) fatal('Error: no UPS definition supplied (-s <ups>)');
    if (logfile === undefined) fatal('Error: no log file supplied (-l <file>)');
    tuples.unshift([ups, logfile]);
  }
  if (tuples.length === 0) fatal('Error: no UPS definition supplied');

  const fmt = (prefixHost ? '%UPSHOST%%t' : '') + (format ?? DEFAULT_FORMAT);
  const parts = compileFormat(fmt);

  // "*" expands to every UPS that the server lists
  const targets: Target[] = [];
  for (const [spec, file] of tuples) {
    let addr: UpsAddress;
    try {
      addr = parseUpsName(spec);
    } catch (err) {
      fatal(`Error: invalid UPS definition ${spec}: ${(err as Error).message}`);
    }
    if (addr.ups === '*') {
      for (const name of await listUps(addr)) {
        targets.push({ spec: `${name}@${spec.slice(spec.indexOf('@') + 1)}`, addr: { ...addr, ups: name }, logfile: file, everConnected: false });
      }
    } else {
      targets.push({ spec, addr, logfile: file, everConnected: false });
    }
  }
  for (const t of targets) process.stdout.write(`logging status of ${t.spec} to ${t.logfile} (${interval}s intervals)\n`);

  const toStdout = targets.some((t) => t.logfile === '-');
  const stayForeground = foreground ?? toStdout;
  if (!stayForeground && process.env[BACKGROUND_ENV] !== '1') {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv], { detached: true, stdio: 'ignore', env: { ...process.env, [BACKGROUND_ENV]: '1' } });
    child.unref();
    process.exit(0);
  }
  const pidfile = pidFile(pidbase);
  try {
    writePid(pidfile);
  } catch (err) {
    process.stderr.write(`writepid: ${(err as Error).message}\n`);
  }

  const openLogs = () => {
    for (const t of targets) {
      if (t.logfile === '-') {
        t.fd = 1;
        continue;
      }
      if (t.fd !== undefined && t.fd > 2) closeSync(t.fd);
      try {
        t.fd = openSync(t.logfile, 'a');
      } catch (err) {
        fatal(`could not open logfile ${t.logfile}: ${(err as Error).message}`);
      }
    }
  };
  openLogs();
  // NUT's upslog drops root once its log files and pid file are open: -u, else its build's user
  if (process.getuid?.() === 0) {
    try {
      const { user } = resolveRunAsUser({ env: runAs });
      if (user) becomeUser(user);
    } catch (err) {
      fatal((err as Error).message);
    }
  }

  const waker = new Waker();
  let exitSignal: number | undefined;
  process.on('SIGHUP', openLogs);
  process.on('SIGUSR1', () => waker.wake());
  for (const [s, n] of [['SIGINT', 2], ['SIGQUIT', 3], ['SIGTERM', 15]] as const) {
    process.on(s, () => {
      exitSignal = n;
      waker.wake();
    });
  }

  const myHost = hostname();
  let lines = 0;
  for (;;) {
    for (const t of targets) {
      await ensureConnected(t);
      const line = await renderFormat(parts, {
        now: new Date(systemClock.now()),
        hostname: myHost,
        upshost: t.spec,
        pid: process.pid,
        getVar: (name) => getVar(t, name),
      });
      if (t.fd !== undefined) writeSync(t.fd, line + '\n');
      if (interval > 30) {
        t.link?.close();
        t.link = undefined;
      }
    }
    lines++;
    if (maxLines !== undefined && maxLines > 0 && lines >= maxLines) break;
    if (exitSignal !== undefined) break;
    waker.reset();
    await systemClock.sleep(interval * 1000, waker.signal);
    if (exitSignal !== undefined) break;
  }
  if (exitSignal !== undefined) process.stderr.write(`Signal ${exitSignal}: exiting\n`);
  for (const t of targets) t.link?.close();
  removePid(pidfile);
  process.exit(0);
}

async function ensureConnected(t: Target): Promise<void> {
  if (t.link?.open) return;
  try {
    // TRYSSL on the first connection only, as NUT's upslog
    t.link = await tcpLink({ host: t.addr.host, port: t.addr.port, tryTls: !t.everConnected, requireTls: false, certVerify: false, timeoutMs: 5000 });
    t.everConnected = true;
  } catch (err) {
    if (!t.everConnected) process.stderr.write(`Warning: initial connect failed: ${(err as Error).message}\n`);
    t.link = undefined;
  }
}

async function getVar(t: Target, name: string): Promise<string | undefined> {
  if (!t.link?.open) return undefined;
  try {
    const answer = await t.link.request(`GET VAR ${quoteArg(t.addr.ups)} ${quoteArg(name)}`);
    const words = splitLine(answer).words;
    return words[0] === 'VAR' && words.length >= 4 ? words[3] : undefined;
  } catch {
    return undefined;
  }
}

async function listUps(addr: UpsAddress): Promise<string[]> {
  const link = await tcpLink({ host: addr.host, port: addr.port, tryTls: false, requireTls: false, certVerify: false, timeoutMs: 5000 }).catch((err: Error) =>
    fatal(`Error: can't list UPSes on ${addr.host}:${addr.port}: ${err.message}`),
  );
  const names: string[] = [];
  const first = await link.request('LIST UPS');
  if (!first.startsWith('BEGIN LIST UPS')) fatal(`Error: LIST UPS failed: ${first}`);
  for (;;) {
    const line = await link.readLine();
    if (line.startsWith('END LIST UPS')) break;
    const w = splitLine(line).words;
    if (w[0] === 'UPS' && w[1]) names.push(w[1]);
  }
  link.close();
  return names;
}

void main();
