// Omniglot loader, task sampler, horizon-1 env and one-shot benchmark: on a synthetic data set in
// the real layouts (always), and on a handful of real classes when ../shared/data/omniglot exists.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { areaResize, decodePngLuminance, ImageFolderError, listFiles } from '../../envs/image-folder.ts';
import {
  defaultSplitSizes,
  evaluateOneShotRuns,
  OmniglotDataset,
  OmniglotEnv,
  OmniglotError,
  type OmniglotTask,
  pixelNearestNeighbour,
  queryBatch,
  rotateImage,
  rotationMap,
  sampleOmniglotTasks,
  splitCharacters,
  supportBatch,
} from '../../envs/omniglot.ts';
import { decodeOmniglotImage, loadOmniglot, loadOneShotRuns } from '../../envs/omniglot-files.ts';
import { createRng } from '../../src/rng.ts';
import {
  encodeGrayPng,
  glyph,
  SIDE,
  syntheticOmniglotFiles,
  syntheticOneShotRuns,
  writeFiles,
  zipFiles,
} from '../helpers/synthetic-omniglot.ts';

const P = 28 * 28;
let tmp: string;
let flatDir: string;
let nestedDir: string;
let zipPath: string;
let zipBytes: Uint8Array;
let runsZip: string;
let runsTruth: ReturnType<typeof syntheticOneShotRuns>['truth'];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'metarl-omniglot-'));
  const flat = syntheticOmniglotFiles({ characters: 12 });
  flatDir = join(tmp, 'flat');
  writeFiles(flatDir, flat);
  nestedDir = join(tmp, 'nested');
  writeFiles(nestedDir, syntheticOmniglotFiles({ characters: 12, layout: 'alphabets', perAlphabet: 5 }));
  zipBytes = zipFiles(flat);
  zipPath = join(tmp, 'images_background.zip');
  writeFileSync(zipPath, zipBytes);
  const runs = syntheticOneShotRuns(3, 5);
  runsTruth = runs.truth;
  runsZip = join(tmp, 'one_shot_runs.zip');
  writeFileSync(runsZip, zipFiles(runs.files));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('PNG decoding and downsampling', () => {
  it('decodes 1/2/4/8-bit grayscale PNGs with every filter type exactly (fast path = pngjs)', () => {
    const w = 13;
    const h = 11;
    for (const depth of [1, 2, 4, 8] as const) {
      const max = (1 << depth) - 1;
      const values = Uint8Array.from({ length: w * h }, (_, i) => (i * 7 + (i >> 3)) % (max + 1));
      const png = encodeGrayPng(values, w, h, depth);
      const img = decodePngLuminance(png);
      expect([img.width, img.height]).toEqual([w, h]);
      expect(Array.from(img.data)).toEqual(Array.from(values, (v) => Math.fround(v / max)));
      const ref = PNG.sync.read(Buffer.from(png));
      for (let i = 0; i < w * h; i++) expect(img.data[i]).toBeCloseTo(ref.data[4 * i]! / 255, 6);
    }
  });

  it('reads colour/alpha PNGs through pngjs, composited over white', () => {
    const png = new PNG({ width: 2, height: 1 });
    png.data.set([0, 0, 0, 255, 0, 0, 0, 0]); // opaque black, fully transparent black
    const img = decodePngLuminance(PNG.sync.write(png));
    expect(Array.from(img.data)).toEqual([0, 1]);
    expect(() => decodePngLuminance(new Uint8Array([1, 2, 3]), 'x.png')).toThrow(ImageFolderError);
    expect(() => decodePngLuminance(new Uint8Array([1, 2, 3]), 'x.png')).toThrow(/not a PNG file: x\.png/);
  });

  it('area-average resize: exact fractional footprints, mass preserved', () => {
    // 105 → 28: output pixel j covers source [3.75 j, 3.75 (j+1)).
    const src = new Float32Array(SIDE * SIDE);
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < 4; x++) src[y * SIDE + x] = 1; // columns 0–3 set
    const out = areaResize(src, SIDE, SIDE, 28, 28);
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBeCloseTo(0.25 / 3.75, 6);
    expect(out[2]).toBe(0);
    expect(out[27 * 28]).toBeCloseTo(1, 6);
    const rnd = createRng(3);
    const noise = Float32Array.from({ length: SIDE * SIDE }, () => rnd.uniform());
    const small = areaResize(noise, SIDE, SIDE, 28, 28);
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(small)).toBeCloseTo(mean(noise), 5);
    expect(Array.from(areaResize(new Float32Array(12).fill(0.3), 4, 3, 2, 1))).toEqual([Math.fround(0.3), Math.fround(0.3)]);
  });

  it('Omniglot images: ink = 1, background = 0', () => {
    const g = glyph('char0', 0);
    const img = decodeOmniglotImage(encodeGrayPng(g, SIDE, SIDE, 1));
    expect(img.length).toBe(P);
    expect(img[0]).toBe(0); // corners are background
    expect(Math.max(...img)).toBe(1); // stroke interiors are solid ink
    const inkFraction = g.reduce((n, v) => n + (v === 0 ? 1 : 0), 0) / g.length;
    expect(img.reduce((s, v) => s + v, 0) / P).toBeCloseTo(inkFraction, 5);
  });
});

