import { beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { assertNoRun, snapshotDir, train } from '../../agents/trainer.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { progressWithoutTime } from '../helpers/progress.ts';
import { spawn } from 'node:child_process';
import { LOCK_FILE } from '../../src/run-lock.ts';
import { checkOutDir } from '../../scripts/args.ts';
import { runFileProblem } from '../../src/out-paths.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { envSpec, register } from '../../envs/index.ts';
import type { Box } from '../../src/types.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-e2e-'));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('MAML-TRPO on Navigation2D-v0, small budget', () => {
  it('meta-training raises the post-adaptation return, adaptation helps, tensor count stays flat', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 10, policy: { hiddenSizes: [32, 32] }, sampling: { metaBatchSize: 10, fastBatchSize: 10 } });
    const { records } = await train(cfg, { out: tmp() });
    const after = records.map((r) => r.returnsAfter);
    const before = records.map((r) => r.returnsBefore);
    // Measured at seed 1: after-adaptation return −61 → −24 over 10 iterations, before −62 → −45.
    expect(mean(after.slice(-3))).toBeGreaterThan(mean(after.slice(0, 3)) + 10);
    expect(mean(after.slice(-3))).toBeGreaterThan(mean(before.slice(-3)) + 5);
    expect(records.every((r) => r.lineSearchAccepted)).toBe(true);
    expect(new Set(records.map((r) => r.numTensors)).size).toBe(1);
  }, 120_000);

  it('the pretrained baseline (multi-task TRPO, no inner step) takes accepted trust-region steps', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { algo: 'pretrained', iterations: 3, policy: { hiddenSizes: [64, 64] }, sampling: { metaBatchSize: 10, fastBatchSize: 10 } });
    const { records } = await train(cfg, { out: tmp() });
    // Regression: with a too-coarse finite-difference Fisher product every line search failed.
    expect(records.filter((r) => r.lineSearchAccepted).length).toBeGreaterThanOrEqual(2);
    for (const r of records) expect(r.returnsBefore).toBe(r.returnsAfter);
  }, 60_000);

  it('same seed gives identical progress.jsonl (time fields aside)', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2 });
    const a = tmp();
    const b = tmp();
    await train(cfg, { out: a });
    await train(cfg, { out: b });
    expect(progressWithoutTime(b)).toEqual(progressWithoutTime(a));
    const c = tmp();
    await train({ ...cfg, seed: 2 }, { out: c });
    expect(progressWithoutTime(c)).not.toEqual(progressWithoutTime(a));
  }, 60_000);

  it('4 iterations equal 2 iterations, stop, resume for 2 more', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 4, checkpointEvery: 3 });
    const full = tmp();
    await train(cfg, { out: full });
    const split = tmp();
    await train(cfg, { out: split, stopAfter: 2 });
    expect(loadCheckpoint(split).meta.iteration).toBe(2);
    await train(cfg, { out: split, resume: true });
    expect(progressWithoutTime(split)).toEqual(progressWithoutTime(full));
    const pa = loadCheckpoint(full);
    const pb = loadCheckpoint(split);
    expect(pb.meta.iteration).toBe(4);
    expect(pb.params).toEqual(pa.params);
  }, 60_000);

  it('a resume on another backend says that the iterations from there differ in the last digits (found by a determinism trial: nothing said so)', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2 });
    const out = tmp();
    await train(cfg, { out, stopAfter: 1 });
    const lines: string[] = [];
    await initBackend('cpu', { log: () => {} });
    try {
      await train(cfg, { out, resume: true, log: (l) => lines.push(l) });
    } finally {
      await initBackend('wasm', { log: () => {} });
    }
    expect(lines).toContain("note: the checkpoint was written on the wasm backend and the run continues on cpu: backends round differently, so the iterations from here differ from an uninterrupted run on wasm, from the last digits on and possibly more over iterations (initBackend('wasm') keeps it identical)");
    // Back on wasm from the cpu checkpoint: said again; then on the same backend: no note.
    lines.length = 0;
    await train({ ...cfg, iterations: 3 }, { out, resume: true, log: (l) => lines.push(l) });
    expect(lines.filter((l) => l.includes('backend'))).toEqual([expect.stringMatching(/^note: the checkpoint was written on the cpu backend and the run continues on wasm: /)]);
    lines.length = 0;
    await train({ ...cfg, iterations: 4 }, { out, resume: true, log: (l) => lines.push(l) });
    expect(lines.filter((l) => l.includes('backend'))).toEqual([]);
  }, 60_000);

  it('a resume replaces a config.json config other than the checkpoint\'s, and says so (found by a bad-input trial: it stayed, with no word)', async () => {
    const out = tmp();
    await train(resolveConfig('Navigation2D-v0', 'tiny', { iterations: 1 }), { out });
    const path = join(out, 'config.json');
    const recorded = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...recorded, config: { ...recorded.config, policy: { ...recorded.config.policy, hiddenSizes: [-3] } } }));
    const lines: string[] = [];
    await train(resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2 }), { out, resume: true, log: (l) => lines.push(l) });
    expect(lines).toContain(`note: ${path} recorded another config than the checkpoint's (policy.hiddenSizes): it now records the checkpoint's, which the run goes on with`);
    expect(JSON.parse(readFileSync(path, 'utf8')).config).toEqual(loadCheckpoint(out).meta.config);
    expect(loadCheckpoint(out).meta.config.iterations).toBe(2);
    // A key the checkpoint's config lacks is named and removed too.
    writeFileSync(path, JSON.stringify({ ...recorded, config: { ...loadCheckpoint(out).meta.config, bogus: 1 } }));
    await train(resolveConfig('Navigation2D-v0', 'tiny', { iterations: 3 }), { out, resume: true, log: (l) => lines.push(l) });
    expect(lines).toContain(`note: ${path} recorded another config than the checkpoint's (bogus): it now records the checkpoint's, which the run goes on with`);
    expect(JSON.parse(readFileSync(path, 'utf8')).config).toEqual(loadCheckpoint(out).meta.config);
  }, 60_000);

  it('a resume refuses an env whose spaces changed under the same id, before touching the run', async () => {
    let extra = 0; // observation entries appended: the env "changes" between the two calls
    class Resizable extends Navigation2DEnv {
      override readonly id = 'Resizable-v0';
      override readonly observationSpace: Box = { shape: [2 + extra], low: new Float32Array(2 + extra).fill(-Infinity), high: new Float32Array(2 + extra).fill(Infinity) };
      override reset(o?: { seed?: number }) {
        return { obs: Float32Array.from([...super.reset(o).obs, ...new Array(extra).fill(0)]) };
      }
      override step(a: Float32Array) {
        const r = super.step(a);
        return { ...r, obs: Float32Array.from([...r.obs, ...new Array(extra).fill(0)]) };
      }
    }
    if (!envSpec('Resizable-v0')) register({ id: 'Resizable-v0', factory: () => new Resizable(), description: 'navigation with extra observation entries' });
    const cfg = resolveConfig('Resizable-v0', 'tiny', { iterations: 2 });
    const out = tmp();
    await train(cfg, { out, workers: 1, stopAfter: 1 });
    const progress = readFileSync(join(out, 'progress.jsonl'), 'utf8');
    extra = 1;
    // It failed inside the first iteration with "MamlTrpo: parameters have 338 entries, the policy needs 354".
    await expect(train(cfg, { out, workers: 1, resume: true })).rejects.toThrow(/^out: was trained on Resizable-v0 with 2 observation and 2 action entries, and Resizable-v0 as registered now has 3 and 2: its spaces changed since/);
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8')).toBe(progress);
  }, 60_000);

  it('initFrom starts a new run from another run\'s parameters and records where it started', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2 });
    const a = tmp();
    await train(cfg, { out: a });
    const trained = loadCheckpoint(a).params;
    const fresh = (await train(cfg, { out: tmp(), stopAfter: 0 })).params;
    const started = (await train(cfg, { out: tmp(), initFrom: a, stopAfter: 0 })).params;
    expect(started).toEqual(trained);
    expect(fresh).not.toEqual(trained);
    const b = tmp();
    await train({ ...cfg, iterations: 1 }, { out: b, initFrom: a });
    expect(JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')).initFrom.iteration).toBe(2);
    // Given as a relative path, recorded as an absolute one: select finds the start from any directory.
    const c = tmp();
    await train({ ...cfg, iterations: 1 }, { out: c, initFrom: relative(process.cwd(), a) });
    expect(JSON.parse(readFileSync(join(c, 'config.json'), 'utf8')).initFrom.run).toBe(a);
  }, 60_000);

  it('keepEvery keeps the checkpoints of earlier iterations, equal to a shorter run', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 4, checkpointEvery: 1 });
    const out = tmp();
    await train(cfg, { out, keepEvery: 2 });
    const short = tmp();
    await train({ ...cfg, iterations: 2 }, { out: short });
    expect(existsSync(snapshotDir(out, 1))).toBe(false);
    expect(existsSync(snapshotDir(out, 3))).toBe(false);
    const it2 = loadCheckpoint(snapshotDir(out, 2));
    expect(it2.meta.iteration).toBe(2);
    expect(it2.params).toEqual(loadCheckpoint(short).params);
    expect(loadCheckpoint(snapshotDir(out, 4)).params).toEqual(loadCheckpoint(out).params);
    expect(it2.params).not.toEqual(loadCheckpoint(out).params);
  }, 60_000);

  it('a resumed run keeps the recorded keepEvery unless given another', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 6, checkpointEvery: 1 });
    const out = tmp();
    await train(cfg, { out, keepEvery: 2, stopAfter: 1 });
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).keepEvery).toBe(2);
    await train(cfg, { out, resume: true, stopAfter: 2 });
    expect(existsSync(snapshotDir(out, 2))).toBe(true);
    expect(existsSync(snapshotDir(out, 3))).toBe(false);
    await train(cfg, { out, resume: true, keepEvery: 3, stopAfter: 1 });
    expect(existsSync(snapshotDir(out, 4))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).keepEvery).toBe(3);
    await train(cfg, { out, resume: true });
    expect(existsSync(snapshotDir(out, 5))).toBe(false);
    expect(loadCheckpoint(snapshotDir(out, 6)).meta.iteration).toBe(6);
  }, 60_000);

  it('a resume repairs what a crash left: a snapshot not yet renamed into place, a progress line cut short', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 4, checkpointEvery: 1 });
    const full = tmp();
    await train(cfg, { out: full, keepEvery: 2, workers: 1 });
    const out = tmp();
    await train(cfg, { out, keepEvery: 2, stopAfter: 2, workers: 1 });
    // Killed after checkpoint 2 was saved and before its copy was renamed to snapshots/it2 (and while
    // the next progress line was being written): the copy was never made again, and the resume
    // stopped on the cut line with an internal error.
    renameSync(snapshotDir(out, 2), `${snapshotDir(out, 2)}.tmp-4242`);
    appendFileSync(join(out, 'progress.jsonl'), '{"iteration":2,"returnsBef');
    const lines: string[] = [];
    await train(cfg, { out, resume: true, workers: 1, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes('had 1 line cut short (dropped); the checkpoint is whole, and training goes on from it'))).toBe(true);
    expect(progressWithoutTime(out)).toEqual(progressWithoutTime(full));
    expect(loadCheckpoint(snapshotDir(out, 2)).params).toEqual(loadCheckpoint(snapshotDir(full, 2)).params);
    expect(readdirSync(join(out, 'snapshots')).sort()).toEqual(['it2', 'it4']);
    // Killed during the last save: the final snapshot not yet in place, the previous checkpoint still
    // aside, temporary files. A resume with nothing left to do puts them right all the same (found
    // by a crash trial: it refused first, so nothing was repaired).
    renameSync(snapshotDir(out, 4), `${snapshotDir(out, 4)}.tmp-4243`);
    cpSync(join(out, 'checkpoint'), join(out, 'checkpoint.old'), { recursive: true });
    writeFileSync(join(out, 'config.json.tmp-4243'), '{"cut');
    const before = readdirSync(out).sort();
    await expect(train(cfg, { out, resume: true, workers: 1 })).rejects.toThrow('nothing to do');
    expect(readdirSync(join(out, 'snapshots')).sort()).toEqual(['it2', 'it4']);
    expect(loadCheckpoint(snapshotDir(out, 4)).params).toEqual(loadCheckpoint(full).params);
    expect(readdirSync(out).sort()).toEqual(before.filter((f) => f !== 'checkpoint.old' && f !== 'config.json.tmp-4243'));
  }, 60_000);

  it('a run stopped before its first checkpoint is started over by a resume, with its recorded config and start', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 3, checkpointEvery: 10 });
    const full = tmp();
    await train(cfg, { out: full, workers: 1 });
    // Killed in iteration 3, before the first checkpoint (due at 10, or at the end): two logged iterations and no checkpoint.
    const out = tmp();
    await train(cfg, { out, workers: 1, stopAfter: 2 });
    rmSync(join(out, 'checkpoint'), { recursive: true });
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(() => assertNoRun(out)).toThrow('out: holds a run that stopped before its first checkpoint; resume: true starts it over from iteration 0 with its recorded config, or choose another directory');
    // Another config is refused before the run is touched.
    await expect(train({ ...cfg, seed: 2 }, { out, resume: true, workers: 1 })).rejects.toThrow(`seed: differs from the config of the run being resumed in ${out} (1): a resumed run keeps its config, and only iterations may change (start from the config in out/config.json, as it has no checkpoint) (got 2)`);
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const lines: string[] = [];
    await train(cfg, { out, resume: true, workers: 1, log: (l) => lines.push(l) });
    expect(lines).toContain(`note: ${out} has no checkpoint (its training stopped before the first one, after logging 2 iterations): starting it over from iteration 0 with its recorded config; those iterations are run again and come out the same`);
    expect(progressWithoutTime(out)).toEqual(progressWithoutTime(full));
    expect(loadCheckpoint(out).params).toEqual(loadCheckpoint(full).params);

    // Started from another run's parameters: started over from them again.
    const one = { ...cfg, iterations: 1 };
    const ref = tmp();
    await train(one, { out: ref, initFrom: full, workers: 1 });
    const started = tmp();
    await train(one, { out: started, initFrom: full, workers: 1, stopAfter: 0 });
    await train(one, { out: started, resume: true, workers: 1 });
    expect(loadCheckpoint(started).params).toEqual(loadCheckpoint(ref).params);
    // ... unless that run holds other parameters now.
    const moved = tmp();
    await train(one, { out: moved, initFrom: full, workers: 1, stopAfter: 0 });
    const recorded = JSON.parse(readFileSync(join(moved, 'config.json'), 'utf8'));
    writeFileSync(join(moved, 'config.json'), JSON.stringify({ ...recorded, initFrom: { ...recorded.initFrom, iteration: 2, weightsSha256: '0'.repeat(64) } }));
    await expect(train(one, { out: moved, resume: true, workers: 1 })).rejects.toThrow(`out: was started from ${full} at iteration 2, which now holds other parameters (iteration 3): it cannot be started over as it was; choose another directory (got ${JSON.stringify(moved)})`);

    // A config.json that records no config (an older metarl's): nothing to start over from.
    const bare = tmp();
    writeFileSync(join(bare, 'config.json'), '{}');
    writeFileSync(join(bare, 'progress.jsonl'), '{"iteration":0}\n');
    expect(() => assertNoRun(bare)).toThrow('no valid config recorded in its config.json: there is nothing to resume; delete the directory');
    await expect(train(cfg, { out: bare, resume: true })).rejects.toThrow('out: holds a run that has no checkpoint yet and no valid config recorded');
  }, 60_000);

  it('one process at a time trains a run: a second one is refused while the first runs, and a dead one\'s lock is taken over', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2, checkpointEvery: 1 });
    const out = tmp();
    await train(cfg, { out, stopAfter: 1, workers: 1 });
    expect(existsSync(join(out, LOCK_FILE))).toBe(false); // released
    // Another process (a stand-in) holding the lock, as a training run in another terminal would.
    const other = spawn('sleep', ['30']);
    try {
      writeFileSync(join(out, LOCK_FILE), `${other.pid}\n`);
      const progress = readFileSync(join(out, 'progress.jsonl'), 'utf8');
      await expect(train(cfg, { out, resume: true, workers: 1 })).rejects.toThrow(`out: is being trained (process ${other.pid}, its lock: ${join(out, LOCK_FILE)}); wait for it to end or stop it`);
      expect(() => assertNoRun(out)).toThrow(`is being trained by process ${other.pid}; wait for it to end, or choose another directory`);
      expect(readFileSync(join(out, 'progress.jsonl'), 'utf8')).toBe(progress);
    } finally {
      other.kill();
      await new Promise((r) => other.once('exit', r));
    }
    // Its process gone (a crash), the lock is stale.
    await train(cfg, { out, resume: true, workers: 1 });
    expect(loadCheckpoint(out).meta.iteration).toBe(2);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    // Two calls in one process (found by a library-API trial: both ran, and the log held iterations 0, 1, 1, 2, 2).
    const here = tmp();
    const first = train(cfg, { out: here, workers: 1 });
    await expect(train(cfg, { out: here, resume: true, workers: 1 })).rejects.toThrow(`out: is being trained by another call in this process (its lock: ${join(here, LOCK_FILE)}); wait for it to end`);
    await expect(train(cfg, { out: here, workers: 1 })).rejects.toThrow('out: is being trained by another call in this process; wait for it to end, or choose another directory');
    await first;
    expect(readFileSync(join(here, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).iteration)).toEqual([0, 1]);
    await train({ ...cfg, iterations: 3 }, { out: here, resume: true, workers: 1 }); // released
    expect(existsSync(join(here, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('refuses to start a new run in a directory that holds one', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 1 });
    const dir = tmp();
    await train(cfg, { out: dir, keepEvery: 1 });
    // Nor inside its checkpoint folder or a snapshot, which its next save replaces whole (found by a
    // user trial: a run and a comparison written there were lost); compare's --out is checked alike.
    for (const inside of [join(dir, 'checkpoint'), join(dir, 'checkpoint', 'sub'), join(dir, 'snapshots', 'it1', 'cmp')]) {
      await expect(train(cfg, { out: inside })).rejects.toThrow(inside.includes('snapshots') ? `is in the snapshot ${join(dir, 'snapshots', 'it1')} of the run ${dir}` : `is in the checkpoint folder of the run ${dir}, which each checkpoint replaces whole`);
      expect(() => checkOutDir('--out', inside)).toThrow(/^--out: is in the (checkpoint folder|snapshot)/);
      // A file written there (evaluate --json, plot --out) too, however deep (found by a review: only the folder right above was checked).
      expect(runFileProblem(join(inside, 'eval.json'))).toMatch(/^is in the (checkpoint folder|snapshot)/);
    }
    expect(readdirSync(join(dir, 'checkpoint')).sort()).toEqual(['model.json', 'weights.bin']);
    const before = readFileSync(join(dir, 'progress.jsonl'), 'utf8');
    await expect(train(cfg, { out: dir })).rejects.toThrow(/already holds a run/);
    expect(readFileSync(join(dir, 'progress.jsonl'), 'utf8')).toBe(before);
    // Nor in a comparison's folder, finished or stopped part-way (it trained into it, mixing the two).
    for (const f of ['results.json', 'partial']) {
      const cmp = tmp();
      if (f === 'partial') mkdirSync(join(cmp, f));
      else writeFileSync(join(cmp, f), '{}');
      expect(() => assertNoRun(cmp)).toThrow(`out: holds a comparison's ${f}; a run beside it would mix the two: choose another directory`);
    }
  }, 30_000);
});
