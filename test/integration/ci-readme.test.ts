/** What README tells a user to install for the compatibility tests is what CI installs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('README and CI agree', () => {
  it('on the packages of the oracle and the test tools', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const fromReadme = /apt-get install -y ([a-z0-9 .+-]+)`/.exec(readme)?.[1].trim().split(/\s+/);
    const fromCi = /^packages=\(([^)]*)\)$/m.exec(ci)?.[1].trim().split(/\s+/);
    expect(fromReadme).toBeDefined();
    expect(fromCi).toBeDefined();
    expect([...fromReadme!].sort()).toEqual([...fromCi!].sort());
  });

  it('on the commands: CI runs the type check and both test projects as README names them', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm run test:compat');
    for (const command of ['npm ci', 'npm run typecheck', 'npm test', 'npm run test:compat']) expect(ci).toContain(command);
  });
});
