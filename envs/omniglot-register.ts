// Node only: registers the Omniglot N-way K-shot envs, whose data is read from disk. Kept out of
// envs/index.ts so that module stays browser-safe.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register, envSpec } from './registry.ts';
import { OmniglotDataFault, OmniglotEnv, OmniglotError, type OmniglotDataset, type OmniglotTask } from './omniglot.ts';
import { loadOmniglot } from './omniglot-files.ts';
import type { Rng } from '../src/rng.ts';

/**
 * Where the background set is read from: `$METARL_OMNIGLOT` (`images_background.zip`, the
 * `images_background` folder it unzips to, or a folder that holds `images_background.zip` and not
 * that unzipped folder: then that zip), else `../shared/data/omniglot/images_background.zip`
 * beside the project (where its developers keep the data).
 */
export function omniglotPath(): string {
  const env = typeof process !== 'undefined' ? process.env['METARL_OMNIGLOT'] : undefined;
  if (env) {
    const path = resolve(env);
    // A folder one level too high, holding the zip (found by a README trial: "its folder" was read so).
    const zip = join(path, 'images_background.zip');
    if (existsSync(zip) && statSync(path).isDirectory() && !readdirSync(path).includes('images_background')) return zip;
    return path;
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'omniglot', 'images_background.zip');
}

/** The Omniglot data is missing where {@link omniglotPath} points: a user error, not a bug. */
export class OmniglotDataError extends Error {
  override name = 'OmniglotDataError';
}

let cached: { path: string; data: OmniglotDataset } | null = null;
const identities = new Map<string, DataIdentity>();

/** Which data an env read: where from, and a digest of it (runs record it; see `dataIdentity`). */
export interface DataIdentity {
  /** The file or folder, as an absolute path. */
  source: string;
  /** SHA-256 of the file's bytes; for a folder, of its files' relative paths and bytes (hidden files aside). */
  sha256: string;
}

/**
 * The {@link DataIdentity} of `path`: a file, or a folder walked recursively in name order, skipping
 * names that start with a dot (`.DS_Store` and the like). Computed once per path and process.
 */
export function dataIdentityOf(path: string): DataIdentity {
  const known = identities.get(path);
  if (known) return known;
  const hash = createHash('sha256');
  if (statSync(path).isDirectory()) {
    const walk = (dir: string, rel: string): void => {
      for (const name of readdirSync(dir).sort()) {
        if (name.startsWith('.')) continue;
        const full = join(dir, name);
        if (statSync(full).isDirectory()) {
          walk(full, `${rel}${name}/`);
        } else {
          const bytes = readFileSync(full);
          hash.update(`${rel}${name}\t${bytes.length}\n`);
          hash.update(bytes);
        }
      }
    };
    walk(path, '');
  } else {
    hash.update(readFileSync(path));
  }
  const id = { source: path, sha256: hash.digest('hex') };
  identities.set(path, id);
  return id;
}

function dataset(): { path: string; data: OmniglotDataset } {
  const path = omniglotPath();
  if (cached?.path === path) return cached;
  if (!existsSync(path)) {
    throw new OmniglotDataError(`Omniglot data not found at ${path}; set METARL_OMNIGLOT to images_background.zip or the images_background folder it unzips to`);
  }
  try {
    cached = { path, data: loadOmniglot(path) };
  } catch (e) {
    // A folder that holds the zip rather than the images (METARL_OMNIGLOT set one level too high): say which file to name.
    const zips = e instanceof OmniglotError && statSync(path).isDirectory() ? readdirSync(path).filter((f) => f.toLowerCase().endsWith('.zip')) : [];
    if (zips.length > 0) throw new OmniglotDataFault(`${(e as Error).message}; it holds ${zips.join(', ')}: set METARL_OMNIGLOT to ${join(path, zips.includes('images_background.zip') ? 'images_background.zip' : zips[0]!)}`);
    throw e;
  }
  return cached;
}

/** Omniglot whose held-out tasks come from the test characters (never seen in training). */
export class RegisteredOmniglotEnv extends OmniglotEnv {
  declare readonly id: string;
  private readonly source?: string | undefined;

  /**
   * @param source The file or folder `data` was loaded from (the registered envs: {@link omniglotPath});
   *   without it, {@link dataIdentity} is null and runs record no data.
   */
  constructor(id: string, data: OmniglotDataset, ways: number, shots: number, source?: string) {
    super(data, { ways, shots, queries: 15 });
    this.source = source;
    this.id = id;
  }

  /** The data this env was built from (path and digest), which a training run records in its checkpoints; null when not known. */
  dataIdentity(): DataIdentity | null {
    return this.source === undefined ? null : dataIdentityOf(this.source);
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
    register({ id, factory: () => {
      const { path, data } = dataset();
      return new RegisteredOmniglotEnv(id, data, ways, shots, path);
    }, description: `Omniglot ${ways}-way ${shots}-shot (rotations as classes; data from METARL_OMNIGLOT)` });
  }
}
