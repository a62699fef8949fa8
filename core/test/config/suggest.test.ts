import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../src/config/suggest.js';

describe('suggestions', () => {
  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests within a third of the length, case-insensitively, ties by common prefix', () => {
    expect(closest('prot', ['port', 'desc'])).toBe('port');
    expect(closest('PORT', ['port'])).toBe('port');
    expect(closest('v2', ['v1', 'v2c', 'v3'])).toBe('v2c');
    expect(closest('zzzz', ['port', 'desc'])).toBeUndefined();
  });

  it('gives up quickly on very long words', () => {
    const long = 'x'.repeat(100_000);
    expect(closest(long, ['port', 'driver', 'x'.repeat(10)])).toBeUndefined();
  });
});
