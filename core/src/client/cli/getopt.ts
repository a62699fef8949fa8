/**
 * POSIX getopt with a leading `+` (stop at the first non-option), printing glibc's messages
 * (`prog: invalid option -- 'x'`, `prog: option requires an argument -- 'x'`) to stderr.
 */

export interface ParsedOptions {
  /** Options in command-line order; `?` for an invalid option or a missing argument. */
  options: Array<{ opt: string; arg?: string }>;
  /** Operands after the options. */
  rest: string[];
}

export function getopt(args: string[], spec: string, prog: string, stderr: (s: string) => void): ParsedOptions {
  const takesArg = shortOptions(spec);
  const options: ParsedOptions['options'] = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      stderr(`${prog}: unrecognized option '${a}'\n`);
      options.push({ opt: '?' });
      i++;
      continue;
    }
    i = shortCluster(args, i + 1, takesArg, options, prog, stderr);
  }
  return { options, rest: args.slice(i) };
}

/** An optstring's letters (a leading `+` aside) and whether each takes an argument. */
export function shortOptions(spec: string): Map<string, boolean> {
  const takesArg = new Map<string, boolean>();
  for (let i = spec.startsWith('+') ? 1 : 0; i < spec.length; i++) {
    if (spec[i] === ':') continue;
    takesArg.set(spec[i], spec[i + 1] === ':');
  }
  return takesArg;
}

/**
 * The option letters of args[next - 1] (`-abc`, `-ovalue`) into options, with glibc's
 * messages; a letter that takes an argument may take args[next]. Returns the next index.
 */
export function shortCluster(
  args: readonly string[],
  next: number,
  takesArg: ReadonlyMap<string, boolean>,
  options: Array<{ opt: string; arg?: string }>,
  prog: string,
  stderr: (s: string) => void,
): number {
  const a = args[next - 1];
  for (let j = 1; j < a.length; j++) {
    const c = a[j];
    const needs = takesArg.get(c);
    if (needs === undefined) {
      stderr(`${prog}: invalid option -- '${c}'\n`);
      options.push({ opt: '?' });
      continue;
    }
    if (!needs) {
      options.push({ opt: c });
      continue;
    }
    if (j + 1 < a.length) options.push({ opt: c, arg: a.slice(j + 1) });
    else if (next < args.length) options.push({ opt: c, arg: args[next++] });
    else {
      stderr(`${prog}: option requires an argument -- '${c}'\n`);
      options.push({ opt: '?' });
    }
    break;
  }
  return next;
}

/** Removes every `--json` (our extension) and tells whether one was there. */
export function takeJsonFlag(args: string[]): { json: boolean; args: string[] } {
  const rest = args.filter((a) => a !== '--json');
  return { json: rest.length !== args.length, args: rest };
}
