/** "Did you mean …?": the closest candidate by edit distance (adjacent swaps count once). */

export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/**
 * The candidate closest to `word` (compared case-insensitively), if it is close enough to be a
 * plausible typo: at most a third of the longer word's length, and at least 1 edit allowed.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let bestPrefix = -1;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const limit = Math.max(1, Math.floor(Math.max(w.length, c.length) / 3));
    // the distance is at least the length difference: skip hopeless pairs (and long junk) cheaply
    if (Math.abs(w.length - lc.length) > limit) continue;
    const d = editDistance(w, lc);
    if (d > limit) continue;
    // ties go to the candidate sharing the longer prefix (`v2` → `v2c`, not `v1`)
    const prefix = commonPrefix(w, lc);
    if (d < bestDistance || (d === bestDistance && prefix > bestPrefix)) {
      best = c;
      bestDistance = d;
      bestPrefix = prefix;
    }
  }
  return best;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
