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
}, 240_000);
