/**
 * The built-in demo for `nut start` when no NUT configuration exists: a dummy-ups instance
 * replaying core/demo/demo.seq (on-line → on battery → low battery → back), served by upsd on
 * 127.0.0.1:3493, with a private state directory.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUpsConf, type UpsConf } from './ups-conf.js';

export const DEMO_UPS = 'demo';

/** core/demo, from either core/src/host or core/dist/host. */
export function demoDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'demo');
}

export function demoUpsConf(): UpsConf {
  return parseUpsConf(
    [
      'pollinterval = 2',
      `[${DEMO_UPS}]`,
      '  driver = dummy-ups',
      '  port = demo.seq',
      '  desc = "nut-ts demo UPS (dummy-ups replaying demo.seq)"',
      '',
    ].join('\n'),
    'demo ups.conf',
  );
}

/** A state directory of its own, so the demo never touches /run/nut. */
export function demoStatePath(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = join(tmpdir(), `nut-ts-demo-${uid}`);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Why confPath holds no NUT configuration to run (then the demo runs), or undefined when it
 * does. A ups.conf without any section counts as none: Debian's packaged /etc/nut is like that.
 */
export function missingNutConfig(confPath: string): string | undefined {
  const file = join(confPath, 'ups.conf');
  if (!existsSync(file)) return 'no ups.conf';
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch {
    return undefined; // unreadable: let the host report it
  }
  return parseUpsConf(text, 'ups.conf').sections.length === 0 ? 'ups.conf defines no UPS' : undefined;
}
