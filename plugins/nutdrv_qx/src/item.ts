/** A table row at run time: its flags (SKIP is set as the driver learns) and last answer. */
import type { ItemFlag, ItemRow } from './table.js';

export class Item {
  readonly flags: Set<ItemFlag>;
  /** The reply (after preprocessAnswer), as latin1 text. */
  answer = '';
  /** answer[from..to]. */
  value = '';

  constructor(readonly row: ItemRow) {
    this.flags = new Set(row.flags ?? []);
  }

  get name(): string {
    return this.row.name;
  }
  get command(): string | undefined {
    return this.row.command;
  }
  get from(): number {
    return this.row.from ?? 0;
  }
  get to(): number {
    return this.row.to ?? 0;
  }
  /** NUT's dfl: the format, or the default value / argument. */
  get dfl(): string | undefined {
    return this.row.format ?? this.row.default;
  }
  has(flag: ItemFlag): boolean {
    return this.flags.has(flag);
  }
  /** ST_FLAG_* bits of the published variable. */
  get nutFlags(): number {
    let f = 0;
    for (const w of this.row.nutFlags ?? []) f |= w === 'rw' ? 1 : 2;
    return f;
  }
}

/** C string view: up to the first NUL. */
export function cstr(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}