describe('loader', () => {
  it('reads the flat layout from a folder, a zip file and zip bytes identically, lazily', () => {
    const a = loadOmniglot(flatDir);
    const b = loadOmniglot(zipPath);
    const c = loadOmniglot(zipBytes);
    for (const ds of [a, b, c]) {
      expect(ds.numCharacters).toBe(12);
      expect(ds.numLoaded).toBe(0);
      expect(ds.numImages(0)).toBe(20);
    }
    expect(a.characterName(0)).toBe('images_background/character0001');
    expect(b.characterName(11)).toBe('images_background/character0012');
    for (const ch of [0, 5, 11]) {
      expect(b.images(ch)).toEqual(a.images(ch));
      expect(c.images(ch)).toEqual(a.images(ch));
    }
    expect(a.numLoaded).toBe(3);
    expect(a.images(3).length).toBe(20 * P);
    // Image d of character c is drawer d + 1 (files sorted by name).
    expect(a.images(3).subarray(7 * P, 8 * P)).toEqual(decodeOmniglotImage(encodeGrayPng(glyph('char3', 7), SIDE, SIDE, 1)));
  });

  it('reads the official nested layout (one class per folder holding PNGs)', () => {
    const flat = loadOmniglot(flatDir);
    const nested = loadOmniglot(nestedDir);
    expect(nested.numCharacters).toBe(12);
    expect(nested.characterName(0)).toBe('images_background/Alphabet_A/character01');
    expect(nested.characterName(5)).toBe('images_background/Alphabet_B/character01');
    for (let ch = 0; ch < 12; ch += 4) expect(nested.images(ch)).toEqual(flat.images(ch));
  });

  it('limitClasses, preload, size and errors', () => {
    const ds = loadOmniglot(zipPath, { limitClasses: 4, preload: true, size: 14 });
    expect(ds.numCharacters).toBe(4);
    expect(ds.numLoaded).toBe(4);
    expect(ds.images(0).length).toBe(20 * 14 * 14);
    expect(() => loadOmniglot(join(tmp, 'missing'))).toThrow(ImageFolderError);
    expect(() => loadOmniglot(new Uint8Array([1, 2, 3, 4]))).toThrow(/not a readable zip/);
    expect(() => loadOmniglot(tmp, { limitClasses: 0 })).toThrow(/limitClasses/);
    expect(() => ds.images(4)).toThrow(/character index/);
    expect(listFiles(zipPath).every((f) => !f.path.endsWith('/'))).toBe(true);
  });
});

