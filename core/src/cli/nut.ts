#!/usr/bin/env node
/**
 * `nut <command> [args]`: one entry point for every nut-ts tool. `nut start` runs the host in
 * the foreground (instances from ups.conf plus upsd; the built-in demo when there is no NUT
 * configuration); the other commands run the tool of that name.
 */
import { startWhenMain } from './main-module.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findHost } from '../host/control-client.js';
import { DEMO_UPS, demoDir, demoStatePath, demoUpsConf, missingNutConfig } from '../host/demo.js';
import { nutPaths, type NutPaths } from '../host/paths.js';
import { dropRoot, handOver, reservePrivilegedPorts, runAsUserFor } from '../host/privileges.js';
import { consoleLogger, exitCodeAfterStop, runHost } from '../host/run.js';
import { loadHostSettings } from '../host/settings.js';
import { pluginKinds } from '../plugins/manifest.js';
import { discoverPlugins } from '../plugins/registry.js';

/** Tools that `nut <tool>` runs (their module in core/dist/cli). */
export const TOOLS = ['upsdrvctl', 'upsd', 'upsc', 'upsrw', 'upscmd', 'upslog', 'upsmon', 'upssched', 'check-config', 'driver', 'nut-scanner'];

function usage(): string {
  return [
    'usage: nut <command> [arguments]',
    '',
    '  start [--port N]   run the host in the foreground: drivers from ups.conf and upsd',
    '                     (no ups.conf, or one without a UPS: a demo UPS on 127.0.0.1:3493)',
    '  status             what the running host does (same as upsdrvctl status)',
    '  stop               stop the running host (drivers and upsd)',
    '  plugins [--json]   driver plugins found from here (and host settings), with manifest problems',
    '  simulate <driver>  run the device simulator a plugin brings (nut simulate <driver> -h)',
    ...TOOLS.map((t) => `  ${t.padEnd(18)} run ${t} (nut ${t} -h for its options)`),
    '',
    'Environment: NUT_CONFPATH (ups.conf etc.), NUT_STATEPATH (sockets), NUT_ALTPIDPATH.',
    '',
  ].join('\n');
}

function toolPath(tool: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', `${tool}.js`);
}

function runTool(tool: string, args: string[]): Promise<number> {
  const script = toolPath(tool);
  if (!existsSync(script)) {
    process.stderr.write(`nut: ${tool} is not available in this build (${script} is missing)\n`);
    return Promise.resolve(1);
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
  });
}

function parsePort(args: string[]): number | undefined | Error {
  const i = args.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (i < 0) return undefined;
  const text = args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return new Error(`nut start: bad --port value ${JSON.stringify(text)}`);
  return n;
}

/** `nut start`: the host in the foreground until SIGINT/SIGTERM. */
export async function start(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const port = parsePort(args);
  if (port instanceof Error) {
    process.stderr.write(`${port.message}\n`);
    return 1;
  }
  const out = (s: string) => process.stdout.write(s + '\n');
  const envPaths = nutPaths(env);
  const missing = missingNutConfig(envPaths.confPath);
  const demo = missing !== undefined;
  let paths: NutPaths = envPaths;
  let privateState = false;
  if (demo) {
    privateState = !(env.NUT_STATEPATH && existsSync(env.NUT_STATEPATH));
    const statePath = privateState ? demoStatePath() : env.NUT_STATEPATH!;
    paths = { ...envPaths, confPath: demoDir(), statePath, altPidPath: statePath };
    out(`No NUT configuration in ${envPaths.confPath} (${missing}): running the built-in demo.`);
  } else if (!existsSync(paths.statePath)) {
    process.stderr.write(`nut start: state path ${paths.statePath} does not exist (set NUT_STATEPATH)\n`);
    return 1;
  }
  const other = await findHost(paths);
  if (other) {
    const pong = await other.request({ cmd: 'ping' });
    other.close();
    process.stderr.write(`nut start: a nut-ts host is already running for ${paths.statePath} (pid ${pong.pid}); use upsdrvctl/upsd, or nut stop\n`);
    return 1;
  }
  const log = consoleLogger(process.stderr);
  let running;
  try {
    running = await runHost({
      paths,
      cwd: process.cwd(),
      log,
      handleSignals: true,
      upsConf: demo ? demoUpsConf() : undefined,
    });
  } catch (e) {
    process.stderr.write(`nut start: ${(e as Error).message}\n`);
    return 1;
  }
  const listen = demo || port !== undefined ? [{ host: '127.0.0.1', port: port ?? 3493 }] : undefined;
  await reservePrivilegedPorts(running, log, listen);
  if (privateState) {
    // the demo's private state directory goes to the user the host becomes, so that it can
    // drop root; where the checkout is out of that user's reach the demo stays root, quietly
    const user = runAsUserFor(running);
    if (user) handOver(user, [paths.statePath]);
  }
  const demoPlugin = demo ? running.host.pluginDir('dummy-ups') : undefined;
  if (!dropRoot(running, paths, undefined, log, demo ? { alsoRead: demoPlugin ? [demoPlugin] : [], quietlyStayRoot: true } : {})) {
    await running.stop();
    return 1;
  }
  const { host } = running;
  // upsd listens first: clients can connect (and see each UPS once its driver is up) while
  // a thousand instances are still starting
  const upsd = await host.upsd.start({ listen, noConfigFiles: demo });
  for (const m of upsd.messages) log(upsd.ok ? 'info' : 'error', m);
  if (upsd.ok) {
    // one host for all devices: no reason to make the hundredth wait for the first ninety-nine
    const started = await host.startAll();
    for (const m of started.messages) log(started.ok ? 'warn' : 'error', m);
  }
  const where = upsd.bound?.[upsd.bound.length - 1];
  if (!upsd.ok) {
    out(`upsd could not start${port === undefined && demo ? ' (is another upsd on port 3493? try nut start --port 3494)' : ''}.`);
    await running.stop();
    return 1;
  }
  if (demo && where) {
    const addr = where.port === 3493 ? 'localhost' : `localhost:${where.port}`;
    out('');
    out(`Demo UPS "${DEMO_UPS}" served on ${where.host} port ${where.port}. Look at it with:`);
    out(`  npx upsc ${DEMO_UPS}@${addr}               (or NUT's own upsc)`);
    out(`  npx upsc ${DEMO_UPS}@${addr} ups.status    (cycles OL → OB DISCHRG → OB DISCHRG LB → OL CHRG)`);
    out(`  NUT_STATEPATH=${paths.statePath} npx upsdrvctl status`);
    out('Stop with Ctrl-C.');
  } else if (where) {
    out(`nut-ts running: ${host.list().length} UPS, upsd on ${upsd.bound!.map((b) => `${b.host}:${b.port}`).join(', ')}. Ctrl-C stops.`);
  }
  await running.done;
  return exitCodeAfterStop(running, log);
}

