import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { makeDir } from './out-paths.ts';
import { lockHolder } from './run-lock.ts';
import { join } from 'node:path';
import type { ParamValues } from './policy.ts';
import { CheckpointFormatError, decodeCheckpointWeights, parseCheckpointMeta } from './checkpoint-format.ts';

/** Thrown when a checkpoint is missing or unreadable; names the file and what is wrong. */
export const CheckpointError = CheckpointFormatError;
/** The type of {@link CheckpointError}. */
export type CheckpointError = CheckpointFormatError;

export type { Checkpoint, CheckpointMeta, OptimizerState } from './checkpoint-format.ts';
import type { Checkpoint, CheckpointMeta, OptimizerState } from './checkpoint-format.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Writes `dir/checkpoint/{model.json, weights.bin}` atomically: the files go to a temporary
 * folder that then replaces the previous checkpoint by rename, so a crash leaves either the old
 * or the new checkpoint, never a mix.
 * @throws RangeError when `params` do not have the sizes `meta.shapes` describe (nothing is written).
 */
export function saveCheckpoint(
  runDir: string,
  meta: Omit<CheckpointMeta, 'weightsSha256' | 'format' | 'formatVersion' | 'optimizer'>,
  params: ParamValues,
  optimizer?: OptimizerState,
): void {
  // A checkpoint whose shapes do not describe its parameters would only fail when loaded.
  const sizes = meta.shapes.map((s) => s.reduce((a, b) => a * b, 1));
  if (sizes.length !== params.length || sizes.some((n, i) => n !== params[i]!.length)) {
    throw new RangeError(`saveCheckpoint: meta.shapes describe tensors of sizes [${sizes.join(', ')}], but params has [${params.map((p) => p.length).join(', ')}]`);
  }
  const total = params.reduce((s, p) => s + p.length, 0);
  const weights = new Float32Array(total);
  let o = 0;
  for (const p of params) {
    weights.set(p, o);
    o += p.length;
  }
  const bytes = new Uint8Array(weights.buffer);
  let optBytes: Uint8Array | null = null;
  if (optimizer) {
    const mv = new Float64Array(optimizer.m.length * 2);
    mv.set(optimizer.m);
    mv.set(optimizer.v, optimizer.m.length);
    optBytes = new Uint8Array(mv.buffer);
  }
  const full: CheckpointMeta = {
    format: 'metarl-checkpoint',
    formatVersion: 1,
    ...meta,
    weightsSha256: sha256(bytes),
    ...(optimizer && optBytes && { optimizer: { t: optimizer.t, size: optimizer.m.length, sha256: sha256(optBytes) } }),
  };
  const final = join(runDir, 'checkpoint');
  const tmp = join(runDir, `checkpoint.tmp-${process.pid}`);
  const old = join(runDir, 'checkpoint.old');
  // Temporary folders of earlier processes stopped while writing (one process trains a run at a time).
  if (existsSync(runDir)) for (const f of readdirSync(runDir)) if (f.startsWith('checkpoint.tmp-')) rmSync(join(runDir, f), { recursive: true, force: true });
  makeDir(tmp);
  writeFileSync(join(tmp, 'weights.bin'), bytes);
  if (optBytes) writeFileSync(join(tmp, 'optimizer.bin'), optBytes);
  writeFileSync(join(tmp, 'model.json'), JSON.stringify(full, null, 2));
  // Without checkpoint/, checkpoint.old/ is the run's only checkpoint (a crash between the two
  // renames): it stays until the new one is in place.
  if (existsSync(final)) {
    rmSync(old, { recursive: true, force: true });
    renameSync(final, old);
  }
  renameSync(tmp, final);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Why `runDir` is not a directory {@link loadCheckpoint} can read, for a message naming the flag it
 * came from; null when it is one.
 */
export function runDirProblem(runDir: string): string | null {
  if (!existsSync(runDir)) return 'run directory not found';
  if (existsSync(join(runDir, 'checkpoint', 'model.json')) || existsSync(join(runDir, 'checkpoint.old', 'model.json'))) return null;
  if (existsSync(join(runDir, 'model.json'))) return 'is a checkpoint folder; pass the run directory that holds it (its parent)';
  if (existsSync(join(runDir, 'progress.jsonl'))) return 'holds a run that has no checkpoint yet (it stopped before its first one, or is still running): nothing to load; a run that stopped so is started over by resuming it (metarl train --resume, or train with resume from code)';
  return 'is not a run directory (no checkpoint/ in it): pass a directory metarl train wrote, or one of its snapshots/itN';
}

/**
 * Reads the checkpoint of run directory `runDir` (its `checkpoint/`, or `checkpoint.old/` when a crash
 * left only that): parameters, config, RNG state, iteration and, when saved, the optimiser state.
 * Every file is checked against the sizes and SHA-256 sums in `model.json`.
 * @throws CheckpointError naming the file and what is wrong (missing, truncated, checksum mismatch).
 */
export function loadCheckpoint(runDir: string): Checkpoint {
  // A run being trained replaces its checkpoint as it goes: a read that falls across a save may see
  // files of two saves (a checksum mismatch) or none. Read again, a little later.
  for (let attempt = 0; ; attempt++) {
    try {
      return readCheckpoint(runDir);
    } catch (e) {
      const holder = lockHolder(runDir);
      if (holder === null || !(e instanceof CheckpointError || (e as NodeJS.ErrnoException).code === 'ENOENT')) throw e;
      if (attempt >= 4) throw new CheckpointError(runDir, `could not be read while process ${holder} trains the run (its checkpoint changed while read: ${(e as Error).message}); try again`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

/** {@link loadCheckpoint}'s one reading of the files. */
function readCheckpoint(runDir: string): Checkpoint {
  let dir = join(runDir, 'checkpoint');
  if (!existsSync(join(dir, 'model.json')) && existsSync(join(runDir, 'checkpoint.old', 'model.json'))) dir = join(runDir, 'checkpoint.old');
  const metaPath = join(dir, 'model.json');
  if (!existsSync(metaPath)) {
    // Say what the directory is instead (a checkpoint folder itself, a run without a checkpoint yet, …).
    const problem = runDirProblem(runDir);
    throw new CheckpointError(metaPath, problem !== null ? `not found (${runDir}: ${problem})` : 'not found');
  }
  const meta = parseCheckpointMeta(readFileSync(metaPath, 'utf8'), metaPath);
  const wPath = join(dir, 'weights.bin');
  if (!existsSync(wPath)) throw new CheckpointError(wPath, 'not found');
  const buf = readFileSync(wPath);
  const params = decodeCheckpointWeights(meta, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), wPath);
  let optimizer: OptimizerState | undefined;
  if (meta.optimizer) {
    const oPath = join(dir, 'optimizer.bin');
    if (!existsSync(oPath)) throw new CheckpointError(oPath, 'not found');
    const ob = readFileSync(oPath);
    const obytes = new Uint8Array(ob.buffer, ob.byteOffset, ob.byteLength);
    if (obytes.byteLength !== meta.optimizer.size * 16) throw new CheckpointError(oPath, `has ${obytes.byteLength} bytes, expected ${meta.optimizer.size * 16}`);
    if (sha256(obytes) !== meta.optimizer.sha256) throw new CheckpointError(oPath, 'checksum mismatch (corrupt or modified)');
    const mv = new Float64Array(obytes.slice().buffer);
    optimizer = { t: meta.optimizer.t, m: mv.slice(0, meta.optimizer.size), v: mv.slice(meta.optimizer.size) };
  }
  return { meta, params, optimizer };
}
