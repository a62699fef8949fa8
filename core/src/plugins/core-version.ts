/** The running core's version and the check of a plugin's `core` range against it. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SemverError, satisfies } from './semver.js';

let cached: string | undefined;

/** Version of @nut-ts/core (its package.json, two levels above src/plugins or dist/plugins). */
export function coreVersion(): string {
  if (!cached) {
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
    cached = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  }
  return cached;
}

/** Why a plugin with this `core` range cannot load into `version`; undefined when it fits. */
export function coreVersionProblem(range: string | undefined, version: string): string | undefined {
  if (range === undefined) return undefined;
  try {
    if (satisfies(version, range)) return undefined;
  } catch (e) {
    if (e instanceof SemverError) return `"core": invalid version range "${range}": ${e.message}`;
    throw e;
  }
  return `needs nut-ts core ${range}, but this is core ${version}`;
}
