/** The README's apt-get line and .ci/run install the same Debian packages (CI's own extras aside). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
/** Pulled in by the others anyway; .ci/run names them so a broken mirror fails early. */
const CI_ONLY = ['openssl', 'libumockdev0'];

describe('test prerequisites', () => {
  it('the README and .ci/run list the same packages', () => {
    const ci = /^packages=\(([^)]*)\)/m.exec(readFileSync(join(ROOT, '.ci/run'), 'utf8'))![1].split(/\s+/).filter(Boolean);
    const readme = /`apt-get install -y ([^`]+)`/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![1].split(/\s+/).filter(Boolean);
    expect(readme.sort()).toEqual(ci.filter((p) => !CI_ONLY.includes(p)).sort());
    for (const p of ['mosquitto', 'chromium', 'python3-prometheus-client']) expect(ci).toContain(p);
  });
});
