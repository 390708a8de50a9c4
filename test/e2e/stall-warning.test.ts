import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envSpec, register } from '../../envs/index.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { resolveConfig } from '../../src/config.ts';
import { initBackend } from '../../src/backend.ts';
import type { StepResult } from '../../src/types.ts';
import { STALL_STREAK, reluFiniteDifferenceNote, stalledWarning, train } from '../../agents/trainer.ts';

/** Navigation whose rewards are all 0: every advantage and so every meta-gradient is 0, and no step can be taken. */
class ZeroRewardNavigation extends Navigation2DEnv {
  override readonly id = 'ZeroReward-v0';
  override step(action: Float32Array): StepResult {
    return { ...super.step(action), reward: 0 };
  }
}
if (!envSpec('ZeroReward-v0')) register({ id: 'ZeroReward-v0', factory: () => new ZeroRewardNavigation(), description: 'Navigation2D with zero rewards (test)' });

const fd = resolveConfig('Navigation2D-v0', 'tiny');
const reluLearned = resolveConfig('Navigation2D-v0', 'tiny', { policy: { activation: 'relu' }, adaptation: { learnedLr: true } });

describe('warning when training stalls', () => {
  it('speaks once, when the streak of refused steps reaches its length, and names the iterations', () => {
    const refused = Array.from({ length: STALL_STREAK }, () => 'cg-failed');
    expect(stalledWarning(refused.slice(1), 0, fd)).toBeNull();
    const w = stalledWarning(refused, 0, fd)!;
    expect(w).toContain(`iterations 1–${STALL_STREAK} all refused their step (cg-failed ×${STALL_STREAK})`);
    expect(w).toContain('"fvp": "chain"');
    expect(w).not.toContain('ReLU');
    // Once per streak: not again at the next refusal, and a new streak after an accepted step speaks again.
    expect(stalledWarning([...refused, 'cg-failed'], 0, fd)).toBeNull();
    expect(stalledWarning(['cg-failed', 'accepted', ...refused], 0, fd)).toContain(`iterations 3–${STALL_STREAK + 2}`);
    // A resumed run numbers from where it started.
    expect(stalledWarning(refused, 100, fd)).toContain(`iterations 101–${100 + STALL_STREAK}`);
    // An accepted step inside the window: no warning.
    expect(stalledWarning([...refused.slice(1, 3), 'accepted', ...refused.slice(3)], 0, fd)).toBeNull();
  });

  it('fits its hint to the outcomes and the settings', () => {
    const mixed = ['line-search-failed', 'cg-failed', 'cg-failed', 'non-finite-step', 'cg-failed'];
    expect(stalledWarning(mixed, 0, fd)).toContain('line-search-failed ×1, cg-failed ×3, non-finite-step ×1');
    expect(stalledWarning(mixed, 0, reluLearned)).toContain('ReLU policy and adaptation.learnedLr');
    // The exact product: no advice to switch to it.
    for (const fvp of ['exact', 'chain'] as const) expect(stalledWarning(mixed, 0, { ...fd, trpo: { ...fd.trpo, fvp } })).not.toContain('"fvp": "chain"');
    expect(stalledWarning(Array(STALL_STREAK).fill('line-search-failed'), 0, fd)).toContain('trpo.maxKl');
  });

  it('is printed by training whose steps are all refused', async () => {
    await initBackend('auto');
    const out = join(mkdtempSync(join(tmpdir(), 'metarl-stall-')), 'run');
    const config = resolveConfig('ZeroReward-v0', 'tiny', { iterations: STALL_STREAK + 1 });
    const lines: string[] = [];
    await train(config, { out, log: (l) => lines.push(l) });
    const outcomes = readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).stepOutcome);
    expect(outcomes).toEqual(Array(STALL_STREAK + 1).fill('non-finite-step'));
    const warnings = lines.filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([stalledWarning(outcomes.slice(0, STALL_STREAK), 0, config)]);
    // Right after the line of the iteration that completed the streak.
    expect(lines[lines.indexOf(warnings[0]!) - 1]).toMatch(new RegExp(`^it +${STALL_STREAK}/`));
  });
});

describe('the note on a ReLU policy with the finite-difference Fisher-vector product', () => {
  it('is given for second-order MAML-TRPO with that product only', () => {
    const relu = resolveConfig('Navigation2D-v0', undefined, { policy: { activation: 'relu' } });
    expect(reluFiniteDifferenceNote(relu)).toMatch(/^note: a ReLU policy with the finite-difference Fisher-vector product: .* "trpo": \{"fvp": "chain"\} computes it exactly/);
    expect(reluFiniteDifferenceNote(resolveConfig('Navigation2D-v0', undefined))).toBeNull(); // tanh
    expect(reluFiniteDifferenceNote(resolveConfig('Navigation2D-v0', undefined, { policy: { activation: 'relu' }, trpo: { fvp: 'chain' } }))).toBeNull();
    expect(reluFiniteDifferenceNote(resolveConfig('Navigation2D-v0', undefined, { policy: { activation: 'relu' }, adaptation: { firstOrder: true } }))).toBeNull();
    expect(reluFiniteDifferenceNote(resolveConfig('Navigation2D-v0', undefined, { policy: { activation: 'relu' }, algo: 'pretrained' }))).toBeNull(); // no inner step to difference through
  });
});
