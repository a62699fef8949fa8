/**
 * Texts for GET DESC / GET CMDDESC. Source, in order: NUT's `cmdvartab` when upsd.conf names
 * a DATAPATH that holds one (as NUT's upsd reads it), else the descriptions module of
 * core/src/dstate. Missing everywhere → "Description unavailable".
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizeConfig } from '../config/parseconf.js';

export const DESCRIPTION_UNAVAILABLE = 'Description unavailable';

export interface Describer {
  describeVar(name: string): string | undefined;
  describeCmd(name: string): string | undefined;
}

const none: Describer = { describeVar: () => undefined, describeCmd: () => undefined };

/** cmdvartab: `VARDESC name "text"` and `CMDDESC name "text"` lines, names case-insensitive. */
export function parseCmdvartab(text: string | Uint8Array): Describer {
  const vars = new Map<string, string>();
  const cmds = new Map<string, string>();
  for (const { words } of tokenizeConfig(text, 'cmdvartab').lines) {
    if (words.length < 3) continue;
    const map = words[0] === 'VARDESC' ? vars : words[0] === 'CMDDESC' ? cmds : undefined;
    map?.set(words[1].toLowerCase(), words[2]);
  }
  return {
    describeVar: (n) => vars.get(n.toLowerCase()),
    describeCmd: (n) => cmds.get(n.toLowerCase()),
  };
}

let builtIn: Describer | undefined;

/** Our own description table (H5's module), loaded once; absent → no texts. */
export async function loadBuiltInDescriptions(): Promise<Describer> {
  if (builtIn) return builtIn;
  const specifier = '../dstate/descriptions.js';
  try {
    const mod = (await import(specifier)) as Partial<Describer>;
    if (typeof mod.describeVar === 'function' && typeof mod.describeCmd === 'function') {
      const dv = mod.describeVar;
      const dc = mod.describeCmd;
      builtIn = { describeVar: (n) => dv(n) ?? undefined, describeCmd: (n) => dc(n) ?? undefined };
      return builtIn;
    }
  } catch {
    // not built yet
  }
  return none;
}

/** The describer upsd uses for a given DATAPATH setting. */
export async function loadDescriber(dataPath: string | undefined): Promise<Describer> {
  if (dataPath) {
    const file = join(dataPath, 'cmdvartab');
    if (existsSync(file)) {
      try {
        return parseCmdvartab(readFileSync(file));
      } catch {
        // unreadable: fall through
      }
    }
  }
  return loadBuiltInDescriptions();
}
