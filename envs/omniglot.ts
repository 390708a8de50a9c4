/**
 * Omniglot few-shot classification (Lake et al. 2015; the N-way K-shot protocol of Vinyals et al.
 * 2016 and Finn et al. 2017).
 *
 * Data layout (what every array here means):
 * - An image is `size × size` floats (default 28 × 28), row-major, **ink = 1, background = 0**
 *   (the PNGs have black strokes on white; the loaders invert them), values in [0, 1] from
 *   area-average downsampling of the 105 × 105 1-bit originals.
 * - A *character* is one folder of PNGs (index = position in the sorted folder list). A *class*
 *   of a task is a character at one of four rotations (0/90/180/270° counter-clockwise, the
 *   augmentation of Santoro et al. 2016 / Finn et al. 2017): rotated copies are distinct classes.
 * - Characters (not rotated classes) are split into train / validation / test by a seeded
 *   permutation ({@link splitCharacters}), so the rotations of a character never straddle splits.
 * - A task ({@link OmniglotTask}) is plain JSON: the classes in label order (label i ↔
 *   `classes[i]`, a random order, so labels are shuffled per task) and, per class, the image
 *   indices of its support and query examples. Materialising it needs no randomness.
 * - Batches ({@link LabelledImages}) are `x: Float32Array [n, size·size]`, `y: Int32Array [n]`,
 *   class-major (all examples of label 0, then label 1, …).
 *
 * This module is pure (no Node APIs, no tfjs); files are read by ./omniglot-files.ts.
 */
import { createRng, type Rng } from '../src/rng.ts';
import type { Box, LabelledBatch, StepResult, SupervisedMetaEnv } from '../src/types.ts';

/** Side length of the downsampled images (Finn et al. 2017). */
export const OMNIGLOT_IMAGE_SIZE = 28;
/** Characters in the background set. */
export const OMNIGLOT_BACKGROUND_CHARACTERS = 964;
/** Rotations (degrees, counter-clockwise) that augment every character into four classes. */
export const ROTATIONS = [0, 90, 180, 270] as const;
/** One of {@link ROTATIONS}. */
export type Rotation = (typeof ROTATIONS)[number];

/** Thrown for invalid Omniglot options and tasks; carries the offending value in its message. */
export class OmniglotError extends Error {
  /** @param message what is wrong, with the offending value. */
  constructor(message: string) {
    super(message);
    this.name = 'OmniglotError';
  }
}

/**
 * Omniglot data that cannot be used as it is (no images, an image set that does not parse, too few
 * characters or images for the tasks asked): the data is to fix, not the code. The command line
 * reports it as bad input (exit 2).
 */
export class OmniglotDataFault extends OmniglotError {
  /** @param message what is wrong with the data, naming the file, character or count. */
  constructor(message: string) {
    super(message);
    this.name = 'OmniglotDataFault';
  }
}

/** One character's images, decoded on demand. */
export interface CharacterSource {
  /** Folder path relative to the dataset root, e.g. `images_background/character0001`. */
  readonly name: string;
  /** Number of images (drawers; 20 in Omniglot). */
  readonly numImages: number;
  /** All images, `[numImages, size·size]`, ink = 1. Called at most once per dataset. */
  load(): Float32Array;
}

/**
 * An in-memory Omniglot-style dataset: characters (folders of images) with lazily decoded,
 * cached `size × size` images. Build it with `loadOmniglot` (./omniglot-files.ts) or
 * {@link OmniglotDataset.fromArrays}.
 */
export class OmniglotDataset {
  private readonly cache: (Float32Array | undefined)[];
  private readonly sources: readonly CharacterSource[];
  readonly size: number;

  /** @param size side length of every image. */
  constructor(
    sources: readonly CharacterSource[],
    size: number = OMNIGLOT_IMAGE_SIZE,
  ) {
    this.sources = sources;
    this.size = size;
    if (!Number.isInteger(size) || size <= 0) throw new OmniglotError(`image size must be a positive integer, got ${size}`);
    this.cache = new Array(sources.length);
  }

