/** "Did you mean ...?" suggestions by edit distance. */

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions,
 * so 'hrf_modle' is one edit from 'hrf_model'). Case-insensitive.
 */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const m = a.length, n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[m][n];
}

/**
 * The candidate closest to `word`, when it is close enough to be a plausible
 * typo: at most max(1, round(len/3)) edits (3 for long words), or one is a
 * prefix of the other (e.g. 'glover+derivative' vs 'glover + derivative' after
 * removing spaces). Undefined when nothing is close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[\s_\-]+/g, '');
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = squash(c) === squash(word) ? 0.5 : editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.min(3, Math.max(1, Math.round(Math.max(word.length, best.length) / 3)));
  return bestD <= limit ? best : undefined;
}