describe('rotations', () => {
  it('rotationMap turns counter-clockwise like numpy rot90', () => {
    const img = Float32Array.from({ length: 9 }, (_, i) => i); // [[0,1,2],[3,4,5],[6,7,8]]
    expect(Array.from(rotateImage(img, 3, 90))).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
    expect(Array.from(rotateImage(img, 3, 180))).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(Array.from(rotateImage(img, 3, 270))).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2]);
    const once = rotateImage(img, 3, 90);
    expect(Array.from(rotateImage(rotateImage(rotateImage(once, 3, 90), 3, 90), 3, 90))).toEqual(Array.from(img));
    expect(() => rotationMap(3, 45)).toThrow(OmniglotError);
  });

  it('rotating the 28×28 image equals downsampling the rotated 105×105 original', () => {
    const g = glyph('char2', 4);
    const rotated = rotateImage(Float32Array.from(g), SIDE, 90);
    const a = decodeOmniglotImage(encodeGrayPng(Uint8Array.from(rotated), SIDE, SIDE, 1));
    const b = rotateImage(decodeOmniglotImage(encodeGrayPng(g, SIDE, SIDE, 1)), 28, 90);
    for (let i = 0; i < P; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
    const ds = loadOmniglot(zipPath, { limitClasses: 3 });
    const out = new Float32Array(P);
    ds.writeImage(2, 270, 4, out);
    expect(out).toEqual(rotateImage(ds.images(2).slice(4 * P, 5 * P), 28, 270));
    expect(out).not.toEqual(ds.images(2).slice(4 * P, 5 * P));
  });
});

describe('splits', () => {
  it('defaults to 664/100/200 of the 964 background characters', () => {
    expect(defaultSplitSizes(964)).toEqual({ train: 664, validation: 100, test: 200 });
    const s = defaultSplitSizes(12);
    expect(s.train + s.validation + s.test).toBe(12);
  });

  it('disjoint, complete, reproducible from the seed, different for another seed', () => {
    const a = splitCharacters(964, createRng(0).fork('omniglot-split'));
    const b = splitCharacters(964, createRng(0).fork('omniglot-split'));
    const c = splitCharacters(964, createRng(1).fork('omniglot-split'));
    expect(a).toEqual(b);
    expect(a.test).not.toEqual(c.test);
    expect([a.train.length, a.validation.length, a.test.length]).toEqual([664, 100, 200]);
    const all = [...a.train, ...a.validation, ...a.test];
    expect(new Set(all).size).toBe(964);
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(963);
    const partial = splitCharacters(20, createRng(2), { train: 10, validation: 3, test: 2 });
    expect(new Set([...partial.train, ...partial.validation, ...partial.test]).size).toBe(15);
    expect(() => splitCharacters(20, createRng(2), { train: 15, validation: 5, test: 1 })).toThrow(/need 21 characters/);
  });

  it('tasks of a split only use its characters, at all four rotations', () => {
    const ds = loadOmniglot(zipPath);
    const env = new OmniglotEnv(ds, { splitSizes: { train: 6, validation: 3, test: 3 }, ways: 3, shots: 1, queries: 2 });
    for (const split of ['train', 'validation', 'test'] as const) {
      const tasks = env.sampleTasks(40, createRng(4).fork(split), split);
      const used = new Set(tasks.flatMap((t) => t.classes.map((c) => c.character)));
      for (const ch of used) expect(env.splits[split]).toContain(ch);
      const rotations = new Set(tasks.flatMap((t) => t.classes.map((c) => c.rotation)));
      expect([...rotations].sort((x, y) => x - y)).toEqual([0, 90, 180, 270]);
      expect(tasks.every((t) => t.split === split)).toBe(true);
    }
  });
});

