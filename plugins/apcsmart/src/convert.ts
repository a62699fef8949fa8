/** Answers as the unit sends them → NUT values (named conversions the table rows refer to). */
import type { ApcTable, VariableRow } from './table.js';

/** C's strtol(s, NULL, 10): leading blanks, sign, digits; 0 when none. */
export function leadingInt(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1], 10) : 0;
}

export function convertAnswer(table: ApcTable, row: VariableRow, answer: string): string {
  switch (row.convert) {
    case 'hoursToSeconds':
      return String(leadingInt(answer) * 3600);
    case 'minutesToSeconds':
      return String(leadingInt(answer) * 60);
    case 'transferReason':
      return table.transferReasons[answer.charAt(0)] ?? answer;
    default:
      return answer;
  }
}
