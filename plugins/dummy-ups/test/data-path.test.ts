import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { definitionPath } from '../src/index.js';

describe('dummy-ups reads only files its section names, in the configuration directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dummy-path-'));
  const conf = join(dir, 'conf');
  mkdirSync(join(conf, 'sub'), { recursive: true });
  writeFileSync(join(conf, 'ups.dev'), 'ups.status: OL\n');
  writeFileSync(join(conf, 'sub', 'b.seq'), 'ups.status: OB\n');
  writeFileSync(join(dir, 'secret'), 'password\n');
  symlinkSync(join(dir, 'secret'), join(conf, 'link.dev'));
  symlinkSync(join(conf, 'ups.dev'), join(conf, 'inner.dev'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes names inside the directory (links that stay inside too) and absolute paths', () => {
    expect(definitionPath('ups.dev', conf)).toBe(join(conf, 'ups.dev'));
    expect(definitionPath('sub/b.seq', conf)).toBe(join(conf, 'sub', 'b.seq'));
    expect(definitionPath('sub/../ups.dev', conf)).toBe(join(conf, 'ups.dev'));
    expect(definitionPath('inner.dev', conf)).toBe(join(conf, 'inner.dev'));
    expect(definitionPath('not-there-yet.dev', conf)).toBe(join(conf, 'not-there-yet.dev'));
    expect(definitionPath('/etc/hostname', conf)).toBe('/etc/hostname');
  });

  it('refuses ../../../etc/passwd and a link that leads out, with a clear message', () => {
    expect(() => definitionPath('../../../etc/passwd', conf)).toThrow(
      `port = ../../../etc/passwd names a file outside the configuration directory ${conf}; dummy-ups reads only files there (give an absolute path to use another file)`,
    );
    expect(() => definitionPath('../secret', conf)).toThrow(/outside the configuration directory/);
    expect(() => definitionPath('link.dev', conf)).toThrow(/port = link.dev names a file outside/);
    expect(() => definitionPath('.', conf)).toThrow(/outside/);
  });
});
