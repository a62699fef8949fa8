/**
 * Every rule of reference/config-files.md §1 (NUT's parseconf grammar) against our tokenizer.
 * The rules marked *(verified)* there, and the ones checked in parseconf-oracle.test.ts, were
 * confirmed with NUT 2.8.0's own programs.
 */
import { describe, expect, it } from 'vitest';
import { encodeValue, tokenizeConfig, WORD_COUNT_LIMIT, WORD_LENGTH_LIMIT } from '../../src/config/parseconf.js';
import { formatProblem } from '../../src/config/problems.js';
import { tokenizeForReader } from '../../src/config/tokenize-file.js';

const words = (text: string) => tokenizeConfig(text).lines.map((l) => l.words);

describe('parseconf grammar (config-files.md §1)', () => {
  it('separates words on every isspace character except LF (space, TAB, CR, VT, FF)', () => {
    expect(words('a b\tc\rd\ve\ff\n')).toEqual([['a', 'b', 'c', 'd', 'e', 'f']]);
  });

  it('ends a logical line at LF', () => {
    expect(words('a b\nc\n')).toEqual([['a', 'b'], ['c']]);
  });

  it('treats # at word start as a comment to the end of the line', () => {
    expect(words('# whole line\na # rest\n')).toEqual([['a']]);
  });

  it('ends an unquoted word at # and comments out the rest: a#b → a', () => {
    expect(words('a#b c\n')).toEqual([['a']]);
  });

  it('keeps spaces, = and [ literal inside quotes', () => {
    expect(words('desc = "a b = [c]"\n')).toEqual([['desc', '=', 'a b = [c]']]);
  });

  it('takes a " in the middle of an unquoted word literally: ab"c → ab"c', () => {
    expect(words('ab"c d\n')).toEqual([['ab"c', 'd']]);
  });

  it('reports # inside quotes as a parse error with its line', () => {
    const t = tokenizeConfig('ok = 1\ndesc = "Rack #3"\n', 'ups.conf');
    expect(t.errors).toEqual([{ file: 'ups.conf', line: 2, message: 'Unbalanced word due to unescaped # in quotes' }]);
  });

  it('resumes right after the offending # and reads the rest of the line as a new line', () => {
    const t = tokenizeConfig('desc = "Rack #3 x" next\nafter = 1\n');
    // the resumed text `3 x" next` is unquoted: the quote inside a word is literal
    expect(t.lines.map((l) => l.words)).toEqual([['3', 'x"', 'next'], ['after', '=', '1']]);
    expect(t.lines[0].line).toBe(1);
    expect(t.lines[1].line).toBe(2);
  });

  it('takes the next character literally after a backslash, outside and inside quotes', () => {
    expect(words('a\\"b \\\\ \\# \\ x "q\\"q" "s\\\\" "h\\#"\n')).toEqual([['a"b', '\\', '#', ' x', 'q"q', 's\\', 'h#']]);
  });

  it('joins lines on backslash-LF and continues the current word', () => {
    expect(words('desc = "multi\\\nline"\n')).toEqual([['desc', '=', 'multiline']]);
    expect(words('port = /dev/tty\\\nS0 next\n')).toEqual([['port', '=', '/dev/ttyS0', 'next']]);
  });

  it('drops an LF inside quotes: the quoted word spans lines', () => {
    expect(words('desc = "two\nlines"\nx\n')).toEqual([['desc', '=', 'twolines'], ['x']]);
  });

  it('lets an unterminated quote swallow the following lines until EOF', () => {
    const t = tokenizeConfig('desc = "open\na = 1\nb = 2\n');
    expect(t.lines.map((l) => l.words)).toEqual([['desc', '=', 'opena = 1b = 2']]);
  });

  it('makes = a word of its own, at word start and inside unquoted words', () => {
    expect(words('port=/dev/x\n')).toEqual([['port', '=', '/dev/x']]);
    expect(words('a==b\n')).toEqual([['a', '=', '=', 'b']]);
    expect(words('a =b\n')).toEqual([['a', '=', 'b']]);
    expect(words('= x\n')).toEqual([['=', 'x']]);
  });

  it('makes "" an empty word', () => {
    expect(words('desc = ""\n')).toEqual([['desc', '=', '']]);
  });

  it('drops characters below 0x20 and above 0x7E silently (TAB inside quotes, UTF-8)', () => {
    const t = tokenizeConfig(Buffer.from('desc = "a\tb\u00e9c"\nx\x01y\n', 'utf8'));
    expect(t.lines.map((l) => l.words)).toEqual([['desc', '=', 'abc'], ['xy']]);
    expect(t.droppedChars).toBe(4); // TAB, two UTF-8 bytes of é, 0x01
    expect(t.losses).toEqual([
      { line: 1, droppedChars: 3, truncatedChars: 0, droppedWords: 0 },
      { line: 2, droppedChars: 1, truncatedChars: 0, droppedWords: 0 },
    ]);
  });

  it('notes newlines swallowed by a quote left open, and a file that ends inside a quote', () => {
    // NUT 2.8.0's upsd on such a file logs "addchar: discarding invalid character (0x0a)!" and joins the lines.
    const t = tokenizeConfig('[a]\n port = "x.dev\n desc = y\n[b]\n password = "open\n');
    expect(t.lines.map((l) => [l.line, l.words])).toEqual([
      [1, ['[a]']],
      [2, ['port', '=', 'x.dev desc = y[b] password = ', 'open']],
    ]);
    expect(t.losses).toEqual([{ line: 2, droppedChars: 3, truncatedChars: 0, droppedWords: 0, quotedNewlines: 3 }]);
    const end = tokenizeConfig('a = 1\nb = "open\n');
    expect(end.losses).toEqual([{ line: 2, droppedChars: 1, truncatedChars: 0, droppedWords: 0, quotedNewlines: 1, quoteOpenAtEnd: true }]);
    const r = tokenizeForReader('x = "a\tb\n y = 1"\n', 'ups.conf');
    expect(r.problems.map((p) => formatProblem(p))).toEqual([
      'ups.conf:1: warning: a quote opened on this line is not closed before its end: NUT reads the next line into the same value (close the quote, or write \\" for a literal quote)',
      'ups.conf:1: warning: 1 character(s) below 0x20 or above 0x7F dropped (tabs inside quotes, UTF-8, control bytes)',
    ]);
    const e = tokenizeForReader('x = "a\n', 'upsd.users');
    expect(e.problems.map((p) => formatProblem(p))).toEqual(['upsd.users:1: warning: a quote opened on this line is never closed (the file ends inside it)']);
    const escaped = tokenizeConfig('x = "a\\\nb"\n');
    expect(escaped.lines.map((l) => l.words)).toEqual([['x', '=', 'ab']]);
    expect(escaped.losses).toEqual([]);
  });

  it('keeps DEL (0x7F), as NUT 2.8.0 does (bug fix: we used to drop it)', () => {
    expect(words('a\x7fb\n')).toEqual([['a\x7fb']]);
  });

  it('keeps 32 words per line and drops the rest', () => {
    const line = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const t = tokenizeConfig(line + '\n');
    expect(t.lines[0].words).toHaveLength(WORD_COUNT_LIMIT);
    expect(t.lines[0].words[31]).toBe('w31');
    expect(t.losses).toEqual([{ line: 1, droppedChars: 0, truncatedChars: 0, droppedWords: 8 }]);
  });

  it('truncates words at 512 characters', () => {
    const t = tokenizeConfig(`desc = ${'x'.repeat(600)} y\n`);
    expect(t.lines[0].words[2]).toBe('x'.repeat(WORD_LENGTH_LIMIT));
    expect(t.lines[0].words[3]).toBe('y');
    expect(t.losses[0].truncatedChars).toBe(600 - WORD_LENGTH_LIMIT);
  });

  it('yields no line for blank and comment-only lines', () => {
    const t = tokenizeConfig('\n   \n\t# c\n#\n');
    expect(t.lines).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it('processes a last line without LF when a word was complete before EOF', () => {
    expect(words('a\nport = x.dev')).toEqual([['a'], ['port', '=', 'x.dev']]);
    expect(words('a\nb c')).toEqual([['a'], ['b', 'c']]);
    expect(words('a\nvalue = "open')).toEqual([['a'], ['value', '=', 'open']]);
  });

  it('loses a last line without LF that is a single unfinished word (NUT pconf_file_next)', () => {
    expect(words('a\nnolock')).toEqual([['a']]);
    expect(words('a\n"quoted"')).toEqual([['a'], ['quoted']]);
  });

  it('numbers logical lines by the physical line where they start', () => {
    const t = tokenizeConfig('\n\na = "x\ny"\nb\n');
    expect(t.lines).toEqual([
      { words: ['a', '=', 'xy'], line: 3 },
      { words: ['b'], line: 5 },
    ]);
  });

  it('reports each # in quotes separately and keeps the lines after them', () => {
    const t = tokenizeConfig('"a#b" "c#d"\nok\n');
    expect(t.errors.map((e) => e.line)).toEqual([1, 1]);
    expect(t.lines).toEqual([
      { words: ['d"'], line: 1 },
      { words: ['ok'], line: 2 },
    ]);
  });

  it('encodes values like pconf_encode: backslash before \\, " and # only', () => {
    expect(encodeValue('a "b" #c \\d e')).toBe('a \\"b\\" \\#c \\\\d e');
    expect(encodeValue('plain')).toBe('plain');
    for (const v of ['x"y', 'p#q', 'back\\slash', 'a b']) {
      expect(words(`k = "${encodeValue(v)}"\n`)).toEqual([['k', '=', v]]);
    }
  });
});