  /** A dataset over images already in memory: `characters[c]` is `[numImages, size·size]`. */
  static fromArrays(characters: readonly { name: string; images: Float32Array }[], size = OMNIGLOT_IMAGE_SIZE): OmniglotDataset {
    const pixels = size * size;
    return new OmniglotDataset(
      characters.map(({ name, images }) => {
        if (images.length === 0 || images.length % pixels !== 0) {
          throw new OmniglotDataFault(`character ${name}: ${images.length} values is not a whole number of ${size}×${size} images`);
        }
        return { name, numImages: images.length / pixels, load: () => images };
      }),
      size,
    );
  }

  /** Number of characters (classes) in the dataset. */
  get numCharacters(): number {
    return this.sources.length;
  }

  /** Pixels per image (`size²`). */
  get pixels(): number {
    return this.size * this.size;
  }

  /** Name of character `c`, as its source gives it (for a folder or zip, the character's folder path). */
  characterName(c: number): string {
    return this.source(c).name;
  }

  /** Number of images (drawers) of character `c`. */
  numImages(c: number): number {
    return this.source(c).numImages;
  }

  /** All images of character `c`, `[numImages, size·size]` (decoded on first use, then cached). */
  images(c: number): Float32Array {
    let v = this.cache[c];
    if (v === undefined) {
      const src = this.source(c);
      v = src.load();
      if (v.length !== src.numImages * this.pixels) {
        throw new OmniglotDataFault(`character ${src.name}: loaded ${v.length} values, expected ${src.numImages}×${this.pixels}`);
      }
      this.cache[c] = v;
    }
    return v;
  }

  /** Decodes every character now (otherwise each is decoded on first use). */
  preload(): this {
    for (let c = 0; c < this.sources.length; c++) this.images(c);
    return this;
  }

  /** Number of characters decoded so far. */
  get numLoaded(): number {
    return this.cache.reduce((n, v) => n + (v === undefined ? 0 : 1), 0);
  }

  /**
   * Writes image `index` of character `c`, rotated by `rotation`° counter-clockwise, into
   * `out[offset … offset + size²)`.
   */
  writeImage(c: number, rotation: number, index: number, out: Float32Array, offset = 0): void {
    const n = this.numImages(c);
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new OmniglotError(`character ${c} has ${n} images, got image index ${index}`);
    }
    const map = rotationMap(this.size, rotation);
    const src = this.images(c);
    const base = index * this.pixels;
    for (let i = 0; i < map.length; i++) out[offset + i] = src[base + map[i]!]!;
  }

  private source(c: number): CharacterSource {
    const s = this.sources[c];
    if (!Number.isInteger(c) || s === undefined) {
      throw new OmniglotError(`character index must be an integer in [0, ${this.sources.length}), got ${c}`);
    }
    return s;
  }
}

const rotationMaps = new Map<string, Int32Array>();

/**
 * `map[i]` = source pixel of output pixel `i` for a counter-clockwise rotation by `rotation`°
 * of a `size × size` row-major image (like numpy's `rot90(img, rotation / 90)`).
 */
export function rotationMap(size: number, rotation: number): Int32Array {
  const key = `${size}/${rotation}`;
  let map = rotationMaps.get(key);
  if (map) return map;
  if (!(ROTATIONS as readonly number[]).includes(rotation)) {
    throw new OmniglotError(`rotation must be one of ${ROTATIONS.join('/')}, got ${rotation}`);
  }
  const s = size - 1;
  map = new Int32Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let col = 0; col < size; col++) {
      // Output (r, col) of a ccw quarter turn reads source (col, s − r).
      let sr = r;
      let sc = col;
      for (let k = 0; k < rotation / 90; k++) [sr, sc] = [sc, s - sr];
      map[r * size + col] = sr * size + sc;
    }
  }
  rotationMaps.set(key, map);
  return map;
}

/** Rotates a `size × size` image by `rotation`° counter-clockwise (a new array). */
export function rotateImage(img: Float32Array, size: number, rotation: number): Float32Array {
  const map = rotationMap(size, rotation);
  return Float32Array.from(map, (j) => img[j]!);
}

// ---------------------------------------------------------------------------------------------
// Splits

/** A split of the characters, drawn by a seeded shuffle (the rotated classes of a character stay together). */
export type OmniglotSplit = 'train' | 'validation' | 'test';
/** Every split, in order. */
export const SPLITS: readonly OmniglotSplit[] = ['train', 'validation', 'test'];

