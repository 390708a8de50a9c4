/**
 * "Did you mean …?" for a mistyped name (a flag, a config key, an env id, a preset): the one known
 * name the given one most plausibly misspells. No imports, so it runs in a browser and costs the
 * CLI nothing before tfjs loads.
 */

/** Lower case, with `-` and `_` dropped: `fast-lr`, `fast_lr` and `fastLr` are one name. */
function fold(s: string): string {
  return s.toLowerCase().replace(/[-_]/g, '');
}

/**
 * The edit distance between `a` and `b` counting an insertion, a deletion, a substitution and a swap of
 * two neighbouring characters as one edit each (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name that `given` most plausibly stands for, or undefined when none stands out. In order:
 * a name equal to it but for case, `-` and `_` (`maxKL` → `maxKl`); the only name it begins
 * (`--iter` → `--iterations`; none when it begins several), else the only name it is part of
 * (`gpu` → `tensorflow-gpu`, not `cpu`), both for 3 characters or more; the only name closest to it within an
 * edit distance of 1 for names up to 4 characters, 2 up to 8, else 3 (`--tsks` → `--tasks`), compared
 * without case. A tie gives undefined: a guess between two names would mislead. So do a `no-` form
 * of a known name (the opposite meaning) and another version of a versioned id (`Name-v1` for
 * `Name-v0`, another MDP).
 */
export function closestName(given: string, known: readonly string[]): string | undefined {
  const g = fold(given);
  if (g.length === 0) return undefined;
  const same = known.filter((k) => fold(k) === g);
  if (same.length === 1) return same[0];
  // `--no-first-order` is not a misspelt `--first-order`: it means the opposite.
  if (g.startsWith('no') && known.some((k) => fold(k) === g.slice(2))) return undefined;
  // Another version of a versioned id (Navigation2D-v1) is another MDP, not a typo of v0.
  const version = /^(.*)v\d+$/;
  if (version.test(g) && known.some((k) => version.test(fold(k)) && version.exec(fold(k))![1] === version.exec(g)![1])) return undefined;
  if (g.length >= 3) {
    const prefixed = known.filter((k) => fold(k).startsWith(g));
    if (prefixed.length === 1) return prefixed[0];
    // The beginning of several names (`--task`: `--tasks` or `--task-file`): no guess.
    if (prefixed.length > 1) return undefined;
    const containing = known.filter((k) => fold(k).includes(g));
    if (containing.length === 1) return containing[0];
  }
  const limit = g.length <= 4 ? 1 : g.length <= 8 ? 2 : 3;
  let best: string[] = [];
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(g, fold(k));
    if (dist > limit) continue;
    if (dist < bestD) [best, bestD] = [[k], dist];
    else if (dist === bestD) best.push(k);
  }
  return best.length === 1 ? best[0] : undefined;
}

/** ` (did you mean X?)` for {@link closestName}'s answer, else the empty string: to append to a message. */
export function didYouMean(given: string, known: readonly string[], show: (name: string) => string = (n) => n): string {
  const name = closestName(given, known);
  return name === undefined ? '' : ` (did you mean ${show(name)}?)`;
}

/**
 * For Node's `parseArgs` error "Unknown option '--tsks'": " (did you mean --tasks?)" when one of
 * `flags` (names without dashes) is the one most plausibly meant, else the empty string (also for
 * any other message).
 */
export function unknownFlagHint(message: string, flags: readonly string[]): string {
  const flag = /Unknown option '--([^'=]+)/.exec(message)?.[1];
  return flag === undefined ? '' : didYouMean(flag, flags, (f) => `--${f}`);
}

/**
 * `v` as JSON for a message, with the numbers JSON cannot hold written as they are (`[Infinity, 0]`
 * reads `[Infinity,0]`, not `[null,0]`); a function is "a function", undefined "undefined".
 */
export function showJson(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  const mark = '\u0000';
  const text = JSON.stringify(v, (_, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `${mark}${String(x)}${mark}` : x));
  return text === undefined ? String(v) : text.replace(/"\\u0000(.*?)\\u0000"/g, '$1');
}
