/**
 * `--env-module` files as the commands read them: a module that registers nothing does not leave
 * the default env to run, and a file given twice is loaded once. (Its own file: the loaded modules
 * are process state.)
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseEnv, emptyEnvModules, envModuleIds, loadEnvModules } from '../../scripts/args.ts';

describe('--env-module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-envmod-'));

  it('a file given twice is loaded once; one that registers no env is named unless --env or a config names the env', async () => {
    const empty = join(dir, 'noreg.mjs');
    writeFileSync(empty, 'export const forgotten = true; // the register(...) call is missing\n');
    const urls = await loadEnvModules([empty, empty]);
    expect(urls).toHaveLength(1);
    expect(emptyEnvModules()).toEqual([empty]);
    expect(envModuleIds()).toEqual([]);
    // It trained Navigation2D-v0 without a word.
    expect(() => chooseEnv(undefined, {}, undefined, 'Navigation2D-v0')).toThrow(`--env-module: registered no env (is its register({ id, factory }) call missing?), and without --env the command would run Navigation2D-v0 (got "${empty}")`);
    expect(chooseEnv('Navigation2D-v0', {}, undefined, 'Navigation2D-v0')).toBe('Navigation2D-v0');
    expect(chooseEnv(undefined, { env: 'HalfCheetahVel-v0' }, 'c.json', 'Navigation2D-v0')).toBe('HalfCheetahVel-v0');
  });
});
