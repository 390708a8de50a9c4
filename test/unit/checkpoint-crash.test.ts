/**
 * saveCheckpoint and crashes: every rename it makes is watched (node:fs mocked in this file only),
 * so that the states a crash between any two of them would leave can be checked.
 */
import { describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/checkpoint.ts';
import { resolveConfig } from '../../src/config.ts';

const renames = vi.hoisted(() => ({ before: null as null | (() => void) }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    renameSync: (a: fs.PathLike, b: fs.PathLike) => {
      renames.before?.();
      real.renameSync(a, b);
    },
  };
});

describe('saveCheckpoint after a crash between its two renames', () => {
  it('keeps checkpoint.old (then the only checkpoint) until the new one is in place, and clears dead temporary folders', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'metarl-ckcrash-'));
    const config = resolveConfig('Navigation2D-v0', 'tiny', {});
    const meta = (iteration: number) => ({ iteration, config, obsDim: 2, actDim: 1, shapes: [[3, 2], [2], [1]], rng: { seed: 1, nextIteration: iteration }, versions: {} });
    const params = (x: number) => [new Float32Array(6).fill(x), Float32Array.of(x, x), Float32Array.of(x)];
    saveCheckpoint(dir, meta(2), params(2));
    // What a crash between "checkpoint → checkpoint.old" and "tmp → checkpoint" leaves, with the dead process's temporary folder.
    fs.renameSync(join(dir, 'checkpoint'), join(dir, 'checkpoint.old'));
    fs.mkdirSync(join(dir, 'checkpoint.tmp-999999'));
    expect(loadCheckpoint(dir).meta.iteration).toBe(2);
    // The resumed run's first save deleted checkpoint.old before renaming its new folder into place:
    // a second crash there lost the run. A crash before any rename must leave a checkpoint.
    const seen: string[][] = [];
    renames.before = () => seen.push(fs.readdirSync(dir).sort());
    try {
      saveCheckpoint(dir, meta(3), params(3));
    } finally {
      renames.before = null;
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const files of seen) expect(files.includes('checkpoint') || files.includes('checkpoint.old'), files.join(' ')).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint']);
    expect(loadCheckpoint(dir).meta.iteration).toBe(3);
  });
});