describe('N-way K-shot tasks', () => {
  let ds: OmniglotDataset;
  beforeAll(() => {
    ds = loadOmniglot(zipPath);
  });

  it('shapes, class-major labels, distinct classes, disjoint support and query', () => {
    const chars = Array.from({ length: 12 }, (_, i) => i);
    const tasks = sampleOmniglotTasks(ds, 'train', chars, 20, createRng(1), { ways: 5, shots: 2, queries: 3, rotations: true });
    for (const t of tasks) {
      expect(t.classes.length).toBe(5);
      expect(new Set(t.classes.map((c) => `${c.character}/${c.rotation}`)).size).toBe(5);
      t.support.forEach((s, i) => {
        expect(s.length).toBe(2);
        expect(t.query[i]!.length).toBe(3);
        expect(new Set([...s, ...t.query[i]!]).size).toBe(5);
      });
      const sup = supportBatch(ds, t);
      const qry = queryBatch(ds, t);
      expect([sup.n, sup.x.length, sup.y.length]).toEqual([10, 10 * P, 10]);
      expect([qry.n, qry.x.length]).toEqual([15, 15 * P]);
      expect(Array.from(sup.y)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
      expect(Array.from(qry.y)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
      // Row 3 of the support set = class 1's second support image, rotated.
      const c = t.classes[1]!;
      const want = rotateImage(ds.images(c.character).slice(t.support[1]![1]! * P, (t.support[1]![1]! + 1) * P), 28, c.rotation);
      expect(sup.x.subarray(3 * P, 4 * P)).toEqual(want);
    }
    // Labels are shuffled per task: the label order is not the order of the class ids.
    const sorted = tasks.filter((t) => t.classes.every((c, i) => i === 0 || t.classes[i - 1]!.character * 4 + t.classes[i - 1]!.rotation < c.character * 4 + c.rotation));
    expect(sorted.length).toBeLessThan(3);
  });

  it('tasks are plain JSON, reproducible from the rng, and replay to the same batches', () => {
    const env = new OmniglotEnv(ds, { ways: 4, shots: 1, queries: 5, splitSizes: { train: 8, validation: 2, test: 2 } });
    const tasks = env.sampleTasks(3, createRng(7).fork('tasks', 0));
    expect(env.sampleTasks(3, createRng(7).fork('tasks', 0))).toEqual(tasks);
    expect(env.sampleTasks(3, createRng(7).fork('tasks', 1))).not.toEqual(tasks);
    for (const t of tasks) {
      const json = JSON.parse(JSON.stringify(t)) as OmniglotTask;
      expect(json).toEqual(t);
      expect(env.supportBatch(json)).toEqual(env.supportBatch(t));
      expect(env.queryBatch(json)).toEqual(env.queryBatch(t));
      env.setTask(json);
      expect(env.getTask()).toEqual(t);
    }
  });

  it('rejects impossible configurations and malformed tasks with the offending value', () => {
    const env = new OmniglotEnv(ds, { ways: 3, shots: 1, queries: 2, splitSizes: { train: 6, validation: 3, test: 3 } });
    expect(() => env.sampleTasks(1, createRng(1), 'validation')).not.toThrow();
    expect(() => new OmniglotEnv(ds, { ways: 30, splitSizes: { train: 6, validation: 3, test: 3 } }).sampleTasks(1, createRng(1))).toThrow(
      /30-way tasks need 30 classes, split train has 24/,
    );
    expect(() => new OmniglotEnv(ds, { shots: 10, queries: 11 }).sampleTasks(1, createRng(1))).toThrow(/21 exceeds the 20 images/);
    expect(() => new OmniglotEnv(ds, { ways: 0 })).toThrow(/ways must be a positive integer, got 0/);
    const [t] = env.sampleTasks(1, createRng(1));
    expect(() => env.setTask({ ...t!, split: 'nope' as 'train' })).toThrow(/split "nope"/);
    expect(() => env.setTask({ ...t!, classes: [t!.classes[0]!, t!.classes[0]!, t!.classes[1]!] })).toThrow(/appears twice/);
    expect(() => env.setTask({ ...t!, query: [[99, 0], [0, 1], [0, 1]] })).toThrow(/image index 99/);
  });
});

describe('OmniglotEnv (horizon-1 MetaEnv)', () => {
  it('one labelled image per episode, reward = −cross-entropy, terminated after one step', () => {
    const ds = loadOmniglot(zipPath);
    const env = new OmniglotEnv(ds, { ways: 3, shots: 2, queries: 4, splitSizes: { train: 6, validation: 3, test: 3 } });
    expect(env.observationSpace.shape).toEqual([P]);
    expect(env.actionSpace.shape).toEqual([3]);
    expect(env.maxEpisodeSteps).toBe(1);
    expect(() => env.reset()).toThrow(/no task set/);
    const [task] = env.sampleTasks(1, createRng(3));
    env.setTask(task!);
    const sup = env.supportBatch();
    // reset() walks through the support set in order.
    for (let i = 0; i < sup.n; i++) {
      const { obs } = env.reset();
      expect(obs).toEqual(sup.x.slice(i * P, (i + 1) * P));
      const logits = Float32Array.of(0.5, -1, 2);
      const r = env.step(logits);
      const lse = Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2));
      expect(r.reward).toBeCloseTo(logits[sup.y[i]!]! - lse, 6);
      expect(r.terminated).toBe(true);
      expect(r.truncated).toBe(false);
      expect(env.lastCorrect).toBe(sup.y[i] === 2);
      expect(() => env.step(logits)).toThrow(/after the episode ended/);
    }
    // Seeded resets are reproducible; the query phase serves query images.
    env.phase = 'query';
    const qry = env.queryBatch();
    const a = env.reset({ seed: 5 }).obs;
    expect(env.reset({ seed: 5 }).obs).toEqual(a);
    const rows = Array.from({ length: qry.n }, (_, i) => qry.x.slice(i * P, (i + 1) * P));
    expect(rows.some((r) => r.every((v, k) => v === a[k]))).toBe(true);
    expect(() => env.step(Float32Array.of(1, 2))).toThrow(/3 logits/);
    env.reset();
    expect(() => env.step(Float32Array.of(1, NaN, 2))).toThrow(/not finite/);
    expect(() => env.setTask({ ...task!, classes: task!.classes.slice(0, 2), support: task!.support.slice(0, 2), query: task!.query.slice(0, 2) })).toThrow(
      /3-way, the task has 2 classes/,
    );
  });
});

