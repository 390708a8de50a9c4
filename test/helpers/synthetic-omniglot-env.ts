import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../envs/index.ts';
import { RegisteredOmniglotEnv } from '../../envs/omniglot-register.ts';
import { loadOmniglot } from '../../envs/omniglot-files.ts';
import { syntheticOmniglotFiles, writeFiles } from './synthetic-omniglot.ts';

/** Writes a synthetic background set of `characters` characters to a temp folder and registers `id` as its 5-way 1-shot env. */
export function registerSyntheticOmniglot(id: string, characters: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-omni-'));
  writeFiles(dir, syntheticOmniglotFiles({ characters, drawers: 20 }));
  const data = loadOmniglot(dir, { preload: true });
  register({ id, factory: () => new RegisteredOmniglotEnv(id, data, 5, 1), description: 'synthetic test set' });
}
