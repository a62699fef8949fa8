/**
 * Texts for GET DESC / GET CMDDESC, found as NUT's upsd finds them: `cmdvartab` in the data
 * path (upsd.conf DATAPATH, else NUT's packaged /usr/share/nut), read once when upsd starts.
 * Without that file, our own table (core/src/dstate/descriptions). Missing everywhere →
 * "Description unavailable".
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizeConfig } from '../config/parseconf.js';
import { describeCmd, describeVar } from '../dstate/descriptions.js';

export const DESCRIPTION_UNAVAILABLE = 'Description unavailable';

/** NUT's DATADIR as Debian and most distributions package it. */
export const NUT_DATA_PATH = '/usr/share/nut';

export interface Describer {
  describeVar(name: string): string | undefined;
  describeCmd(name: string): string | undefined;
  /** Where the texts come from: a cmdvartab path, or 'built-in'. */
  readonly source: string;
}

/** cmdvartab: `VARDESC name "text"` and `CMDDESC name "text"` lines, names case-insensitive. */
export function parseCmdvartab(text: string | Uint8Array, source = 'cmdvartab'): Describer {
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
    source,
  };
}

/** Our own description table. */
export const builtInDescriber: Describer = { describeVar, describeCmd, source: 'built-in' };

/** The describer upsd uses for a DATAPATH setting (undefined: NUT's default data path). */
export function loadDescriber(dataPath: string | undefined): Describer {
  const file = join(dataPath ?? NUT_DATA_PATH, 'cmdvartab');
  if (existsSync(file)) {
    try {
      return parseCmdvartab(readFileSync(file), file);
    } catch {
      // unreadable: NUT disables its descriptions; ours still serve
    }
  }
  return builtInDescriber;
}