/** Characters per split. */
export interface SplitSizes {
  train: number;
  validation: number;
  test: number;
}

/** Character indices per split, each sorted ascending. */
export type CharacterSplits = Record<OmniglotSplit, number[]>;

/**
 * Default split sizes for `numCharacters` characters: validation = round(100/964·n),
 * test = round(200/964·n), train = the rest — exactly 664 / 100 / 200 for the 964 characters of
 * the background set. (The literature's 1200 + 423 split of all 1623 characters needs the
 * evaluation set, which is not available offline.)
 */
export function defaultSplitSizes(numCharacters: number): SplitSizes {
  const validation = Math.round((100 / OMNIGLOT_BACKGROUND_CHARACTERS) * numCharacters);
  const test = Math.round((200 / OMNIGLOT_BACKGROUND_CHARACTERS) * numCharacters);
  return { train: numCharacters - validation - test, validation, test };
}

/**
 * Splits characters `0 … numCharacters−1` by a permutation drawn from `rng`: the first
 * `sizes.train` of the permutation are the training characters, the next `sizes.validation`
 * the validation ones, the next `sizes.test` the test ones (sizes may sum to less than
 * `numCharacters`; the rest is unused). Rotations are applied later, so the four rotated
 * classes of a character are always in the same split.
 */
export function splitCharacters(numCharacters: number, rng: Rng, sizes: SplitSizes = defaultSplitSizes(numCharacters)): CharacterSplits {
  for (const s of SPLITS) {
    if (!Number.isInteger(sizes[s]) || sizes[s] < 0) throw new OmniglotError(`split size ${s} must be a non-negative integer, got ${sizes[s]}`);
  }
  const total = sizes.train + sizes.validation + sizes.test;
  if (total > numCharacters) {
    throw new OmniglotDataFault(
      `split sizes ${sizes.train}/${sizes.validation}/${sizes.test} need ${total} characters, the dataset has ${numCharacters}`,
    );
  }
  const perm = rng.permutation(numCharacters);
  const out = {} as CharacterSplits;
  let o = 0;
  for (const s of SPLITS) {
    out[s] = Array.from(perm.subarray(o, o + sizes[s])).sort((a, b) => a - b);
    o += sizes[s];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tasks

/** One class of a task: a character at a rotation. */
export interface OmniglotClass {
  [key: string]: unknown;
  /** Character index in the dataset (sorted folder order). */
  character: number;
  /** Degrees, counter-clockwise: 0, 90, 180 or 270. */
  rotation: number;
}

/** An N-way K-shot task, plain JSON. Label `i` is `classes[i]`. */
export interface OmniglotTask {
  [key: string]: unknown;
  split: OmniglotSplit;
  /** N classes, in label order. */
  classes: OmniglotClass[];
  /** `support[i]`: the K image indices (drawers, 0-based) of class i's support examples. */
  support: number[][];
  /** `query[i]`: the Q image indices of class i's query examples (disjoint from its support). */
  query: number[][];
}

/** Images with labels: `x [n, size·size]`, `y [n]` class indices (class-major). */
export interface LabelledImages extends LabelledBatch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Images without labels: `x [n, size·size]`. */
export interface Images {
  x: Float32Array;
  n: number;
}

/** Shape of the tasks. */
export interface OmniglotTaskConfig {
  /** N: classes per task. Default 5. */
  ways: number;
  /** K: support examples per class. Default 1. */
  shots: number;
  /** Q: query examples per class. Default 15 (shots + queries ≤ 20 images per character). */
  queries: number;
  /** Rotated copies are classes of their own (×4 classes). Default true. */
  rotations: boolean;
}

/** 5-way 1-shot with 15 queries per class and rotated classes. */
export const DEFAULT_TASK_CONFIG: OmniglotTaskConfig = { ways: 5, shots: 1, queries: 15, rotations: true };

/** `k` distinct integers from [0, n) in random order (partial Fisher–Yates over a sparse map). */
function sampleDistinct(n: number, k: number, rng: Rng): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(vj);
  }
  return out;
}

