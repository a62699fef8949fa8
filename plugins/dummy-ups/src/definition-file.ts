/**
 * The .dev/.seq engine of NUT 2.8.0's dummy-ups (parse_data_file): reads the file line by
 * line with NUT's config grammar, stops at `TIMER <s>` and resumes there once the time has
 * passed, starts again at line 1 after the end. `name:` is cut at its first colon, driver.*
 * lines are skipped, ups.status words go through the status composer, other values are the
 * words joined by single spaces and cut to 127 characters. A line without a value reuses
 * the previous value (NUT's buffer is not cleared between lines).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { cAtoi, tokenizeConfig, type ConfigLine, type StatusComposer } from '@nut-ts/core/plugin-api';

/** MAX_STRING_SIZE - 1. */
export const MAX_VALUE_LENGTH = 127;

export interface DefinitionSink {
  status: StatusComposer;
  /** The driver's internal setvar (flags, DELINFO on an empty value). */
  setvar(name: string, value: string): void;
  debug(level: number, message: string): void;
}

export class DefinitionFile {
  private lines: ConfigLine[] | null = null;
  private position = 0;
  /** Seconds (epoch) before which parsing stays paused; -1: no TIMER pending. */
  nextUpdate = -1;
  private valueBuffer = '';

  constructor(
    readonly path: string,
    private readonly sink: DefinitionSink,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** True while a pass is open (interrupted by a TIMER). */
  get open(): boolean {
    return this.lines !== null;
  }

  /** Forces the next parse() to run (dummy-once re-read after a change). */
  rearm(): void {
    this.nextUpdate = 1;
  }

  /** One parse step; throws when the file cannot be opened (fatal in NUT). */
  async parse(): Promise<void> {
    const now = this.nowSeconds();
    if (now < this.nextUpdate) {
      this.sink.debug(1, 'leaving (paused)...');
      return;
    }
    if (this.lines === null) {
      const bytes = await readDefinition(this.path);
      this.lines = tokenizeConfig(bytes, this.path).lines;
      this.position = 0;
    }
    this.nextUpdate = -1;
    const lines = this.lines;
    while (this.position < lines.length) {
      const words = lines[this.position++].words;
      if (words.length < 1) continue;
      if (words[0].startsWith('TIMER')) {
        const delay = cAtoi(words[1] ?? '');
        this.nextUpdate = this.nowSeconds() + delay;
        this.sink.debug(1, `suspending execution for ${delay} seconds...`);
        break;
      }
      const colon = words[0].indexOf(':');
      const name = colon >= 0 ? words[0].slice(0, colon) : words[0];
      if (name.startsWith('driver.')) {
        this.sink.debug(2, `parse_data_file: skipping ${name}`);
        continue;
      }
      if (name.startsWith('ups.status')) {
        this.sink.status.init();
        for (const w of words.slice(1)) this.sink.status.set(w);
        this.sink.status.commit();
        continue;
      }
      if (words.length > 1) this.valueBuffer = words.slice(1).join(' ').slice(0, MAX_VALUE_LENGTH);
      this.sink.setvar(name, this.valueBuffer);
    }
    if (this.nextUpdate === -1) this.lines = null;
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
};

/**
 * Reads a definition file without ever blocking a thread: opened non-blocking, and anything
 * but a regular file is refused. (NUT 2.8.0's dummy-ups fopen()s the port as given, so a FIFO
 * nobody writes to holds that driver in its start for as long as nobody writes.)
 */
export async function readDefinition(path: string): Promise<Buffer> {
  const fail = (reason: string) => new Error(`Can't open dummy-ups definition file ${path}: Can't open ${path}: ${reason}`);
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw fail(ERRNO_TEXT[code] ?? (e as Error).message);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : 'a device';
      throw fail(`not a regular file (${kind}); dummy-ups reads .dev and .seq files only`);
    }
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
