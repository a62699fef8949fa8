// A simulated UPS. '@nut-ts/core/plugin-api' is provided by the host that loads the plugin,
// so the package needs no copy of nut-ts of its own (it is an optional peer dependency).
import { defineDriver, type DriverContext } from '@nut-ts/core/plugin-api';

// NUT's handler results (STAT_INSTCMD_HANDLED / STAT_INSTCMD_UNKNOWN)
const HANDLED = 0;
const UNKNOWN = 1;

// A factory: the host calls it once per ups.conf section, so every UPS has its own state even
// when several share a worker.
export default defineDriver(() => {
  let onBattery = false;
  let charge = 100;

  function publish(ctx: DriverContext): void {
    ctx.dstate.setinfo('battery.charge', charge);
    ctx.dstate.setinfo('battery.runtime', charge * 30);
    ctx.dstate.setinfo('input.voltage', onBattery ? '0.0' : '230.0');
    ctx.status.init();
    ctx.status.set(onBattery ? 'OB' : 'OL');
    if (onBattery) ctx.status.set('DISCHRG');
    else if (charge < 100) ctx.status.set('CHRG');
    if (charge <= 20) ctx.status.set('LB');
    ctx.status.commit();
    ctx.dstate.dataok();
  }

  return {
    initups(ctx) {
      onBattery = ctx.testvar('on_battery');
      ctx.log.info(`simulating a UPS on port ${ctx.port}`);
    },
    initinfo(ctx) {
      ctx.dstate.setinfo('ups.mfr', 'Example Corp');
      ctx.dstate.setinfo('ups.model', ctx.getval('model') ?? 'Example 1500');
      ctx.dstate.setinfo('battery.charge.low', 20);
      ctx.dstate.addcmd('test.battery.start');
      ctx.dstate.addcmd('test.battery.stop');
    },
    updateinfo(ctx) {
      const drain = Number(ctx.getval('drain') ?? 5);
      charge = onBattery ? Math.max(0, charge - drain) : Math.min(100, charge + 2);
      publish(ctx);
    },
    instcmd(ctx, command) {
      if (command === 'test.battery.start') onBattery = true;
      else if (command === 'test.battery.stop') onBattery = false;
      else return UNKNOWN;
      publish(ctx);
      return HANDLED;
    },
  };
});