function checkTaskConfig(c: OmniglotTaskConfig): void {
  for (const k of ['ways', 'shots'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new OmniglotError(`${k} must be a positive integer, got ${c[k]}`);
  }
  if (!Number.isInteger(c.queries) || c.queries < 0) throw new OmniglotError(`queries must be a non-negative integer, got ${c.queries}`);
}

/**
 * `n` tasks over the characters `characters` (one split) drawn from `rng`: N distinct classes
 * (characters × rotations if `config.rotations`), in random label order, and for each class
 * K + Q distinct images (K support, Q query).
 */
export function sampleOmniglotTasks(
  dataset: OmniglotDataset,
  split: OmniglotSplit,
  characters: readonly number[],
  n: number,
  rng: Rng,
  config: OmniglotTaskConfig = DEFAULT_TASK_CONFIG,
): OmniglotTask[] {
  if (!Number.isInteger(n) || n < 0) throw new OmniglotError(`sampleTasks: n must be a non-negative integer, got ${n}`);
  checkTaskConfig(config);
  const { ways, shots, queries } = config;
  const perChar = config.rotations ? ROTATIONS.length : 1;
  const numClasses = characters.length * perChar;
  if (ways > numClasses) {
    throw new OmniglotDataFault(`${ways}-way tasks need ${ways} classes, split ${split} has ${numClasses}`);
  }
  const tasks: OmniglotTask[] = [];
  for (let t = 0; t < n; t++) {
    const classes: OmniglotClass[] = [];
    const support: number[][] = [];
    const query: number[][] = [];
    for (const k of sampleDistinct(numClasses, ways, rng)) {
      const character = characters[Math.floor(k / perChar)]!;
      const rotation = ROTATIONS[k % perChar]!;
      const m = dataset.numImages(character);
      if (shots + queries > m) {
        throw new OmniglotDataFault(`shots + queries = ${shots + queries} exceeds the ${m} images of character ${dataset.characterName(character)}`);
      }
      const idx = sampleDistinct(m, shots + queries, rng);
      classes.push({ character, rotation });
      support.push(idx.slice(0, shots));
      query.push(idx.slice(shots));
    }
    tasks.push({ split, classes, support, query });
  }
  return tasks;
}

/** Checks a task's structure (e.g. one read back from JSON); throws {@link OmniglotError}. */
export function validateTask(dataset: OmniglotDataset, task: OmniglotTask): void {
  const bad = (what: string): never => {
    throw new OmniglotError(`invalid Omniglot task: ${what}: ${JSON.stringify(task).slice(0, 200)}`);
  };
  if (task == null || typeof task !== 'object') bad('not an object');
  if (!SPLITS.includes(task.split)) bad(`split ${JSON.stringify(task.split)}`);
  const { classes, support, query } = task;
  if (!Array.isArray(classes) || classes.length === 0) bad('classes must be a non-empty array');
  if (!Array.isArray(support) || support.length !== classes.length) bad('support must have one list per class');
  if (!Array.isArray(query) || query.length !== classes.length) bad('query must have one list per class');
  const seen = new Set<string>();
  classes.forEach((c, i) => {
    if (!Number.isInteger(c?.character) || c.character < 0 || c.character >= dataset.numCharacters) bad(`class ${i} character`);
    if (!(ROTATIONS as readonly number[]).includes(c.rotation)) bad(`class ${i} rotation`);
    const key = `${c.character}/${c.rotation}`;
    if (seen.has(key)) bad(`class ${key} appears twice`);
    seen.add(key);
    const m = dataset.numImages(c.character);
    const s = support[i]!;
    const q = query[i]!;
    if (!Array.isArray(s) || !Array.isArray(q)) bad(`support/query of class ${i}`);
    if (s.length !== support[0]!.length || q.length !== query[0]!.length) bad('every class needs the same number of examples');
    for (const v of [...s, ...q]) if (!Number.isInteger(v) || v < 0 || v >= m) bad(`image index ${v} of class ${i}`);
  });
}

function batch(dataset: OmniglotDataset, task: OmniglotTask, which: 'support' | 'query'): LabelledImages {
  const lists = task[which];
  const n = lists.reduce((a, l) => a + l.length, 0);
  const x = new Float32Array(n * dataset.pixels);
  const y = new Int32Array(n);
  let row = 0;
  task.classes.forEach((c, label) => {
    for (const index of lists[label]!) {
      dataset.writeImage(c.character, c.rotation, index, x, row * dataset.pixels);
      y[row++] = label;
    }
  });
  return { x, y, n };
}

/** A task's support set: `x [N·K, size²]`, `y [N·K]` (labels 0…N−1, class-major). */
export function supportBatch(dataset: OmniglotDataset, task: OmniglotTask): LabelledImages {
  return batch(dataset, task, 'support');
}

/** A task's query set: `x [N·Q, size²]`, `y [N·Q]` (class-major). */
export function queryBatch(dataset: OmniglotDataset, task: OmniglotTask): LabelledImages {
  return batch(dataset, task, 'query');
}

// ---------------------------------------------------------------------------------------------
// The horizon-1 MetaEnv

/** Configuration of {@link OmniglotEnv}. */
export interface OmniglotEnvConfig extends OmniglotTaskConfig {
  /** Split that `sampleTasks` draws from unless told otherwise. Default 'train'. */
  split: OmniglotSplit;
  /** Characters per split. Default {@link defaultSplitSizes} (664/100/200 for 964). */
  splitSizes?: SplitSizes;
  /**
   * Seed of the character split, separate from the training seed so every run shares one
   * test set. Default 0 (stream `createRng(splitSeed).fork('omniglot-split')`).
   */
  splitSeed: number;
}

/** {@link DEFAULT_TASK_CONFIG} on the train split, split seed 0. */
export const DEFAULT_OMNIGLOT_ENV_CONFIG: OmniglotEnvConfig = { ...DEFAULT_TASK_CONFIG, split: 'train', splitSeed: 0 };

/**
 * N-way K-shot Omniglot as a horizon-1 {@link MetaEnv} (a supervised task as a horizon-1 MDP): one episode is one labelled image of the current task.
 *
 * - Observation: the image, flattened (`size²` values in [0, 1], ink = 1).
 * - Action: N class logits (any real numbers).
 * - Reward: log softmax(action)[label] = −cross-entropy (≤ 0; 0 only for a certain, right answer).
 *   {@link OmniglotEnv.lastCorrect} tells whether the arg-max was right (0/1 accuracy).
 * - Every episode terminates after one step (never truncated; `maxEpisodeSteps` = 1).
 * - Which examples episodes draw from is {@link OmniglotEnv.phase}: `'support'` (default; the
 *   inner-loop "train" episodes) or `'query'` (validation episodes). `reset({ seed })` picks an
 *   example of that set uniformly with the seed; `reset()` without a seed walks through the set
 *   in order.
 *
 * The supervised learners do not step through episodes: they take whole batches with
 * {@link OmniglotEnv.supportBatch} / {@link OmniglotEnv.queryBatch} — the task's fixed,
 * disjoint support and query sets (the N-way K-shot protocol). {@link OmniglotEnv.sampleBatch}
 * (the generic {@link SupervisedMetaEnv} call) draws a fresh sample of the task's classes
 * instead, which two calls do not keep disjoint: do not use it for a support/query pair.
 */
export class OmniglotEnv implements SupervisedMetaEnv<OmniglotTask> {
  readonly id: string = 'Omniglot-v0';
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly maxEpisodeSteps = 1;
  readonly loss = 'cross-entropy' as const;
  /** `[size, size, 1]` (NHWC, one channel). */
  readonly inputShape: readonly number[];
  /** N (= `config.ways`) logits. */
  readonly outputDim: number;
  readonly config: OmniglotEnvConfig;
  /** Characters of each split. */
  readonly splits: CharacterSplits;
  /** Which set of the current task episodes come from. */
  phase: 'support' | 'query' = 'support';
  /** After a step: whether the arg-max of the action was the label. */
  lastCorrect = false;

  private task: OmniglotTask | null = null;
  private batches: { support: LabelledImages; query: LabelledImages } | null = null;
  private cursor = 0;
  private current = -1;
  readonly dataset: OmniglotDataset;

  /**
   * @param dataset the images (`loadOmniglot`, or `OmniglotDataset.fromArrays`).
   * @param config ways, shots, queries, split, split seed and sizes, rotations; what is not given
   *   comes from {@link DEFAULT_OMNIGLOT_ENV_CONFIG} (5-way 1-shot, 15 queries, the training split).
   * @throws OmniglotError for a bad count, split size or an unknown split; OmniglotDataFault when
   *   the split sizes need more characters than the dataset has (too few images or classes for a
   *   task are found when tasks are drawn).
   */
  constructor(
    dataset: OmniglotDataset,
    config: Partial<OmniglotEnvConfig> = {},
  ) {
    this.dataset = dataset;
    this.config = { ...DEFAULT_OMNIGLOT_ENV_CONFIG, ...config };
    checkTaskConfig(this.config);
    if (!SPLITS.includes(this.config.split)) throw new OmniglotError(`split must be one of ${SPLITS.join('/')}, got ${this.config.split}`);
    this.splits = splitCharacters(
      dataset.numCharacters,
      createRng(this.config.splitSeed).fork('omniglot-split'),
      this.config.splitSizes ?? defaultSplitSizes(dataset.numCharacters),
    );
    const p = dataset.pixels;
    const n = this.config.ways;
    this.inputShape = [dataset.size, dataset.size, 1];
    this.outputDim = n;
    this.observationSpace = { shape: [p], low: new Float32Array(p), high: new Float32Array(p).fill(1) };
    this.actionSpace = { shape: [n], low: new Float32Array(n).fill(-Infinity), high: new Float32Array(n).fill(Infinity) };
  }

  /** `n` tasks of `split` (default `config.split`) drawn with `rng`. */
  sampleTasks(n: number, rng: Rng, split: OmniglotSplit = this.config.split): OmniglotTask[] {
    const chars = this.splits[split];
    if (chars === undefined) throw new OmniglotError(`split must be one of ${SPLITS.join('/')}, got ${split}`);
    return sampleOmniglotTasks(this.dataset, split, chars, n, rng, this.config);
  }

  setTask(task: OmniglotTask): void {
    validateTask(this.dataset, task);
    if (task.classes.length !== this.config.ways) {
      throw new OmniglotError(`this env is ${this.config.ways}-way, the task has ${task.classes.length} classes`);
    }
    this.task = JSON.parse(JSON.stringify(task)) as OmniglotTask;
    this.batches = null;
    this.cursor = 0;
    this.current = -1;
  }

  getTask(): OmniglotTask {
    return JSON.parse(JSON.stringify(this.requireTask())) as OmniglotTask;
  }

  /** The task's support set (default: the current task). */
  supportBatch(task: OmniglotTask = this.requireTask()): LabelledImages {
    return supportBatch(this.dataset, task);
  }

  /** The task's query set (default: the current task). */
  queryBatch(task: OmniglotTask = this.requireTask()): LabelledImages {
    return queryBatch(this.dataset, task);
  }

  /**
   * `count` examples per class of `task`, drawn with `rng` without replacement from all images
   * of each class (ignoring the task's support/query lists), class-major. Two calls are not
   * disjoint: for the N-way K-shot protocol use {@link supportBatch} and {@link queryBatch}.
   */
  sampleBatch(task: OmniglotTask, count: number, rng: Rng): LabelledBatch {
    validateTask(this.dataset, task);
    if (!Number.isInteger(count) || count < 0) throw new OmniglotError(`sampleBatch: count must be a non-negative integer, got ${count}`);
    const lists = task.classes.map((c) => {
      const m = this.dataset.numImages(c.character);
      if (count > m) throw new OmniglotDataFault(`sampleBatch: count ${count} exceeds the ${m} images of character ${this.dataset.characterName(c.character)}`);
      return sampleDistinct(m, count, rng);
    });
    return batch(this.dataset, { ...task, support: lists }, 'support');
  }

  reset(opts: { seed?: number } = {}): { obs: Float32Array } {
    const set = this.currentSet();
    if (set.n === 0) throw new OmniglotError(`the task's ${this.phase} set is empty`);
    if (opts.seed !== undefined) this.current = createRng(opts.seed).fork('omniglot-reset').int(set.n);
    else this.current = this.cursor++ % set.n;
    return { obs: this.observation(set, this.current) };
  }

  step(action: Float32Array): StepResult {
    if (this.current < 0) throw new Error('Omniglot-v0: step() called after the episode ended; call reset()');
    const n = this.config.ways;
    if (action.length !== n) throw new RangeError(`Omniglot-v0: action must be ${n} logits, got length ${action.length}`);
    let max = -Infinity;
    let arg = 0;
    for (let i = 0; i < n; i++) {
      const a = action[i]!;
      if (!Number.isFinite(a)) throw new RangeError(`Omniglot-v0: logit ${i} is not finite: ${a}`);
      if (a > max) [max, arg] = [a, i];
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(action[i]! - max);
    const set = this.currentSet();
    const label = set.y[this.current]!;
    const reward = action[label]! - max - Math.log(sum);
    this.lastCorrect = arg === label;
    const obs = this.observation(set, this.current);
    this.current = -1;
    return { obs, reward, terminated: true, truncated: false };
  }

  private requireTask(): OmniglotTask {
    if (this.task === null) throw new OmniglotError('Omniglot-v0: no task set; call setTask() first');
    return this.task;
  }

  private currentSet(): LabelledImages {
    const task = this.requireTask();
    this.batches ??= { support: supportBatch(this.dataset, task), query: queryBatch(this.dataset, task) };
    return this.batches[this.phase];
  }

  private observation(set: LabelledImages, i: number): Float32Array {
    const p = this.dataset.pixels;
    return set.x.slice(i * p, (i + 1) * p);
  }
}

// ---------------------------------------------------------------------------------------------
// The official one-shot benchmark

/** One run of the one-shot benchmark: N training images (label = class index) and N test images. */
export interface OneShotRun {
  /** e.g. `run01`. */
  name: string;
  /** One image per class, `y[i] = i` (class XX ↔ label XX − 1). */
  support: LabelledImages;
  /** The test items in file order; `y` = the right class. */
  query: LabelledImages;
}

/** Predicts a label in [0, support.n) for each query image. May be async (tfjs reads). */
export type OneShotClassifier = (support: LabelledImages, query: Images) => ArrayLike<number> | Promise<ArrayLike<number>>;

/** Error rates of {@link evaluateOneShotRuns}. */
export interface OneShotResult {
  /** Wrong predictions / queries over all runs (the benchmark's score; people: 4.5 %). */
  errorRate: number;
  errors: number;
  total: number;
  perRun: { name: string; errors: number; total: number }[];
}

/**
 * Scores `classify` on the runs of the one-shot benchmark (Lake et al. 2015): the classifier
 * sees each run's labelled training images and its unlabelled test images, and the result is
 * the error rate over all test images (400 for the official 20 runs × 20 items).
 */
export async function evaluateOneShotRuns(runs: readonly OneShotRun[], classify: OneShotClassifier): Promise<OneShotResult> {
  let errors = 0;
  let total = 0;
  const perRun: OneShotResult['perRun'] = [];
  for (const run of runs) {
    const pred = await classify(
      { x: run.support.x.slice(), y: run.support.y.slice(), n: run.support.n },
      { x: run.query.x.slice(), n: run.query.n },
    );
    if (pred.length !== run.query.n) {
      throw new OmniglotError(`classifier returned ${pred.length} predictions for the ${run.query.n} test images of ${run.name}`);
    }
    let e = 0;
    for (let i = 0; i < run.query.n; i++) if (pred[i] !== run.query.y[i]) e++;
    perRun.push({ name: run.name, errors: e, total: run.query.n });
    errors += e;
    total += run.query.n;
  }
  return { errorRate: total === 0 ? NaN : errors / total, errors, total, perRun };
}

/**
 * Baseline classifier: the label of the support image nearest in Euclidean pixel distance
 * (ties → lowest index). Works on any {@link LabelledImages}/{@link Images} pair.
 */
export function pixelNearestNeighbour(support: LabelledImages, query: Images): Int32Array {
  const p = support.x.length / support.n;
  const out = new Int32Array(query.n);
  for (let q = 0; q < query.n; q++) {
    let best = Infinity;
    for (let s = 0; s < support.n; s++) {
      let d = 0;
      for (let i = 0; i < p; i++) {
        const diff = query.x[q * p + i]! - support.x[s * p + i]!;
        d += diff * diff;
      }
      if (d < best) {
        best = d;
        out[q] = support.y[s]!;
      }
    }
  }
  return out;
}
