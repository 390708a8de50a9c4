/**
 * The README's "From code" example runs as written, through the package's own entry points
 * (`metarl`, `metarl/agents`), and its numbers are the ones `metarl evaluate` prints for the run.
 * Only the sizes are made smaller, and each replacement must match, so the test fails if the
 * example changes without it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { metarl } from '../helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** The example's code, from the README's ```ts block under "## From code". */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /## From code\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  if (m === null) throw new Error('README.md: no ```ts block under "## From code"');
  return m[1]!;
}

/** `text` with `from` replaced by `to`, which must occur exactly `times` times. */
function replaceExactly(text: string, from: string, to: string, times = 1): string {
  const n = text.split(from).length - 1;
  if (n !== times) throw new Error(`the README example has ${n} × ${JSON.stringify(from)}, expected ${times}`);
  return text.replaceAll(from, to);
}

describe("README's From code example", () => {
  // Inside the package, so that `import … from 'metarl'` resolves to this checkout (self-reference).
  const dir = mkdtempSync(join(ROOT, '.tmp-from-code-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains, evaluates, and gives the numbers metarl evaluate gives', () => {
    const run = join(dir, 'run');
    let code = readmeExample();
    code = replaceExactly(code, '{ seed: 1, iterations: 50 }', '{ seed: 1, iterations: 2, sampling: { metaBatchSize: 4, fastBatchSize: 5 } }');
    code = replaceExactly(code, "'runs/nav-from-code'", JSON.stringify(run), 2);
    code = replaceExactly(code, 'tasks: 40, steps: 3, episodes: 40', 'tasks: 3, steps: 2, episodes: 5');
    code += "console.log('MEANS', JSON.stringify(result.methods[0]!.steps.map((s) => s.mean)));\n";
    const file = join(dir, 'example.ts');
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(run, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(r.stdout).toMatch(/\| maml \| 0\.1 \| -?\d/);
    const means = JSON.parse(/^MEANS (.*)$/m.exec(r.stdout)![1]!) as number[];
    expect(means).toHaveLength(3);

    const json = join(dir, 'eval.json');
    const e = metarl('evaluate', '--run', run, '--tasks', '3', '--steps', '2', '--episodes', '5', '--json', json);
    expect(e.code, e.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { steps: { mean: number }[] };
    expect(means).toEqual(doc.steps.map((s) => s.mean));
  }, 180_000);
});
