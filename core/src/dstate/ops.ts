/**
 * The vocabulary of NUT's driver socket protocol (reference/sock-protocol.md §3), as data.
 * Workers send batches of these to the host; the host applies them to its tree; the driver
 * socket encodes them as text lines for NUT's own programs.
 */

export const FLAG_RW = 0x1;
export const FLAG_STRING = 0x2;
export const FLAG_NUMBER = 0x4;
export const FLAG_IMMUTABLE = 0x8;

export type DstateOp =
  | { op: 'SETINFO'; name: string; value: string }
  | { op: 'DELINFO'; name: string }
  | { op: 'SETFLAGS'; name: string; flags: number }
  | { op: 'SETAUX'; name: string; aux: number }
  | { op: 'ADDENUM'; name: string; value: string }
  | { op: 'DELENUM'; name: string; value: string }
  | { op: 'ADDRANGE'; name: string; min: number; max: number }
  | { op: 'DELRANGE'; name: string; min: number; max: number }
  | { op: 'ADDCMD'; name: string }
  | { op: 'DELCMD'; name: string }
  | { op: 'DATAOK' }
  | { op: 'DATASTALE' };

export type DstateOpName = DstateOp['op'];

/** Flag words in the fixed order NUT writes them (RW, STRING, NUMBER). */
export function flagWords(flags: number): string[] {
  const words: string[] = [];
  if (flags & FLAG_RW) words.push('RW');
  if (flags & FLAG_STRING) words.push('STRING');
  if (flags & FLAG_NUMBER) words.push('NUMBER');
  return words;
}

/** Flags from words, unknown words ignored (as upsd does). */
export function flagsFromWords(words: readonly string[]): number {
  let flags = 0;
  for (const w of words) {
    const u = w.toUpperCase();
    if (u === 'RW') flags |= FLAG_RW;
    else if (u === 'STRING') flags |= FLAG_STRING;
    else if (u === 'NUMBER') flags |= FLAG_NUMBER;
  }
  return flags;
}

/** Status codes a driver returns for INSTCMD and SET (drivers/upshandler.h). A real object, so
 * plugins loaded at run time can use HandlerStatus.Handled as a value. */
export const HandlerStatus = {
  Handled: 0,
  Unknown: 1,
  Invalid: 2,
  Failed: 3,
} as const;
export type HandlerStatus = (typeof HandlerStatus)[keyof typeof HandlerStatus];
