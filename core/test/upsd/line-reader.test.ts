import { describe, expect, it } from 'vitest';
import { Feed, ParseconfMachine } from '../../src/config/parseconf.js';
import { LineReader, Scan } from '../../src/upsd/line-reader.js';

type Event = string[] | 'error';

/** What NUT's byte machine makes of the input, fed one byte at a time. */
function byMachine(input: Buffer): Event[] {
  const m = new ParseconfMachine();
  const out: Event[] = [];
  for (const b of input) {
    const r = m.feed(b);
    if (r === Feed.Line) out.push([...m.words]);
    else if (r === Feed.Error) out.push('error');
  }
  return out;
}

/** What the reader makes of the same input, cut into the given chunks. */
function byReader(input: Buffer, cuts: number[]): Event[] {
  const reader = new LineReader();
  const out: Event[] = [];
  let start = 0;
  for (const end of [...cuts, input.length]) {
    const chunk = input.subarray(start, end);
    let pos = 0;
    while (pos < chunk.length) {
      const r = reader.scan(chunk, pos, chunk.length);
      pos = reader.next;
      if (r === Scan.Line) out.push([...reader.words]);
      else if (r === Scan.Error) out.push('error');
    }
    start = end;
  }
  return out;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LINES = [
  'GET VAR ups ups.status',
  'get var UPS Ups.Status',
  '  LIST\tVAR   ups  \r',
  'NETVER',
  '',
  'SET VAR ups ups.id "my id"',
  'SET VAR ups ups.id my\\ id',
  'USERNAME a=b',
  'GET VAR ups x # comment',
  'GET "VAR" ups "ups.status',
  'continued" next',
  'quote with # inside "a#b"',
  'ctl\x01chars\x7f and \xe9 high',
  'x'.repeat(600) + ' long',
  Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
];

describe('request lines: the fast split gives what NUT’s byte machine gives', () => {
  it('for every kind of line, whole or cut anywhere', () => {
    const input = Buffer.from(LINES.join('\n') + '\n', 'latin1');
    const expected = byMachine(input);
    expect(expected.length).toBeGreaterThan(10);
    expect(byReader(input, [])).toEqual(expected);
    for (let cut = 1; cut < input.length; cut += 7) expect(byReader(input, [cut])).toEqual(expected);
  });

  it('for random bytes and random cuts', () => {
    const next = rng(42);
    const alphabet = Buffer.from('GETVARLIST ups.status\t\r\n\n\n"\\#=ab\x00\x7f\xff', 'latin1');
    for (let round = 0; round < 300; round++) {
      const input = Buffer.alloc(1 + Math.floor(next() * 300));
      for (let i = 0; i < input.length; i++) input[i] = alphabet[Math.floor(next() * alphabet.length)];
      const cuts = [...new Set(Array.from({ length: Math.floor(next() * 5) }, () => Math.floor(next() * input.length)))].sort((a, b) => a - b);
      expect(byReader(input, cuts)).toEqual(byMachine(input));
    }
  });
});
