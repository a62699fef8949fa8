/**
 * NUT's own USB drivers against a virtual device: a `-d 1` dump, and the `var: value` lines
 * parsed for comparison (NUT's and ours: `nut-driver … -d 1` prints the same shape).
 */
import { spawnSync } from 'node:child_process';
import type { Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import type { VirtualUsb } from './harness.js';

export interface DumpRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `/lib/nut/<driver> -a <ups> -d <updates> -u root` with the sandbox's config, seeing `dev`. */
export function nutDumpOnVirtualUsb(sb: Sandbox, dev: VirtualUsb, ups: string, driver = 'usbhid-ups', updates = 1): DumpRun {
  const r = spawnSync(`/lib/nut/${driver}`, ['-a', ups, '-d', String(updates), '-u', 'root'], {
    env: { ...sb.env, ...dev.env },
    encoding: 'latin1',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The `var: value` lines of a dump or of an upsc listing; driver.* left out unless asked. */
export function dumpVars(text: string, options: { driverLines?: boolean } = {}): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z][\w.]*): (.*)$/.exec(line);
    if (m && (options.driverLines || !m[1]!.startsWith('driver.'))) vars.set(m[1]!, m[2]!);
  }
  return vars;
}

/**
 * Runs a NUT client (upscmd, upsrw) until it answers OK: upsd answers "driver not connected"
 * or "unknown" until it has read the driver's first full dump.
 */
export async function untilAccepted(args: string[], timeoutMs = 30_000): Promise<void> {
  let answer = '';
  const ok = () => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'latin1' });
    answer = r.stdout + r.stderr;
    return /^OK/m.test(answer);
  };
  await until(`${args.join(' ')} accepted`, ok, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}; last answer: ${answer}`);
  });
}
