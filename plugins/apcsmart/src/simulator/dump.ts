/** NUT's device dump format (.dev, as upsc prints it): `name: value` lines, '#' comments. */
import { readFileSync } from 'node:fs';

export function parseDump(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const colon = line.indexOf(': ');
    if (colon < 0) {
      // `name:` with an empty value
      if (line.endsWith(':')) out.set(line.slice(0, -1).trim(), '');
      continue;
    }
    out.set(line.slice(0, colon).trim(), line.slice(colon + 2));
  }
  return out;
}

export function readDump(file: string): Map<string, string> {
  return parseDump(readFileSync(file, 'latin1'));
}
