/**
 * GNU getopt_long as NUT's nut-scanner uses it: options may follow operands (operands are
 * ignored), long options take `--name value` or `--name=value`, unique prefixes are accepted,
 * and glibc's messages go to stderr.
 */
import { shortCluster, shortOptions } from '../client/cli/getopt.js';

export interface LongOption {
  name: string;
  hasArg: boolean;
  short: string;
}

export interface ParsedOption {
  /** The short option letter, or '?' for an invalid option or a missing argument. */
  opt: string;
  arg?: string;
}

export function getoptLong(
  args: readonly string[],
  optstring: string,
  longopts: readonly LongOption[],
  prog: string,
  stderr: (s: string) => void,
): { options: ParsedOption[]; operands: string[] } {
  const takesArg = shortOptions(optstring);
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i++];
    if (a === '--') {
      operands.push(...args.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const exact = longopts.find((o) => o.name === name);
      const prefixed = exact ? [exact] : longopts.filter((o) => o.name.startsWith(name));
      if (prefixed.length === 0) {
        stderr(`${prog}: unrecognized option '--${name}'\n`);
        options.push({ opt: '?' });
        continue;
      }
      if (prefixed.length > 1) {
        stderr(`${prog}: option '--${name}' is ambiguous; possibilities:${prefixed.map((o) => ` '--${o.name}'`).join('')}\n`);
        options.push({ opt: '?' });
        continue;
      }
      const o = prefixed[0];
      if (!o.hasArg) {
        if (eq >= 0) {
          stderr(`${prog}: option '--${o.name}' doesn't allow an argument\n`);
          options.push({ opt: '?' });
        } else options.push({ opt: o.short });
        continue;
      }
      if (eq >= 0) options.push({ opt: o.short, arg: a.slice(eq + 1) });
      else if (i < args.length) options.push({ opt: o.short, arg: args[i++] });
      else {
        stderr(`${prog}: option '--${o.name}' requires an argument\n`);
        options.push({ opt: '?' });
      }
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      operands.push(a);
      continue;
    }
    i = shortCluster(args, i, takesArg, options, prog, stderr);
  }
  return { options, operands };
}
