/** Answers as the unit sends them → NUT values (named conversions the table rows refer to). */
import { cAtoi } from '@nut-ts/core/plugin-api';
import type { ApcTable, VariableRow } from './table.js';

export function convertAnswer(table: ApcTable, row: VariableRow, answer: string): string {
  switch (row.convert) {
    case 'hoursToSeconds':
      return String(cAtoi(answer) * 3600);
    case 'minutesToSeconds':
      return String(cAtoi(answer) * 60);
    case 'transferReason':
      return table.transferReasons[answer.charAt(0)] ?? answer;
    default:
      return answer;
  }
}
