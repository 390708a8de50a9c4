#!/usr/bin/env node
// Times how long `metarl` commands take from the compiled build (scripts/build.mjs) and from the
// TypeScript through tsx (METARL_FROM_SOURCE=1), run alternately, and prints the medians:
//   - a command refused at once (`train --env Nope-v0`: Node, the command line and tfjs load, then exit 2);
//   - `--help` (no tfjs);
//   - a tiny training run (`train --preset tiny --iterations 2 --workers 2`: two worker threads start too);
//   - the same from code: a script run through tsx (`node --import tsx`) that trains one iteration with
//     two workers, whose worker threads run the compiled worker module or the TypeScript.
//
//   npm run build && node scripts/bench-startup.mjs [--runs 7]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildIsFresh } from '../bin/build-state.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'metarl.mjs');
const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 7;
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`bench-startup: --runs: must be a positive integer (got ${JSON.stringify(process.argv[at + 1])})\n`);
  process.exit(2);
}
if (!buildIsFresh(ROOT)) {
  process.stderr.write('bench-startup: the build is missing or out of date: run `npm run build` first\n');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'metarl-bench-startup-'));
const fromCode = (out) =>
  [
    `import { initBackend } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'index.ts')).href)};`,
    `import { resolveConfig } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'config.ts')).href)};`,
    `import { train } from ${JSON.stringify(pathToFileURL(join(ROOT, 'agents', 'trainer.ts')).href)};`,
    "await initBackend('wasm', { log: () => {} });",
    `await train(resolveConfig('Navigation2D-v0', 'tiny', { iterations: 1 }), { out: ${JSON.stringify(out)}, workers: 2, log: () => {} });`,
  ].join('\n');
const cases = [
  { name: 'refused command (train --env Nope-v0)', args: () => [BIN, 'train', '--env', 'Nope-v0'], code: 2 },
  { name: '--help', args: () => [BIN, '--help'], code: 0 },
  { name: 'tiny training, 2 iterations, 2 workers', args: (i) => [BIN, 'train', '--preset', 'tiny', '--iterations', '2', '--workers', '2', '--out', join(tmp, `run-${i}`)], code: 0 },
  { name: 'from code through tsx, tiny, 1 iteration, 2 workers', args: (i) => ['--import', 'tsx', '--input-type=module', '-e', fromCode(join(tmp, `code-${i}`))], code: 0 },
];
const modes = [
  { name: 'build', env: { METARL_FROM_SOURCE: '' } },
  { name: 'source (tsx)', env: { METARL_FROM_SOURCE: '1' } },
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
let n = 0;
try {
  for (const c of cases) {
    const times = modes.map(() => []);
    for (let r = 0; r < runs; r++) {
      for (const [m, mode] of modes.entries()) {
        const t0 = performance.now();
        const p = spawnSync(process.execPath, c.args(n++), { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...mode.env } });
        const s = (performance.now() - t0) / 1000;
        if (p.status !== c.code) throw new Error(`${c.name} (${mode.name}) exited with ${p.status}: ${p.stderr}`);
        times[m].push(s);
      }
    }
    const [b, t] = times.map(median);
    process.stdout.write(`${c.name}: build ${b.toFixed(2)} s, source ${t.toFixed(2)} s (medians of ${runs}; ${(t - b).toFixed(2)} s less)\n`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
