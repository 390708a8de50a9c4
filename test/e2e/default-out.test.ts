/**
 * `metarl train` without --out writes to runs/<env>-seed<seed>, named after the run's seed as
 * resolved (the config file's when --seed is not given; as a number, not as typed), and
 * `--resume` without --out finds the run there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'metarl.mjs');
const dir = mkdtempSync(join(tmpdir(), 'metarl-default-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs metarl in `dir` (where the default runs/ folder goes). */
const metarlIn = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
const seedOf = (run: string) => JSON.parse(readFileSync(join(dir, run, 'config.json'), 'utf8')).config.seed;

it("names the default --out after the resolved seed: the config file's, or --seed as a number", () => {
  writeFileSync(join(dir, 'seed5.json'), JSON.stringify({ seed: 5 }));
  const tiny = ['--preset', 'tiny', '--iterations', '1', '--workers', '1'];
  const a = metarlIn('train', ...tiny, '--config', 'seed5.json');
  expect(a.status, a.stderr).toBe(0);
  expect(seedOf('runs/Navigation2D-v0-seed5')).toBe(5);
  expect(existsSync(join(dir, 'runs', 'Navigation2D-v0-seed1'))).toBe(false);
  // The same command with --resume finds it.
  const r = metarlIn('train', ...tiny.slice(0, 2), '--iterations', '2', '--workers', '1', '--config', 'seed5.json', '--resume');
  expect(r.status, r.stderr).toBe(0);
  expect(readFileSync(join(dir, 'runs', 'Navigation2D-v0-seed5', 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  const b = metarlIn('train', ...tiny, '--seed', '07');
  expect(b.status, b.stderr).toBe(0);
  expect(seedOf('runs/Navigation2D-v0-seed7')).toBe(7);
  expect(existsSync(join(dir, 'runs', 'Navigation2D-v0-seed07'))).toBe(false);
}, 120_000);
