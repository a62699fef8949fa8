/** The tokenizer's findings (parse errors, lost input) as config problems of one file. */
import { tokenizeConfig, WORD_COUNT_LIMIT, WORD_LENGTH_LIMIT, type ConfigLine } from './parseconf.js';
import { problem, type ConfigProblem } from './problems.js';

export interface TokenizedConfig {
  lines: ConfigLine[];
  problems: ConfigProblem[];
}

/**
 * Parse errors are warnings: NUT logs `Parse error: <file>:<line>: <msg>`, drops the words read
 * so far and goes on, so the file is still accepted.
 */
export function tokenizeForReader(input: string | Uint8Array, file: string): TokenizedConfig {
  const t = tokenizeConfig(input, file);
  const problems: ConfigProblem[] = [];
  for (const e of t.errors) {
    problems.push(
      problem('warning', file, e.line, `parse error: ${e.message}; the words before it on this line are ignored (write \\# for a literal #)`),
    );
  }
  for (const l of t.losses) {
    const joined = l.quotedNewlines ?? 0;
    if (joined && !l.quoteOpenAtEnd) {
      problems.push(
        problem('warning', file, l.line, `a quote opened on this line is not closed before its end: NUT reads the next ${joined === 1 ? 'line' : `${joined} lines`} into the same value (close the quote, or write \\" for a literal quote)`),
      );
    }
    if (l.quoteOpenAtEnd) {
      problems.push(problem('warning', file, l.line, `a quote opened on this line is never closed (the file ends inside it)`));
    }
    const dropped = l.droppedChars - joined;
    if (dropped > 0) {
      problems.push(
        problem('warning', file, l.line, `${dropped} character(s) below 0x20 or above 0x7F dropped (tabs inside quotes, UTF-8, control bytes)`),
      );
    }
    if (l.truncatedChars) {
      problems.push(problem('warning', file, l.line, `a word longer than ${WORD_LENGTH_LIMIT} characters was truncated`));
    }
    if (l.droppedWords) {
      problems.push(problem('warning', file, l.line, `more than ${WORD_COUNT_LIMIT} words on one line: ${l.droppedWords} word(s) ignored`));
    }
  }
  return { lines: t.lines, problems };
}
