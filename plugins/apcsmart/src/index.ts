/**
 * apcsmart for nut-ts: APC Smart protocol units (Smart-UPS, Matrix-UPS, DP, RT, SURT…) on a
 * serial port. Plugin entry, run in a worker; each instance has its own engine.
 */
import { defineDriver, type DriverContext } from '@nut-ts/core/plugin-api';
import { instcmd, setvar, shutdown } from './commands.js';
import { ApcEngine } from './engine.js';
import { readOptions } from './options.js';
import { loadTable, type ApcTable } from './table.js';

export { ApcEngine, parseCapabilities, parseHexPrefix } from './engine.js';
export { loadTable, parseTable, type ApcTable } from './table.js';

export default defineDriver(() => {
  let engine: ApcEngine | undefined;
  let table: ApcTable | undefined;
  const engineOf = (ctx: DriverContext): ApcEngine => {
    if (!engine) throw new Error(`apcsmart: ${ctx.upsname}: the port is not open`);
    return engine;
  };
  return {
    async initups(ctx) {
      const options = readOptions(ctx);
      table ??= loadTable(ctx.tables?.[0]);
      engine = new ApcEngine(ctx, table, options);
      await engine.open();
    },
    async initinfo(ctx) {
      const e = engineOf(ctx);
      if (!(await e.smartMode(5))) {
        throw new Error(
          `unable to detect an APC Smart protocol UPS on port ${ctx.port}\ncheck the cabling, port name or model name and try again`,
        );
      }
      if (!(await e.discover())) throw new Error(`Problems with communicating APC UPS on port ${ctx.port}\n`);
      ctx.dstate.setinfo('ups.mfr', 'APC');
      ctx.log.debug(1, `detected ${ctx.dstate.getinfo('ups.model') ?? '"unknown model"'} [${ctx.dstate.getinfo('ups.serial') ?? 'unknown serial'}] on ${ctx.port}`);
      ctx.dstate.dataok();
    },
    async updateinfo(ctx) {
      await engineOf(ctx).update();
    },
    instcmd(ctx, command, param) {
      return instcmd(engineOf(ctx), command, param);
    },
    setvar(ctx, name, value) {
      return setvar(engineOf(ctx), name, value);
    },
    async shutdown(ctx) {
      await shutdown(engineOf(ctx));
    },
    async cleanup() {
      const e = engine;
      engine = undefined;
      if (!e) return;
      // Leave smart mode ('R', the unit answers BYE) and close the port.
      if (e.link.isOpen) {
        await e.link.exchange(async () => {
          await e.link.flush(false);
          if (await e.link.write('R')) await e.link.read({ timeoutMs: 3000 });
        });
      }
      await e.link.close();
    },
  };
});
