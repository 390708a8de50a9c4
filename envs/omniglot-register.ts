// Node only: registers the Omniglot N-way K-shot envs, whose data is read from disk. Kept out of
// envs/index.ts so that module stays browser-safe.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register, envSpec } from './registry.ts';
import { OmniglotEnv, OmniglotError, type OmniglotDataset, type OmniglotTask } from './omniglot.ts';
import { loadOmniglot } from './omniglot-files.ts';
import type { Rng } from '../src/rng.ts';

/**
 * Where the background set is read from: `$METARL_OMNIGLOT` (a folder or `images_background.zip`),
 * else `../shared/data/omniglot/images_background.zip` beside the project.
 */
export function omniglotPath(): string {
  const env = typeof process !== 'undefined' ? process.env.METARL_OMNIGLOT : undefined;
  if (env) return resolve(env);
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'omniglot', 'images_background.zip');
}

/** The Omniglot data is missing where {@link omniglotPath} points: a user error, not a bug. */
export class OmniglotDataError extends Error {
  override name = 'OmniglotDataError';
}

let cached: { path: string; data: OmniglotDataset; identity?: DataIdentity } | null = null;

/** Which data an env read: where from, and a digest of it (runs record it; see `dataIdentity`). */
export interface DataIdentity {
  /** The file or folder, as an absolute path. */
  source: string;
  /** SHA-256 of the file's bytes; for a folder, of its files' relative paths and sizes. */
  sha256: string;
}

/** The {@link DataIdentity} of `path` (a file, or a folder walked recursively in name order). */
export function dataIdentityOf(path: string): DataIdentity {
  const hash = createHash('sha256');
  if (statSync(path).isDirectory()) {
    const walk = (dir: string, rel: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const full = join(dir, name);
        const st = statSync(full);
        if (st.isDirectory()) walk(full, `${rel}${name}/`);
        else hash.update(`${rel}${name}\t${st.size}\n`);
      }
    };
    walk(path, '');
  } else {
    hash.update(readFileSync(path));
  }
  return { source: path, sha256: hash.digest('hex') };
}

function dataset(): OmniglotDataset {
  const path = omniglotPath();
  if (cached?.path === path) return cached.data;
  if (!existsSync(path)) {
    throw new OmniglotDataError(`Omniglot data not found at ${path}; set METARL_OMNIGLOT to images_background.zip or its folder`);
  }
  try {
    cached = { path, data: loadOmniglot(path) };
  } catch (e) {
    // A folder that holds the zip rather than the images (METARL_OMNIGLOT set one level too high): say which file to name.
    const zips = e instanceof OmniglotError && statSync(path).isDirectory() ? readdirSync(path).filter((f) => f.toLowerCase().endsWith('.zip')) : [];
    if (zips.length > 0) throw new OmniglotError(`${(e as Error).message}; it holds ${zips.join(', ')}: set METARL_OMNIGLOT to ${join(path, zips.includes('images_background.zip') ? 'images_background.zip' : zips[0]!)}`);
    throw e;
  }
  return cached.data;
}

/** Omniglot whose held-out tasks come from the test characters (never seen in training). */
export class RegisteredOmniglotEnv extends OmniglotEnv {
  override readonly id: string;
  constructor(id: string, data: OmniglotDataset, ways: number, shots: number) {
    super(data, { ways, shots, queries: 15 });
    this.id = id;
  }

  /** The data this env reads ({@link omniglotPath}): a training run records it in its checkpoints. */
  dataIdentity(): DataIdentity {
    const path = omniglotPath();
    if (cached?.path === path) return (cached.identity ??= dataIdentityOf(path));
    return dataIdentityOf(path);
  }

  /** Tasks for evaluation: from the test split of characters. */
  heldOutTasks(n: number, rng: Rng): OmniglotTask[] {
    return this.sampleTasks(n, rng, 'test');
  }
}

/** The registered Omniglot variants: `Omniglot{N}Way{K}Shot-v0`, 15 queries per class. */
export const OMNIGLOT_VARIANTS: ReadonlyArray<[number, number]> = [
  [5, 1],
  [5, 5],
  [20, 1],
  [20, 5],
];

for (const [ways, shots] of OMNIGLOT_VARIANTS) {
  const id = `Omniglot${ways}Way${shots}Shot-v0`;
  if (!envSpec(id)) {
    register({ id, factory: () => new RegisteredOmniglotEnv(id, dataset(), ways, shots), description: `Omniglot ${ways}-way ${shots}-shot (rotations as classes; data from METARL_OMNIGLOT)` });
  }
}
