/**
 * Reading Omniglot from disk (Node only): the image sets and the official one-shot runs.
 * See ./omniglot.ts for the data layout (28 × 28, ink = 1, background = 0).
 */
import { areaResize, decodePngLuminance, groupByFolder, listFiles, type FileEntry } from './image-folder.ts';
import { OMNIGLOT_IMAGE_SIZE, OmniglotDataset, OmniglotDataFault, OmniglotError, type CharacterSource, type OneShotRun } from './omniglot.ts';
import { ConfigError, checkOptionKeys } from '../src/config.ts';

/** Options of {@link loadOmniglot}. */
export interface LoadOmniglotOptions {
  /** Output side length. Default 28. */
  size?: number;
  /** Keep only the first `limitClasses` characters (sorted folder order), e.g. for tests. */
  limitClasses?: number;
  /** Decode every image now instead of each character on first use. Default false. */
  preload?: boolean;
}

const isPng = (p: string): boolean => p.toLowerCase().endsWith('.png');

/**
 * A PNG → `size × size` image with ink = 1 and background = 0 (Omniglot's strokes are black on
 * white): area-average downsampling of the luminance, then 1 − value.
 */
export function decodeOmniglotImage(bytes: Uint8Array, size = OMNIGLOT_IMAGE_SIZE, name = '<png>'): Float32Array {
  const img = decodePngLuminance(bytes, name);
  const out = areaResize(img.data, img.width, img.height, size, size);
  for (let i = 0; i < out.length; i++) out[i] = 1 - out[i]!;
  return out;
}

function decodeAll(files: readonly FileEntry[], size: number): Float32Array {
  const p = size * size;
  const out = new Float32Array(files.length * p);
  files.forEach((f, i) => out.set(decodeOmniglotImage(f.read(), size, f.path), i * p));
  return out;
}

/**
 * Loads an Omniglot image set from a directory, a `.zip` file or zip bytes. Every folder that
 * directly holds PNGs is one character, so both the shared layout
 * `images_background/characterNNNN/*.png` and the official
 * `images_background/<Alphabet>/characterNN/*.png` work. Characters are ordered by folder
 * path, images by file name; images are decoded lazily per character (or all at once with
 * `preload`) and cached.
 * @throws ImageFolderError (./image-folder.ts) for unreadable sources, OmniglotError when no PNG is found.
 */
export function loadOmniglot(source: string | Uint8Array, opts: LoadOmniglotOptions = {}): OmniglotDataset {
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object ({ size, limitClasses, preload }, each optional)');
  checkOptionKeys(opts, { size: true, limitClasses: true, preload: true }, 'loadOmniglot');
  const size = opts.size ?? OMNIGLOT_IMAGE_SIZE;
  let groups = groupByFolder(listFiles(source, isPng));
  const where = typeof source === 'string' ? source : '<zip bytes>';
  if (groups.length === 0) throw new OmniglotDataFault(`no PNG images found in ${where}`);
  if (opts.limitClasses !== undefined) {
    if (!Number.isInteger(opts.limitClasses) || opts.limitClasses < 1) {
      throw new OmniglotError(`limitClasses must be a positive integer, got ${opts.limitClasses}`);
    }
    groups = groups.slice(0, opts.limitClasses);
  }
  const sources: CharacterSource[] = groups.map((g) => ({
    name: g.name,
    numImages: g.files.length,
    load: () => decodeAll(g.files, size),
  }));
  const ds = new OmniglotDataset(sources, size);
  return opts.preload ? ds.preload() : ds;
}

/**
 * Loads the official one-shot benchmark (`one_shot_runs.zip` or its unpacked folder):
 * for each `runNN/`, the training images `training/classXX.png` (label XX − 1), the test images
 * `test/itemXX.png` in file order, and their right class from `class_labels.txt`
 * (lines `runNN/test/itemXX.png runNN/training/classYY.png`). Images as in {@link loadOmniglot}.
 * @throws OmniglotError when a run is incomplete or its answer file is malformed.
 */
export function loadOneShotRuns(source: string | Uint8Array, opts: { size?: number } = {}): OneShotRun[] {
  const size = opts.size ?? OMNIGLOT_IMAGE_SIZE;
  const files = listFiles(source, (p) => isPng(p) || p.endsWith('class_labels.txt'));
  const where = typeof source === 'string' ? source : '<zip bytes>';
  // Runs are keyed by the folder holding class_labels.txt (the archive may add a top folder).
  const labelFiles = files.filter((f) => f.path.endsWith('class_labels.txt'));
  if (labelFiles.length === 0) throw new OmniglotDataFault(`no runNN/class_labels.txt found in ${where}`);
  return labelFiles.map((lf) => {
    const dir = lf.path.slice(0, lf.path.length - 'class_labels.txt'.length); // '' or 'x/run01/'
    const name = dir.replace(/\/$/, '').split('/').pop() || '<root>';
    const under = (sub: string): FileEntry[] => files.filter((f) => f.path.startsWith(dir + sub) && isPng(f.path) && !f.path.slice(dir.length + sub.length).includes('/'));
    const training = under('training/');
    const test = under('test/');
    if (training.length === 0 || test.length === 0) throw new OmniglotDataFault(`${name}: no training/ or test/ images in ${where}`);
    const classIndex = new Map(training.map((f, i) => [f.path.slice(dir.length), i]));
    const answers = new Map<string, number>();
    const text = new TextDecoder().decode(lf.read());
    // Paths in class_labels.txt start with the run folder (`run01/test/item01.png`).
    const runPrefix = name + '/';
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      const parts = line.trim().split(/\s+/);
      const [item, cls] = parts.map((s) => (s.startsWith(runPrefix) ? s.slice(runPrefix.length) : s));
      const label = cls === undefined ? undefined : classIndex.get(cls);
      if (parts.length !== 2 || label === undefined) throw new OmniglotDataFault(`${lf.path}: cannot parse line ${JSON.stringify(line)}`);
      answers.set(item!, label);
    }
    const y = Int32Array.from(test, (f) => {
      const label = answers.get(f.path.slice(dir.length));
      if (label === undefined) throw new OmniglotDataFault(`${lf.path} gives no class for ${f.path}`);
      return label;
    });
    return {
      name,
      support: { x: decodeAll(training, size), y: Int32Array.from(training, (_, i) => i), n: training.length },
      query: { x: decodeAll(test, size), y, n: test.length },
    };
  });
}
