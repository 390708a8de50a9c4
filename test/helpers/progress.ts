import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A run's progress.jsonl without the wall-clock `time` fields, one JSON string per iteration (as
 * text, so −0, NaN and every digit count when two runs are compared).
 */
export function progressWithoutTime(dir: string): string[] {
  return readFileSync(join(dir, 'progress.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      delete r.time;
      return JSON.stringify(r);
    });
}

/** The bytes of each parameter array as hex, for bit-exact comparisons. */
export const paramsHex = (ps: readonly Float32Array[]): string[] => ps.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex'));
