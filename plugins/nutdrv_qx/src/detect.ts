/** subdriver_matcher: each protocol in NUT's order (or only the `protocol=` one) gets 3 claims. */
import { QxEngine, type EngineHost, type QxLink } from './engine.js';
import type { FunctionSet } from './functions/types.js';
import type { ProtocolTable } from './table.js';

const MAXTRIES = 3;

/** The protocol's name as `protocol=` spells it: the version string without its version. */
export const protocolName = (t: ProtocolTable): string => t.version.slice(0, t.version.indexOf(' ') < 0 ? undefined : t.version.indexOf(' '));

export async function detectProtocol(
  tables: readonly ProtocolTable[],
  fns: FunctionSet,
  link: QxLink,
  host: EngineHost,
  protocol: string | undefined,
): Promise<QxEngine | undefined> {
  for (const table of tables) {
    if (protocol !== undefined && protocolName(table).toLowerCase() !== protocol.toLowerCase()) {
      host.debug(2, `Skipping protocol ${table.version}`);
      continue;
    }
    const engine = new QxEngine(table, fns, link, host);
    for (let i = 0; i < MAXTRIES; i++) {
      if (await engine.claim()) {
        host.info(`Using protocol: ${table.version}`);
        return engine;
      }
    }
  }
  return undefined;
}
