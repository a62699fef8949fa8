/** The protocol table as data (tables/apcsmart.json, schema/apcsmart-table.schema.json). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Conversion = 'hoursToSeconds' | 'minutesToSeconds' | 'transferReason';
export type CommandAction =
  | 'hardHibernate'
  | 'softHibernate'
  | 'delayedPowerOff'
  | 'instantPowerOff'
  | 'loadOn'
  | 'calibrationStart'
  | 'calibrationStop';

export interface VariableRow {
  name: string;
  char: string;
  poll?: boolean;
  convert?: Conversion;
  writableString?: boolean;
  packed?: boolean;
  alternative?: boolean;
  pattern?: string;
}

export interface CommandRow {
  name: string;
  char: string;
  argument?: string;
  confirmTwice?: boolean;
  sendTwice?: boolean;
  action?: CommandAction;
}

export interface ApcTable {
  variables: VariableRow[];
  transferReasons: Record<string, string>;
  commands: CommandRow[];
  unexposedChars: string;
  compatibility: Array<{ firmware: string; chars: string }>;
  firmwareQuirks: { capabilityOverflow: string[]; voltageAnswerKey: string };
}

export const BUILTIN_TABLE = fileURLToPath(new URL('../tables/apcsmart.json', import.meta.url));

/** Checks what the engine relies on (the full shape is in the schema); throws naming the row. */
export function parseTable(text: string, source = 'apcsmart table'): ApcTable {
  let t: ApcTable;
  try {
    t = JSON.parse(text) as ApcTable;
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`);
  }
  const fail = (m: string): never => {
    throw new Error(`${source}: ${m}`);
  };
  if (!Array.isArray(t.variables) || !Array.isArray(t.commands) || !Array.isArray(t.compatibility)) {
    fail('variables, commands and compatibility must be arrays');
  }
  t.variables.forEach((v, i) => {
    if (typeof v.name !== 'string' || typeof v.char !== 'string' || v.char.length !== 1) fail(`variables[${i}]: needs name and a one-character char`);
    if (v.packed && !v.name.includes('.0.')) fail(`variables[${i}] (${v.name}): packed rows name the first field with '.0.'`);
    if (v.pattern !== undefined) new RegExp(v.pattern);
  });
  t.commands.forEach((c, i) => {
    if (typeof c.name !== 'string' || typeof c.char !== 'string' || c.char.length !== 1) fail(`commands[${i}]: needs name and a one-character char`);
    if (c.argument !== undefined) new RegExp(c.argument);
  });
  if (typeof t.transferReasons !== 'object' || typeof t.unexposedChars !== 'string' || typeof t.firmwareQuirks !== 'object') {
    fail('transferReasons, unexposedChars and firmwareQuirks are required');
  }
  return t;
}

export function loadTable(file = BUILTIN_TABLE): ApcTable {
  return parseTable(readFileSync(file, 'utf8'), file);
}

/** Printable form of a protocol byte for logs (^A, 0x7f). */
export function charName(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code >= 0x7f) return `0x${code.toString(16).padStart(2, '0')}`;
  return c;
}
