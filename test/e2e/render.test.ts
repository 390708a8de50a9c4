import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const BIN = join(__dirname, '..', '..', 'bin', 'metarl.mjs');

it('render writes an animated SVG and a PNG filmstrip of the adapted cheetah, and rejects a bad task', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-render-'));
  const run = join(dir, 'run');
  const sh = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
  const t = sh('train', '--env', 'HalfCheetahVel-v0', '--preset', 'tiny', '--iterations', '1', '--out', run);
  expect(t.status, t.stderr).toBe(0);
  const out = join(dir, 'gait.svg');
  const r = sh('render', '--run', run, '--task', '{"velocity":1.5}', '--episodes', '4', '--out', out);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('task {"velocity":1.5}: episode return');
  const svg = readFileSync(out, 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('{"velocity":1.5}');
  // 101 frames (reset + 100 control steps), each shown in turn by a discrete animation.
  expect(svg.match(/attributeName="visibility"/g)).toHaveLength(101);
  const png = PNG.sync.read(readFileSync(join(dir, 'gait.png')));
  expect(png.width).toBeGreaterThan(1000);
  const bad = sh('render', '--run', run, '--task', '{"velocity":"fast"}', '--out', out);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('velocity');
  // A key the env's tasks lack, and an empty --task, as a task file's are refused (found by a bad-input trial: both drew).
  const extra = sh('render', '--run', run, '--task', '{"velocity":1,"x":2}', '--out', out);
  expect([extra.status, extra.stderr.trim().split('\n').at(-1)]).toEqual([2, 'metarl: --task: task.x: is not a key of HalfCheetahVel-v0\'s tasks; they have task.velocity (got {"velocity":1,"x":2})']);
  const empty = sh('render', '--run', run, '--task', '', '--out', out);
  expect(empty.status).toBe(2);
  expect(empty.stderr).toContain('--task: is not valid JSON');
  // The .png is written beside the .svg: another extension is refused (it used to get SVG text).
  const png2 = sh('render', '--run', run, '--out', join(dir, 'gait.png'));
  expect(png2.status).toBe(2);
  expect(png2.stderr).toContain('--out: must be a file name ending in .svg');
}, 240_000);

it('render draws an oracle run without adapting, and refuses steps for it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-render-oracle-'));
  const run = join(dir, 'oracle');
  const sh = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
  const t = sh('train', '--env', 'HalfCheetahDir-v0', '--algo', 'oracle', '--preset', 'tiny', '--iterations', '1', '--out', run);
  expect(t.status, t.stderr).toBe(0);
  const r = sh('render', '--run', run, '--task', '{"direction":-1}', '--out', join(dir, 'o.svg'));
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('after 0 step(s) (adaptation returns none)');
  expect(readFileSync(join(dir, 'o.svg'), 'utf8').match(/attributeName="visibility"/g)).toHaveLength(101);
  const steps = sh('render', '--run', run, '--steps', '1', '--out', join(dir, 'o2.svg'));
  expect(steps.status).toBe(2);
  expect(steps.stderr).toContain('--steps: must be 0 for an oracle run');
}, 240_000);
