/** Every named function the shipped tables may refer to. */
import { ablerex } from './ablerex.js';
import { bestups } from './bestups.js';
import { blazer } from './blazer.js';
import type { FunctionSet } from './types.js';
import { voltronicFamily } from './voltronic-family.js';
import { voltronicQsHex } from './voltronic-qs-hex.js';

export function mergeFunctionSets(...sets: FunctionSet[]): FunctionSet {
  const out: FunctionSet = {};
  for (const s of sets) {
    for (const k of Object.keys(s) as Array<keyof FunctionSet>) {
      (out as Record<string, object>)[k] = { ...((out as Record<string, object>)[k] ?? {}), ...(s[k] as object) };
    }
  }
  return out;
}

export const builtinFunctions: FunctionSet = mergeFunctionSets(blazer, ablerex, bestups, voltronicFamily, voltronicQsHex);
export type { FunctionSet, QxApi } from './types.js';
