/** The protocol tables shipped in this package (tables/*.json). */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const tablesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'tables');

export function builtinTableFiles(): string[] {
  return readdirSync(tablesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(tablesDir, f));
}
