/**
 * Version strings the driver core publishes. NUT clients read `driver.version` as NUT's own
 * version; we keep the variable with our version, prefixed by the NUT release we follow so
 * tools that compare it with NUT versions still see 2.8.0.
 */
import { readFileSync } from 'node:fs';

/** The NUT release whose behaviour nut-ts reproduces. */
export const NUT_COMPAT_VERSION = '2.8.0';

function coreVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const NUT_TS_VERSION = coreVersion();

/** Value of `driver.version` and of the banner's parenthesis. */
export const DRIVER_CORE_VERSION = `${NUT_COMPAT_VERSION}-nut-ts-${NUT_TS_VERSION}`;
