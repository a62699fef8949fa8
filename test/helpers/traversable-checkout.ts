/**
 * Vitest global setup. Some tests run our programs as another user (`nobody`, `nut`): the
 * host's privilege drop, permission errors on device nodes. That user must be able to reach the
 * checkout, which is not so when it was cloned under a private folder (CI clones into
 * `mktemp -d`, mode 0700). As root, this lets others traverse (x, not read) each folder above the
 * checkout for the duration of the run, and puts the modes back afterwards. Installed copies
 * live in world-readable places, so this only undoes an artefact of where the tests run.
 */
import { chmodSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export default function setup(): (() => void) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const changed: Array<[string, number]> = [];
  let dir = join(import.meta.dirname, '..', '..');
  for (;;) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push([dir, mode]);
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return () => {
    for (const [d, mode] of changed.reverse()) chmodSync(d, mode);
  };
}
