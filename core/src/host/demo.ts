/**
 * The built-in demo for `nut start` when no NUT configuration exists: a dummy-ups instance
 * replaying core/demo/demo.seq (on-line → on battery → low battery → back), served by upsd on
 * 127.0.0.1:3493, with a private state directory.
 */
import { existsSync, mkdirSync } from 'node:fs';
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

export function hasNutConfig(confPath: string): boolean {
  return existsSync(join(confPath, 'ups.conf'));
}
