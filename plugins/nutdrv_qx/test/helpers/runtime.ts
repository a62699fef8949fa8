/** A DriverRuntime running nutdrv_qx over an in-memory link (no serial port). */
import { DriverRuntime } from '../../../../core/src/driver/runtime.js';
import { testInstanceSpec } from '../../../../core/src/driver/test-context.js';
import type { QxLink } from '../../src/engine.js';
import { createNutdrvQx } from '../../src/index.js';
import type { ProtocolTable } from '../../src/table.js';

export interface RuntimeOptions {
  options?: Record<string, string | true>;
  defaults?: Array<[string, string]>;
  overrides?: Array<[string, string]>;
  now?: () => number;
}

export function makeRuntime(link: QxLink, o: RuntimeOptions = {}) {
  const logs: string[] = [];
  const plugin = createNutdrvQx({ link: async () => link });
  const rt = new DriverRuntime(
    testInstanceSpec({
      upsname: 'qx',
      driver: 'nutdrv_qx',
      pluginVersion: '0.32',
      pluginName: 'Generic Q* USB/Serial driver',
      port: '/dev/null',
      confPath: '/tmp',
      options: o.options ?? {},
      overrides: o.overrides ?? [],
      defaults: o.defaults ?? [],
      watchdogMs: 30000,
    }),
    plugin,
    { log: (_l, m) => logs.push(m), now: o.now },
  );
  return { rt, plugin, logs };
}

/**
 * NUT's TESTING qx_command: the protocol's testing[] answer for a command (case-insensitive),
 * else the protocol's `rejected` reply, else the command echoed back.
 */
export class TestingLink implements QxLink {
  readonly sent: string[] = [];
  constructor(private readonly table: ProtocolTable) {}
  async command(cmd: string) {
    this.sent.push(cmd);
    const row = this.table.testing?.find((t) => t.command.toLowerCase() === cmd.toLowerCase());
    const data = row ? row.answer : (this.table.rejected ?? cmd);
    const length = row?.length && row.length > row.answer.length ? row.length : data.length;
    return { data, length };
  }
}
