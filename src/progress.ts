/** A run's `progress.jsonl`, read back: what the training curves plot (`metarl plot`, the browser demo). Browser-safe. */

/** The fields of a `progress.jsonl` line the curves plot. */
export interface ProgressPoint {
  iteration: number;
  returnsBefore: number;
  returnsAfter: number;
}

/**
 * Parses `progress.jsonl` (one JSON object per line; blank lines ignored). A last line without its
 * newline that does not parse is left out: a run still training may be writing it, and a crash
 * may have cut it short (`metarl train --resume` drops it too).
 */
export function parseProgress(text: string): ProgressPoint[] {
  const out: ProgressPoint[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let r: Partial<ProgressPoint>;
    try {
      r = JSON.parse(line) as Partial<ProgressPoint>;
    } catch (e) {
      if (i === lines.length - 1) return; // unterminated: being written, or cut short
      throw new Error(`progress.jsonl line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    // A non-finite return (a diverged iteration) is written by JSON as null: read it back as NaN.
    const ret = (v: unknown) => (v === null ? Number.NaN : v);
    const [before, after] = [ret(r.returnsBefore), ret(r.returnsAfter)];
    if (typeof r.iteration !== 'number' || typeof before !== 'number' || typeof after !== 'number') {
      throw new Error(`progress.jsonl line ${i + 1}: missing iteration, returnsBefore or returnsAfter`);
    }
    out.push({ iteration: r.iteration, returnsBefore: before, returnsAfter: after });
  });
  return out;
}

/**
 * The trailing moving average of `ys` over `window` points (fewer at the start), so that a curve of
 * noisy per-iteration returns reads as a trend; `window` 1 gives `ys` back. Non-finite values are
 * left out of the averages (NaN where a window holds none).
 */
export function movingAverage(ys: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`movingAverage: window must be a positive integer, got ${window}`);
  return ys.map((_, i) => {
    let sum = 0;
    let n = 0;
    for (let j = Math.max(0, i - window + 1); j <= i; j++) {
      if (Number.isFinite(ys[j])) {
        sum += ys[j]!;
        n++;
      }
    }
    return n > 0 ? sum / n : Number.NaN;
  });
}