describe('OmniglotEnv as a SupervisedMetaEnv', () => {
  it('declares cross-entropy, [28, 28, 1] inputs, N outputs; sampleBatch draws count examples per class', () => {
    const ds = loadOmniglot(zipPath);
    const env = new OmniglotEnv(ds, { ways: 4, shots: 1, queries: 3, splitSizes: { train: 8, validation: 2, test: 2 } });
    expect(env.loss).toBe('cross-entropy');
    expect(env.inputShape).toEqual([28, 28, 1]);
    expect(env.outputDim).toBe(4);
    const [task] = env.sampleTasks(1, createRng(2));
    const b = env.sampleBatch(task!, 6, createRng(3));
    expect([b.n, b.x.length]).toEqual([24, 24 * P]);
    expect(Array.from(b.y)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]);
    expect(env.sampleBatch(task!, 6, createRng(3))).toEqual(b);
    // Every row is one of its class's (rotated) images, drawn without replacement (synthetic
    // drawers can coincide, so count rows per distinct image against its multiplicity).
    task!.classes.forEach((c, label) => {
      const all = Array.from({ length: 20 }, (_, i) => rotateImage(ds.images(c.character).slice(i * P, (i + 1) * P), 28, c.rotation));
      const first = (im: Float32Array): number => all.findIndex((a) => a.every((v, k) => v === im[k]));
      const rows = new Map<number, number>();
      for (let r = 0; r < 6; r++) {
        const i = first(b.x.slice((label * 6 + r) * P, (label * 6 + r + 1) * P));
        expect(i).toBeGreaterThanOrEqual(0);
        rows.set(i, (rows.get(i) ?? 0) + 1);
      }
      for (const [i, n] of rows) expect(n).toBeLessThanOrEqual(all.filter((a) => first(a) === i).length);
    });
    expect(() => env.sampleBatch(task!, 21, createRng(3))).toThrow(/count 21 exceeds the 20 images/);
  });
});

describe('one-shot runs', () => {
  it('loads runs from a zip and a folder: one training image per class, test items with their classes', () => {
    const runs = loadOneShotRuns(runsZip);
    const dir = join(tmp, 'runs');
    writeFiles(dir, syntheticOneShotRuns(3, 5).files);
    expect(loadOneShotRuns(dir)).toEqual(runs);
    expect(runs.map((r) => r.name)).toEqual(['run01', 'run02', 'run03']);
    for (const [i, r] of runs.entries()) {
      expect([r.support.n, r.query.n, r.support.x.length]).toEqual([5, 5, 5 * P]);
      expect(Array.from(r.support.y)).toEqual([0, 1, 2, 3, 4]);
      expect(Array.from(r.query.y)).toEqual(runsTruth[i]!.answers);
    }
    expect(() => loadOneShotRuns(zipPath)).toThrow(/class_labels\.txt/);
  });

  it('evaluateOneShotRuns scores a classifier by its error rate over all test items', async () => {
    const runs = loadOneShotRuns(runsZip);
    const nn = await evaluateOneShotRuns(runs, pixelNearestNeighbour);
    expect(nn.total).toBe(15);
    expect(nn.errorRate).toBeLessThanOrEqual(0.2); // distinct synthetic glyphs, ±2 px jitter
    const zeros = await evaluateOneShotRuns(runs, (_s, q) => new Int32Array(q.n));
    const wrong = runsTruth.reduce((n, r) => n + r.answers.filter((a) => a !== 0).length, 0);
    expect(zeros.errors).toBe(wrong);
    expect(zeros.errorRate).toBeCloseTo(wrong / 15, 12);
    expect(zeros.perRun.map((r) => r.total)).toEqual([5, 5, 5]);
    // The classifier never sees the answers.
    await evaluateOneShotRuns(runs, (_s, q) => {
      expect('y' in q).toBe(false);
      return new Int32Array(q.n);
    });
    await expect(evaluateOneShotRuns(runs, () => [0])).rejects.toThrow(/returned 1 predictions for the 5 test images of run01/);
    let call = 0;
    const oracle = await evaluateOneShotRuns(runs, async () => runs[call++]!.query.y); // runs are scored in order
    expect(oracle.errors).toBe(0);
  });
});

