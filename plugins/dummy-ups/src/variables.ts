/** The built-in variable table (data/variables.json): flags and aux applied by setvar. */
import { readFileSync } from 'node:fs';

export interface VariableRow {
  name: string;
  flags: number;
  /** Maximum length, only for STRING variables (0 otherwise). */
  aux: number;
  initial?: string;
}

interface TableFile {
  unknown: { flags: string[]; aux: number };
  variables: Array<{ name: string; flags: string[]; aux?: number; initial?: string }>;
}

const FLAG_BITS: Record<string, number> = { RW: 0x1, STRING: 0x2, NUMBER: 0x4 };
export const FLAG_STRING = 0x2;

function bits(words: string[]): number {
  return words.reduce((f, w) => f | (FLAG_BITS[w] ?? 0), 0);
}

export class VariableTable {
  readonly rows: VariableRow[];
  readonly unknown: VariableRow;
  private readonly byName = new Map<string, VariableRow>();

  constructor(file: TableFile) {
    this.rows = file.variables.map((v) => ({ name: v.name, flags: bits(v.flags), aux: v.aux ?? 0, initial: v.initial }));
    this.unknown = { name: '', flags: bits(file.unknown.flags), aux: file.unknown.aux };
    for (const r of this.rows) if (!this.byName.has(r.name.toLowerCase())) this.byName.set(r.name.toLowerCase(), r);
  }

  /** Case-insensitive; the first row of a name wins (ups.serial is listed twice). */
  find(name: string): VariableRow | undefined {
    return this.byName.get(name.toLowerCase());
  }

  static load(path: URL | string = new URL('../data/variables.json', import.meta.url)): VariableTable {
    return new VariableTable(JSON.parse(readFileSync(path, 'utf8')) as TableFile);
  }
}
