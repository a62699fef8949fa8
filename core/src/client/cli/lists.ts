/** LIST handling shared by the CLIs, with libupsclient's failure modes. */
import { NutError } from '../errors.js';
import type { CliOutput } from './io.js';

/**
 * Awaits a LIST: a failure before `BEGIN LIST` is fatal (with the "too old" wording for
 * ERR UNKNOWN-COMMAND when `oldUpsdCheck`), a failure inside the block just ends the list
 * with the items read so far (as upscli_list_next loops do).
 */
export async function listItems(out: CliOutput, p: Promise<string[][]>, oldUpsdCheck = true): Promise<string[][]> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NutError && err.partial) return err.partial;
    if (oldUpsdCheck && err instanceof NutError && err.code === 'UNKNOWN-COMMAND') {
      out.fatal('Error: upsd is too old to support this query');
    }
    out.fatal(`Error: ${(err as Error).message}`);
  }
}

/** NUT's check on each list item's word count. */
export function needWords(out: CliOutput, words: string[], count: number, shown = count): void {
  if (words.length < count) out.fatal(`Error: insufficient data (got ${words.length} args, need at least ${shown})`);
}