// --- real data -------------------------------------------------------------------------------

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const realDir = process.env.METARL_OMNIGLOT_DIR ?? join(repoRoot, '..', 'shared', 'data', 'omniglot');
const hasReal = existsSync(join(realDir, 'images_background.zip')) && existsSync(join(realDir, 'one_shot_runs.zip'));

describe.skipIf(!hasReal)('real Omniglot (../shared/data/omniglot)', () => {
  it('background set: a handful of characters, 20 images each, ink = 1', () => {
    const ds = loadOmniglot(join(realDir, 'images_background.zip'), { limitClasses: 20 });
    expect(ds.numCharacters).toBe(20);
    expect(ds.characterName(0)).toBe('images_background/character0001');
    let ink = 0;
    for (let c = 0; c < 20; c++) {
      expect(ds.numImages(c)).toBe(20);
      const im = ds.images(c);
      ink += im.reduce((s, v) => s + v, 0) / im.length;
      for (let i = 0; i < 20; i++) expect(im[i * P]).toBe(0); // top-left corner is background
    }
    ink /= 20;
    expect(ink).toBeGreaterThan(0.03);
    expect(ink).toBeLessThan(0.2);
    const env = new OmniglotEnv(ds, { ways: 5, shots: 1, queries: 15 });
    expect(env.splits.train.length + env.splits.validation.length + env.splits.test.length).toBe(20);
    const [t] = env.sampleTasks(1, createRng(1));
    expect(env.supportBatch(t).x.length).toBe(5 * P);
    expect(env.queryBatch(t).y.length).toBe(75);
  });

  it('the fast 1-bit decoder agrees with pngjs on real files', () => {
    const files = listFiles(join(realDir, 'images_background.zip'), (p) => p.endsWith('.png')).slice(0, 40);
    for (const f of files) {
      const img = decodePngLuminance(f.read());
      const ref = PNG.sync.read(Buffer.from(f.read()));
      expect([img.width, img.height]).toEqual([105, 105]);
      for (let i = 0; i < img.data.length; i++) if (img.data[i] !== ref.data[4 * i]! / 255) throw new Error(`${f.path} pixel ${i}`);
    }
  });

  it('official one-shot runs: 20 runs × 20 classes; pixel nearest neighbour scores ~70–80 % error', async () => {
    const runs = loadOneShotRuns(join(realDir, 'one_shot_runs.zip'));
    expect(runs.length).toBe(20);
    for (const r of runs) {
      expect([r.support.n, r.query.n]).toEqual([20, 20]);
      expect(new Set(r.query.y).size).toBe(20); // each class is asked once
    }
    expect(runs[0]!.query.y[0]).toBe(7); // run01/test/item01.png → run01/training/class08.png
    const res = await evaluateOneShotRuns(runs, pixelNearestNeighbour);
    console.log(`one-shot runs, pixel nearest neighbour (28×28): error ${(100 * res.errorRate).toFixed(2)} % (${res.errors}/${res.total})`);
    expect(res.total).toBe(400);
    expect(res.errorRate).toBeGreaterThan(0.6);
    expect(res.errorRate).toBeLessThan(0.9);
  });
});
