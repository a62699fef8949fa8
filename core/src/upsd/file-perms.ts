/** NUT upsd's check_perms(): a warning for each of its files that others may read. */
import { statSync } from 'node:fs';

export function worldReadableWarnings(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    try {
      // NUT includes the x bit, in case it checks a directory
      if (statSync(f).mode & 0o005) out.push(`${f} is world readable`);
    } catch {
      /* missing files are reported where they are read */
    }
  }
  return out;
}
