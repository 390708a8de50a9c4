import { describe, expect, it } from 'vitest';
import { expectUserError, metarl, metarlHere } from '../helpers/cli.ts';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bestIndex, listCandidates, selectionScore } from '../../agents/select.ts';
import type { StepStat } from '../../src/evaluation.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-select-'));
const json = (...p: string[]) => JSON.parse(readFileSync(join(...p), 'utf8'));

const stat = (...means: number[]): StepStat[] => means.map((mean, step) => ({ step, mean, sem: 0, perTask: [mean] }));

describe('checkpoint selection', () => {
  it('scores the adapted steps only, and picks the highest score (the earlier one on a tie)', () => {
    expect(selectionScore(stat(-40, -12, -3, -4))).toBe(-19);
    expect(selectionScore(stat(-40))).toBe(-40);
    // Step 0 does not count: the second is better before adaptation but worse after.
    const a = selectionScore(stat(-45, -11, -3, -3));
    const b = selectionScore(stat(-30, -12, -3, -3));
    expect(bestIndex([b, a])).toBe(1);
    expect(bestIndex([-5, -2, -2, -7])).toBe(1);
    expect(bestIndex([Number.NaN, -9])).toBe(1);
    expect(() => bestIndex([Number.NaN])).toThrow(/finite/);
  });

  it('evaluates every kept snapshot with the numbers `evaluate --seed` gives, and picks the best', async () => {
    const run = join(tmp(), 'run');
    // tiny preset: checkpoint every iteration; keep it1 and it2, then the run ends at iteration 3.
    const t = metarl('train', '--env', 'Navigation2D-v0', '--preset', 'tiny', '--iterations', '3', '--keep-every', '1', '--out', run);
    expect(t.code, t.stderr).toBe(0);
    rmSync(join(run, 'snapshots', 'it3'), { recursive: true });
    expect(listCandidates(run).map((c) => [c.name, c.iteration])).toEqual([['it1', 1], ['it2', 2], ['final', 3]]);

    const out = join(run, 'select.json');
    const s = metarl('select', '--run', run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '4', '--json', out);
    expect(s.code, s.stderr).toBe(0);
    const sel = json(out);
    expect(sel.candidates.map((c: { name: string }) => c.name)).toEqual(['it1', 'it2', 'final']);
    const scores = sel.candidates.map((c: { steps: StepStat[] }) => c.steps[1]!.mean + c.steps[2]!.mean);
    expect(sel.candidates.map((c: { score: number }) => c.score)).toEqual(scores);
    const best = sel.candidates[scores.indexOf(Math.max(...scores))];
    expect(sel.picked).toBe(best.run);
    expect(s.stdout).toContain(`picked ${best.run} (sum of the mean returns after steps 1–2, 3 validation tasks from seed 5)`);
    expect(s.stdout).toMatch(/\| \*\*/);
    // Every row is what `metarl evaluate` gives for that checkpoint on the same seed.
    for (const c of sel.candidates) {
      const f = join(run, `eval-${c.name}.json`);
      const e = metarl('evaluate', '--run', c.run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '4', '--json', f);
      expect(e.code, e.stderr).toBe(0);
      expect(c.steps).toEqual(json(f).steps.map((x: StepStat, k: number) => ({ ...x, perTask: json(f).perTask[k] })));
    }
    // The checkpoints differ, so the choice is not trivial.
    expect(new Set(scores).size).toBe(3);

    // --since: only the later checkpoints, with the same numbers as in the full selection.
    const later = join(run, 'select-since.json');
    const s2 = metarl('select', '--run', run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '4', '--since', '2', '--json', later);
    expect(s2.code, s2.stderr).toBe(0);
    expect(json(later).since).toBe(2);
    expect(json(later).candidates).toEqual(sel.candidates.slice(1));
    expect(s2.stdout).toContain('3 validation tasks from seed 5, checkpoints from iteration 2 on)');
    // One checkpoint since: scored (from the cache), to be set against the earlier pick.
    const one = join(run, 'select-one.json');
    const s1 = await metarlHere('select', '--run', run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '4', '--since', '3', '--json', one);
    expect(s1.code, s1.stderr).toBe(0);
    expect(json(one).candidates).toEqual(sel.candidates.slice(2));
    expect(s1.stdout).toContain("note: final is the only checkpoint from iteration 3 on: set its score against the earlier selection's pick");
    expectUserError(await metarlHere('select', '--run', run, '--since', '4'), '--since', '4', 'leaves no checkpoint to score');
    expectUserError(await metarlHere('select', '--run', run, '--since=-1'), '--since', '-1', 'non-negative');

    // --from-step 0: the same evaluations, scored with step 0 counted too.
    const all = join(run, 'select-from0.json');
    const s3 = metarl('select', '--run', run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '4', '--from-step', '0', '--json', all);
    expect(s3.code, s3.stderr).toBe(0);
    const sel0 = json(all);
    expect(sel0.candidates.map((c: { steps: StepStat[] }) => c.steps)).toEqual(sel.candidates.map((c: { steps: StepStat[] }) => c.steps));
    const scores0 = sel0.candidates.map((c: { steps: StepStat[] }) => c.steps[0]!.mean + c.steps[1]!.mean + c.steps[2]!.mean);
    expect(sel0.candidates.map((c: { score: number }) => c.score)).toEqual(scores0);
    expect(sel0.picked).toBe(sel0.candidates[scores0.indexOf(Math.max(...scores0))].run);
    expect(s3.stdout).toContain('(sum of the mean returns after steps 0–2, 3 validation tasks from seed 5)');
    expectUserError(await metarlHere('select', '--run', run, '--from-step', '2'), '--from-step', '2', 'must be 0');
    expectUserError(await metarlHere('select', '--run', run, '--from-step', 'x'), '--from-step: must be 0 (score steps 0…K) or 1 (steps 1…K, the default) (got "x")');

    // Scores are kept in run/select-cache/<protocol>/ and read back, not evaluated again, on the same protocol.
    expect(s2.stderr).toMatch(/it2: scored before with these weights and this protocol, read back from .*select-cache\/seed5-3x4-k2\/it2\.json/);
    const cached = join(run, 'select-cache', 'seed5-3x4-k2', 'it1.json');
    const doc = json(cached);
    doc.result.steps[1].mean = 12345; // a marker: only a read-back result carries it
    writeFileSync(cached, JSON.stringify(doc));
    const marked = join(run, 'select-marked.json');
    expect(metarl('select', '--run', run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '4', '--json', marked).code).toBe(0);
    expect(json(marked).candidates[0].steps[1].mean).toBe(12345);
    // Other weights under a cached name (it2 now holds it1's checkpoint) are evaluated afresh.
    cpSync(join(run, 'snapshots', 'it1', 'checkpoint'), join(run, 'snapshots', 'it2', 'checkpoint'), { recursive: true });
    const swapped = join(run, 'select-swapped.json');
    const s6 = metarl('select', '--run', run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '4', '--json', swapped);
    expect(s6.code, s6.stderr).toBe(0);
    expect(s6.stderr).toContain('it1: scored before');
    expect(s6.stderr).not.toContain('it2: scored before');
    expect(json(swapped).candidates[1].steps).toEqual(sel.candidates[0].steps);
    // Another protocol is evaluated afresh, in its own folder.
    const s5 = metarl('select', '--run', run, '--seed', '5', '--tasks', '3', '--steps', '2', '--episodes', '5', '--json', join(run, 'select-e5.json'));
    expect(s5.code, s5.stderr).toBe(0);
    expect(s5.stderr).not.toContain('read back');
    expect(existsSync(join(run, 'select-cache', 'seed5-3x5-k2', 'final.json'))).toBe(true);

    expectUserError(await metarlHere('select', '--run', run, '--seed', '20170309'), '--seed', '20170309', 'test tasks');
    expectUserError(await metarlHere('select', '--run', join(run, 'nope')), '--run', 'not found');
    rmSync(join(run, 'snapshots'), { recursive: true });
    expectUserError(await metarlHere('select', '--run', run, '--tasks', '1', '--steps', '0', '--episodes', '1'), '--run', '--keep-every');
  }, 240_000);

  it('counts the checkpoint a run was started from (--init-from) as the candidate `start`, while it is unchanged', () => {
    const dir = tmp();
    const src = join(dir, 'src');
    const ft = join(dir, 'ft');
    expect(metarl('train', '--preset', 'tiny', '--iterations', '2', '--out', src).code).toBe(0);
    const t = metarl('train', '--preset', 'tiny', '--seed', '4', '--iterations', '2', '--keep-every', '1', '--init-from', src, '--out', ft);
    expect(t.code, t.stderr).toBe(0);
    const args = ['--seed', '5', '--tasks', '3', '--steps', '1', '--episodes', '4'];
    const out = join(dir, 'select.json');
    const s = metarl('select', '--run', ft, ...args, '--json', out);
    expect(s.code, s.stderr).toBe(0);
    const sel = json(out);
    expect(sel.candidates.map((c: { name: string; iteration: number }) => [c.name, c.iteration])).toEqual([['start', 0], ['it1', 1], ['it2', 2]]);
    expect(sel.candidates[0].run).toBe(src);
    expect(sel.notes).toEqual([]);
    const e = metarl('evaluate', '--run', src, ...args, '--json', join(dir, 'src.json'));
    expect(e.code, e.stderr).toBe(0);
    expect(sel.candidates[0].steps.map((x: StepStat) => x.mean)).toEqual(json(dir, 'src.json').steps.map((x: StepStat) => x.mean));
    // The source checkpoint replaced by other weights, then gone: left out, with a note saying why.
    cpSync(join(ft, 'checkpoint'), join(src, 'checkpoint'), { recursive: true });
    const changed = metarl('select', '--run', ft, ...args, '--json', out);
    expect(changed.code, changed.stderr).toBe(0);
    expect(json(out).candidates.map((c: { name: string }) => c.name)).toEqual(['it1', 'it2']);
    expect(changed.stdout).toContain('note: start');
    expect(json(out).notes[0]).toContain('no longer holds the weights');
    rmSync(join(src, 'checkpoint'), { recursive: true });
    const gone = metarl('select', '--run', ft, ...args, '--json', out);
    expect(gone.code, gone.stderr).toBe(0);
    expect(json(out).notes[0]).toContain('not found');
  }, 240_000);
});
