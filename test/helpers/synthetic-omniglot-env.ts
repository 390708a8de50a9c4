import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../envs/index.ts';
import { RegisteredOmniglotEnv } from '../../envs/omniglot-register.ts';
import { loadOmniglot } from '../../envs/omniglot-files.ts';
import { syntheticOmniglotFiles, writeFiles } from './synthetic-omniglot.ts';

/** Writes a synthetic background set of `characters` characters to a temp folder and registers `id` as its `ways`-way (default 5) 1-shot env; returns the folder. */
export function registerSyntheticOmniglot(id: string, characters: number, ways = 5): string {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-omni-'));
  writeFiles(dir, syntheticOmniglotFiles({ characters, drawers: 20 }));
  const data = loadOmniglot(dir, { preload: true });
  register({ id, factory: () => new RegisteredOmniglotEnv(id, data, ways, 1), description: 'synthetic test set' });
  return dir;
}
