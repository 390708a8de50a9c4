/**
 * The example config files in configs/ (used by README commands) stay valid: each one resolves
 * against the preset of the env its name starts with, and its overrides reach the resolved config.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.ts';

const DIR = join(import.meta.dirname, '..', '..', 'configs');
const ENV_BY_PREFIX: Record<string, string> = { nav: 'Navigation2D-v0', sine: 'SineRegression-v0', cheetah: 'HalfCheetahVel-v0' };

/** Every leaf of `override` is found, equal, at the same path in `resolved`. */
function expectOverridesApplied(override: unknown, resolved: unknown, path: string): void {
  if (override !== null && typeof override === 'object' && !Array.isArray(override)) {
    for (const [k, v] of Object.entries(override)) expectOverridesApplied(v, (resolved as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    expect(resolved, path).toEqual(override);
  }
}

describe('configs/*.json', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  it('there are example configs', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    it(`${file} resolves and its overrides apply`, () => {
      const env = ENV_BY_PREFIX[file.split('-')[0]!];
      expect(env, `no env known for the prefix of ${file}`).toBeDefined();
      const override = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
      const cfg = resolveConfig(env!, undefined, override);
      expectOverridesApplied(override, cfg, 'config');
    });
  }
});
