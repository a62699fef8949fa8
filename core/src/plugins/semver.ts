/**
 * The part of npm's semver ranges a plugin manifest's `core` field needs: comparators (`<`,
 * `<=`, `>`, `>=`, `=`), caret and tilde ranges, x-ranges (`1.x`, `1.2`, `*`), hyphen ranges
 * (`1.2 - 1.4`), intersections by space and unions by `||`. Prerelease versions satisfy a
 * range only through a comparator on the same major.minor.patch, as in npm.
 */

interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

type Comparator = { op: '<' | '<=' | '>' | '>=' | '='; v: Version };

const VERSION_RE = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const PARTIAL_RE = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export class SemverError extends Error {}

export function parseVersion(text: string): Version {
  const m = VERSION_RE.exec(text.trim());
  if (!m) throw new SemverError(`"${text}" is not a version (major.minor.patch)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === undefined) return -1;
    if (b[i] === undefined) return 1;
    const an = /^\d+$/.test(a[i]);
    const bn = /^\d+$/.test(b[i]);
    if (an && bn && Number(a[i]) !== Number(b[i])) return Number(a[i]) - Number(b[i]);
    if (an !== bn) return an ? -1 : 1;
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.pre, b.pre);
}

const v = (major: number, minor: number, patch: number, pre: string[] = []): Version => ({ major, minor, patch, pre });

/** One space-free range element (`^1.2`, `>=1.0.0`, `1.x`) as comparators. */
function element(text: string): Comparator[] {
  const m = /^(<=|>=|<|>|=|\^|~>?)?\s*(.*)$/.exec(text)!;
  const op = m[1] ?? '';
  const p = PARTIAL_RE.exec(m[2]);
  if (!p) throw new SemverError(`"${text}" is not a version range element`);
  const wild = (s: string | undefined) => s === undefined || /^[xX*]$/.test(s);
  const [M, mi, pa] = [p[1], p[2], p[3]];
  const pre = p[4] ? p[4].split('.') : [];
  if (wild(M)) return op === '<' || op === '>' ? [{ op: '<', v: v(0, 0, 0) }] : [];
  const major = Number(M);
  const minor = wild(mi) ? undefined : Number(mi);
  const patch = wild(pa) ? undefined : Number(pa);
  const lower = v(major, minor ?? 0, patch ?? 0, pre);
  switch (op) {
    case '^': {
      const upper =
        major > 0 || minor === undefined ? v(major + 1, 0, 0) : minor > 0 || patch === undefined ? v(0, minor + 1, 0) : v(0, 0, patch + 1);
      return [{ op: '>=', v: lower }, { op: '<', v: upper }];
    }
    case '~':
    case '~>': {
      const upper = minor === undefined ? v(major + 1, 0, 0) : v(major, minor + 1, 0);
      return [{ op: '>=', v: lower }, { op: '<', v: upper }];
    }
    case '':
    case '=':
      if (minor === undefined) return [{ op: '>=', v: lower }, { op: '<', v: v(major + 1, 0, 0) }];
      if (patch === undefined) return [{ op: '>=', v: lower }, { op: '<', v: v(major, minor + 1, 0) }];
      return [{ op: '=', v: lower }];
    case '>':
      if (minor === undefined) return [{ op: '>=', v: v(major + 1, 0, 0) }];
      if (patch === undefined) return [{ op: '>=', v: v(major, minor + 1, 0) }];
      return [{ op: '>', v: lower }];
    case '<=':
      if (minor === undefined) return [{ op: '<', v: v(major + 1, 0, 0) }];
      if (patch === undefined) return [{ op: '<', v: v(major, minor + 1, 0) }];
      return [{ op: '<=', v: lower }];
    default:
      return [{ op: op as Comparator['op'], v: lower }];
  }
}

/** One `||` branch: hyphen range or space-separated elements. */
function branch(text: string): Comparator[] {
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
  if (hyphen) {
    const [from, to] = [element(hyphen[1]), element(`<=${hyphen[2]}`)];
    return [...from.filter((c) => c.op !== '<'), ...to];
  }
  // "> = 1.2" style gaps between an operator and its version are allowed by npm.
  const parts = text.replace(/(<=|>=|<|>|=|\^|~>?)\s+/g, '$1').split(/\s+/).filter(Boolean);
  return parts.flatMap(element);
}

function test(c: Comparator, x: Version): boolean {
  const d = compareVersions(x, c.v);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    default:
      return d === 0;
  }
}

/** Parses a range; throws SemverError naming the bad part. */
export function parseRange(range: string): Comparator[][] {
  return range.split('||').map((b) => branch(b.trim()));
}

export function satisfies(version: string, range: string): boolean {
  const x = parseVersion(version);
  return parseRange(range).some((set) => {
    if (!set.every((c) => test(c, x))) return false;
    if (x.pre.length === 0) return true;
    return set.some((c) => c.v.pre.length > 0 && c.v.major === x.major && c.v.minor === x.minor && c.v.patch === x.patch);
  });
}
