/** Running a CLI module as a program: is it the entry point, and how it ends. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** True when the module with this URL is the program being run (also through a bin symlink). */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}

/**
 * When moduleUrl is the program, runs main with the arguments and exits with its status. An
 * error main did not handle ends the program with `<program>: <error>` and failStatus.
 */
export function startWhenMain(
  moduleUrl: string,
  program: string,
  main: (argv: string[]) => Promise<number>,
  failStatus = 1,
): void {
  if (!isMainModule(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${program}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(failStatus);
    },
  );
}
