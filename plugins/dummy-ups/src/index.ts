/**
 * dummy-ups: NUT 2.8.0's device simulation and repeater driver (reference/dummy-ups.md).
 * Dummy modes replay a .dev/.seq file; repeater mode copies another upsd's variables.
 */
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { defineDriver, type DriverContext, type DriverPlugin, type HandlerStatus } from '@nut-ts/core/plugin-api';
import { DefinitionFile } from './definition-file.js';
import { chooseMode, type DummyMode } from './mode.js';
import { Repeater } from './repeater.js';
import { FLAG_STRING, VariableTable } from './variables.js';

const STAT_HANDLED: HandlerStatus = 0;
const STAT_UNKNOWN: HandlerStatus = 1;

/** Whole seconds of a file's mtime, or undefined when it cannot be read. */
async function mtimeSeconds(path: string): Promise<number | undefined> {
  try {
    return Math.floor((await stat(path)).mtimeMs / 1000);
  } catch {
    return undefined;
  }
}

/**
 * Data file path: absolute as given, else in the configuration directory. NUT 2.8.0 joins a
 * relative name to the directory as it is, so `../../../etc/passwd` (or a link in the
 * directory) serves any file the driver can read; here a relative name must stay inside the
 * configuration directory, links resolved. An absolute path is the admin's explicit choice.
 */
export function definitionPath(port: string, confPath: string): string {
  if (isAbsolute(port)) return port;
  const path = join(confPath, port);
  const inside = (dir: string, p: string) => {
    const r = relative(dir, p);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r);
  };
  let real: string | undefined;
  try {
    real = realpathSync(path);
  } catch {
    real = undefined;
  }
  let realDir: string;
  try {
    realDir = realpathSync(confPath);
  } catch {
    realDir = resolve(confPath);
  }
  if (!inside(resolve(confPath), resolve(path)) || (real !== undefined && !inside(realDir, real))) {
    throw new Error(
      `port = ${port} names a file outside the configuration directory ${confPath}; dummy-ups reads only files there (give an absolute path to use another file)`,
    );
  }
  return path;
}

/** One instance's driver: every instance has its own mode, file position and repeater. */
export function createDummyUps(table = VariableTable.load()): DriverPlugin {
  let mode: DummyMode = 'dummy-loop';
  let file: DefinitionFile | undefined;
  let repeater: Repeater | undefined;
  let fileMtime: number | undefined;

  /** The internal setvar: file lines, repeated variables and SET from clients. */
  function setvar(ctx: DriverContext, name: string, value: string): HandlerStatus {
    ctx.log.debug(2, `entering setvar(${name}, ${value})`);
    const d = ctx.dstate;
    if (name.startsWith('ups.status')) {
      ctx.status.init();
      ctx.status.set(value);
      ctx.status.commit();
      return STAT_HANDLED;
    }
    if (value.length === 0) {
      d.delinfo(name);
      return STAT_HANDLED;
    }
    d.setinfo(name, value);
    const row = table.find(name);
    if (row) {
      d.setflags(row.name, row.flags);
      if (row.flags & FLAG_STRING) d.setaux(row.name, row.aux);
    } else {
      ctx.log.debug(2, `setvar: unknown variable (${name}), using default flags`);
      d.setflags(name, table.unknown.flags);
      d.setaux(name, table.unknown.aux);
    }
    return STAT_HANDLED;
  }

  function openFile(ctx: DriverContext): DefinitionFile {
    file ??= new DefinitionFile(definitionPath(ctx.port, ctx.confPath), {
      status: ctx.status,
      setvar: (name, value) => {
        setvar(ctx, name, value);
      },
      debug: (level, message) => ctx.log.debug(level, message),
    }, () => Math.floor(ctx.now() / 1000));
    return file;
  }

  const plugin: DriverPlugin = {
    async initups(ctx) {
      const choice = chooseMode(ctx.getval('mode'), ctx.port);
      mode = choice.mode;
      ctx.dstate.setinfo('driver.parameter.mode', choice.published);
      if (mode === 'repeater') {
        ctx.log.debug(1, 'Repeater mode');
        return;
      }
      definitionPath(ctx.port, ctx.confPath);
      // 2.8.0 looks at the port as given (relative to the working directory), so a relative
      // name is usually not found here and the first update reads the file again.
      fileMtime = await mtimeSeconds(resolve(ctx.port));
      if (fileMtime === undefined) ctx.log.debug(2, `Can't open ${ctx.port} currently`);
    },

    async initinfo(ctx) {
      if (mode === 'repeater') {
        repeater = new Repeater(ctx.port, ctx, (name, value) => setvar(ctx, name, value));
        await repeater.start();
      } else {
        for (const row of table.rows) {
          if (row.initial === undefined) continue;
          ctx.dstate.setinfo(row.name, row.initial);
          ctx.dstate.setflags(row.name, row.flags);
          if (row.flags & FLAG_STRING) ctx.dstate.setaux(row.name, row.aux);
        }
        await openFile(ctx).parse();
        ctx.dstate.dataok();
      }
      ctx.dstate.addcmd('load.off');
    },

    async updateinfo(ctx) {
      ctx.log.debug(1, 'upsdrv_updateinfo...');
      await ctx.sleep(1000);
      if (mode === 'repeater') {
        if (await repeater!.update()) ctx.dstate.dataok();
        return;
      }
      const f = openFile(ctx);
      if (mode === 'dummy-once' && !f.open && f.nextUpdate === -1) {
        const now = await mtimeSeconds(f.path);
        if (now === undefined) {
          ctx.log.warn(`WARNING: stat failed: ${f.path}`);
          fileMtime = undefined;
          f.rearm();
        } else if (now !== fileMtime) {
          ctx.log.debug(2, 'upsdrv_updateinfo: input file was already read once to the end, but changed later - re-reading');
          fileMtime = now;
          f.rearm();
        }
        if (!f.open && f.nextUpdate === -1) {
          ctx.log.debug(2, 'upsdrv_updateinfo: NO-OP: input file was already read once to the end');
          ctx.dstate.dataok();
          return;
        }
      }
      await f.parse();
      ctx.dstate.dataok();
    },

    instcmd(ctx, command, param) {
      ctx.log.info(`instcmd: unknown command [${command}] [${param ?? '(null)'}]`);
      return STAT_UNKNOWN;
    },

    setvar(ctx, name, value) {
      // 2.8.0 installs no SET handler in repeater mode: no answer at all.
      if (mode === 'repeater') return undefined as unknown as HandlerStatus;
      return setvar(ctx, name, value);
    },

    shutdown() {
      throw new Error('shutdown not supported');
    },

    async cleanup() {
      await repeater?.close();
    },
  };
  return plugin;
}

const table = VariableTable.load();

export default defineDriver(() => createDummyUps(table));
