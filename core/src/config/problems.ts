/**
 * A finding about a config file: where it is (file, line, section, key), what is wrong, what
 * is allowed and what the writer probably meant. Readers and validators never throw on bad
 * input; they return these.
 */
export type Severity = 'error' | 'warning';

export interface ConfigProblem {
  severity: Severity;
  /** File name as shown to the user (usually the base name, e.g. `ups.conf`). */
  file: string;
  /** Physical line (1-based); 0 when the problem concerns the whole file. */
  line: number;
  /** `[name]` of the ups.conf section or upsd.users user, when there is one. */
  section?: string;
  key?: string;
  message: string;
  /** Human-readable list or description of the accepted keys/values. */
  allowed?: string;
  /** The closest valid key or value. */
  suggestion?: string;
}

export function problem(
  severity: Severity,
  file: string,
  line: number,
  message: string,
  extra: Partial<Pick<ConfigProblem, 'section' | 'key' | 'allowed' | 'suggestion'>> = {},
): ConfigProblem {
  const p: ConfigProblem = { severity, file, line, message };
  if (extra.section !== undefined) p.section = extra.section;
  if (extra.key !== undefined) p.key = extra.key;
  if (extra.allowed !== undefined) p.allowed = extra.allowed;
  if (extra.suggestion !== undefined) p.suggestion = extra.suggestion;
  return p;
}

/**
 * One line: `ups.conf:12: [myups] key 'prot' is not an option of driver dummy-ups; did you
 * mean 'port'?`. Warnings carry `warning: ` after the position.
 */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}: ` : `${p.file}: `;
  const level = p.severity === 'warning' ? 'warning: ' : '';
  const section = p.section !== undefined ? `[${p.section}] ` : '';
  let text = where + level + section + p.message;
  if (p.suggestion !== undefined) text += `; did you mean '${p.suggestion}'?`;
  else if (p.allowed !== undefined) text += ` (allowed: ${p.allowed})`;
  return text;
}

export function hasErrors(problems: readonly ConfigProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Stable order for reports: by file, then line, errors before warnings on the same line. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        a.p.file.localeCompare(b.p.file) ||
        a.p.line - b.p.line ||
        (a.p.severity === b.p.severity ? 0 : a.p.severity === 'error' ? -1 : 1) ||
        a.i - b.i,
    )
    .map(({ p }) => p);
}
