/** "did you mean": the closest known name within a small edit distance. */

function distance(left: string, right: string): number {
  const previous = Array.from({ length: right.length + 1 }, (_unused, index) => index);
  for (let row = 1; row <= left.length; row += 1) {
    let diagonal = previous[0] ?? 0;
    previous[0] = row;
    for (let column = 1; column <= right.length; column += 1) {
      const above = previous[column] ?? 0;
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      previous[column] = Math.min(above + 1, (previous[column - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[right.length] ?? Math.max(left.length, right.length);
}

export function closestName(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 200) return undefined;
  const lower = word.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = candidate.toLowerCase() === lower ? 0 : distance(lower, candidate.toLowerCase());
    if (best === undefined || score < best.score) best = { name: candidate, score };
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(2, Math.floor(best.name.length / 3));
  return best.score <= allowed ? best.name : undefined;
}