/** `nut simulate <driver|alias> [args]`: a plugin's device simulator, in this process. */
async function simulate(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const loaded = await loadHostSettings(process.cwd());
  const { plugins: found } = discoverPlugins({ pluginPaths: loaded.settings.pluginPaths });
  const withSimulator = found.filter((p) => p.manifest.simulator);
  const names = (p: (typeof found)[number]) => [p.driver, ...(p.manifest.simulator?.aliases ?? [])];
  const plugin = withSimulator.find((p) => names(p).includes(name ?? ''));
  if (!plugin || !plugin.manifest.simulator) {
    const known = withSimulator.flatMap(names).join(', ') || 'none installed';
    process.stderr.write(`usage: nut simulate <driver> [arguments]   (simulators: ${known})\n`);
    return name === undefined || name === '-h' || name === '--help' ? 0 : 1;
  }
  const entry = join(plugin.dir, plugin.manifest.simulator.entry);
  const { createJiti } = await import('jiti');
  const mod = await createJiti(import.meta.url, { moduleCache: true }).import(entry, { default: true });
  if (typeof mod !== 'function') {
    process.stderr.write(`nut simulate: ${entry} has no default export main(args)\n`);
    return 1;
  }
  return (await (mod as (a: string[]) => Promise<number>)(rest)) ?? 0;
}

/** `nut plugins`: what the host would find from this directory, and which package brought which table. */
async function plugins(json: boolean): Promise<number> {
  const loaded = await loadHostSettings(process.cwd());
  const { plugins: found, problems } = discoverPlugins({ pluginPaths: loaded.settings.pluginPaths });
  const tableRows = found.flatMap((p) =>
    p.tables.map((file) => ({
      engine: p.manifest.extends ?? p.driver,
      table: basename(file),
      package: `${p.packageName}@${p.packageVersion}`,
      file,
    })),
  );
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          plugins: found.map((p) => ({ driver: p.driver, package: p.packageName, version: p.packageVersion, kind: p.manifest.kind, source: p.source, dir: p.dir, extends: p.manifest.extends, core: p.manifest.core, match: p.match })),
          tables: tableRows.map(({ engine, package: pkg, file }) => ({ engine, package: pkg, file })),
          problems: [...loaded.problems, ...problems.map((p) => p.message)],
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const kinds = (p: (typeof found)[number]) => pluginKinds(p.manifest).join(',');
    printColumns([['DRIVER', 'KIND', 'PACKAGE', 'FROM'], ...found.map((p) => [p.driver, kinds(p) + (p.manifest.extends ? ` (extends ${p.manifest.extends})` : ''), `${p.packageName}@${p.packageVersion}`, `${p.source} ${p.dir}`])]);
    const fed = tableRows.filter((t) => found.some((p) => p.driver === t.engine && `${p.packageName}@${p.packageVersion}` !== t.package));
    if (fed.length) {
      process.stdout.write('\nTables that installed packages add to an engine:\n');
      printColumns([['ENGINE', 'TABLE', 'PACKAGE'], ...fed.map((t) => [t.engine, t.table, t.package])]);
    }
    for (const p of [...loaded.problems, ...problems.map((x) => x.message)]) process.stderr.write(`warning: ${p}\n`);
  }
  return problems.length > 0 || loaded.problems.length > 0 ? 1 : 0;
}

function printColumns(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) process.stdout.write(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ') + '\n');
}

async function stopHost(env: NodeJS.ProcessEnv): Promise<number> {
  const paths = nutPaths(env);
  const client = await findHost(paths);
  if (!client) {
    process.stderr.write(`nut stop: no nut-ts host is running for ${paths.statePath}\n`);
    return 1;
  }
  await client.request({ cmd: 'host-stop' });
  client.close();
  return 0;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(usage());
    return command ? 0 : 1;
  }
  if (command === 'start') return start(rest, env);
  if (command === 'stop') return stopHost(env);
  if (command === 'plugins') return plugins(rest.includes('--json'));
  if (command === 'simulate') return simulate(rest);
  if (command === 'status') return runTool('upsdrvctl', ['status', ...rest]);
  if (TOOLS.includes(command)) return runTool(command, rest);
  process.stderr.write(`nut: unknown command "${command}"\n\n${usage()}`);
  return 1;
}


startWhenMain(import.meta.url, 'nut', main);
