// The installed commands start here. npm links bin entries before the workspace is built, so
// they point at these committed files, which load the built program from dist/ when run.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function launch(program) {
  const target = new URL(`../dist/cli/${program}.js`, import.meta.url);
  const path = fileURLToPath(target);
  if (!existsSync(path)) {
    process.stderr.write(`nut-ts is not built (${path} is missing): run "npm run build" in the nut-ts directory\n`);
    process.exit(1);
  }
  process.argv[1] = path; // the program sees itself as the entry point
  await import(target.href);
}
