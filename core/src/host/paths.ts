/** NUT's paths from the environment, with Debian's packaged defaults. */
import { join } from 'node:path';

export interface NutPaths {
  confPath: string;
  statePath: string;
  altPidPath: string;
  /** Directory of NUT's C drivers (ups.conf `driverpath` overrides). */
  driverPath: string;
}

export function nutPaths(env: NodeJS.ProcessEnv = process.env): NutPaths {
  const statePath = env.NUT_STATEPATH || '/run/nut';
  return {
    confPath: env.NUT_CONFPATH || '/etc/nut',
    statePath,
    altPidPath: env.NUT_ALTPIDPATH || statePath,
    driverPath: '/lib/nut',
  };
}

/** The host's control socket (JSON lines). */
export function controlSocketPath(statePath: string): string {
  return join(statePath, 'nut-ts.ctl');
}

export function hostPidPath(altPidPath: string): string {
  return join(altPidPath, 'nut-ts.pid');
}

export function hostLogPath(statePath: string): string {
  return join(statePath, 'nut-ts.log');
}
