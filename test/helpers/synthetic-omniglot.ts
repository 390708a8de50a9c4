/**
 * A small synthetic Omniglot in the real files' formats, generated at test time (tests must
 * pass on a fresh clone without ../shared): 105 × 105 1-bit grayscale PNGs, black strokes on
 * white, in the shared layout (`images_background/characterNNNN/NNNN_DD.png`), the official
 * nested layout (`images_background/<Alphabet>/characterNN/NNNN_DD.png`), as folders or zips,
 * plus a one-shot-runs archive (`runNN/{training/classXX.png,test/itemXX.png,class_labels.txt}`).
 *
 * Each character is a few thick random strokes (seeded by the character id); each drawer
 * shifts them by up to ±`jitter` pixels, so nearest neighbour on pixels is nearly perfect and
 * the rotations of a character differ from it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { zipSync, zlibSync } from 'fflate';
import { createRng, type Rng } from '../../src/rng.ts';

export const SIDE = 105;

// --- a minimal PNG encoder (1-bit grayscale), using every scanline filter type ----------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes a grayscale image as a PNG of `bitDepth` 1, 2, 4 or 8 bits; `values[y·w + x]` in
 * [0, 2^bitDepth − 1] (for 1 bit: 1 = white, 0 = black). Row y uses filter type `y mod 5`, so
 * every unfiltering path of a decoder is exercised.
 */
export function encodeGrayPng(values: Uint8Array, width: number, height: number, bitDepth: 1 | 2 | 4 | 8 = 1): Uint8Array {
  const stride = Math.ceil((width * bitDepth) / 8);
  const rawRows: Uint8Array[] = [];
  for (let y = 0; y < height; y++) {
    const row = new Uint8Array(stride);
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x]!;
      const bit = x * bitDepth;
      row[bit >> 3] |= v << (8 - bitDepth - (bit & 7));
    }
    rawRows.push(row);
  }
  const filtered = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const f = y % 5;
    const cur = rawRows[y]!;
    const prev = y > 0 ? rawRows[y - 1]! : new Uint8Array(stride);
    filtered[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const a = i > 0 ? cur[i - 1]! : 0;
      const b = prev[i]!;
      const c = i > 0 ? prev[i - 1]! : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      filtered[y * (stride + 1) + 1 + i] = (cur[i]! - pred) & 255;
    }
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = 0; // grayscale
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibSync(filtered)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// --- glyphs ----------------------------------------------------------------------------------

interface Stroke {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function strokesOf(rng: Rng): Stroke[] {
  const n = 2 + rng.int(3);
  const strokes: Stroke[] = [];
  for (let i = 0; i < n; i++) {
    strokes.push({ x0: 15 + rng.int(75), y0: 15 + rng.int(75), x1: 15 + rng.int(75), y1: 15 + rng.int(75) });
  }
  return strokes;
}

/**
 * A 1-bit glyph, `[SIDE·SIDE]` with 1 = white background, 0 = black ink: the strokes of
 * character `key` (thickness 7), shifted by the drawer's jitter.
 */
export function glyph(key: string, drawer: number, jitter = 2): Uint8Array {
  const strokes = strokesOf(createRng(1).fork('glyph', key));
  const j = createRng(1).fork('drawer', key, drawer);
  const dx = j.int(2 * jitter + 1) - jitter;
  const dy = j.int(2 * jitter + 1) - jitter;
  const img = new Uint8Array(SIDE * SIDE).fill(1);
  const r2 = 3.5 * 3.5;
  for (const s of strokes) {
    const len = Math.hypot(s.x1 - s.x0, s.y1 - s.y0);
    const steps = Math.max(1, Math.ceil(len));
    for (let t = 0; t <= steps; t++) {
      const cx = s.x0 + ((s.x1 - s.x0) * t) / steps + dx;
      const cy = s.y0 + ((s.y1 - s.y0) * t) / steps + dy;
      for (let y = Math.floor(cy - 4); y <= Math.ceil(cy + 4); y++) {
        for (let x = Math.floor(cx - 4); x <= Math.ceil(cx + 4); x++) {
          if (x >= 0 && y >= 0 && x < SIDE && y < SIDE && (x - cx) ** 2 + (y - cy) ** 2 <= r2) img[y * SIDE + x] = 0;
        }
      }
    }
  }
  return img;
}

// --- data sets -------------------------------------------------------------------------------

export interface SyntheticOptions {
  /** Characters. Default 12. */
  characters?: number;
  /** Images per character. Default 20. */
  drawers?: number;
  /** `flat`: images_background/characterNNNN/…; `alphabets`: images_background/<Alphabet>/characterNN/… */
  layout?: 'flat' | 'alphabets';
  /** Characters per alphabet in the nested layout. Default 5. */
  perAlphabet?: number;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/**
 * The files of a synthetic background set: relative path → PNG bytes. Character c (0-based,
 * in sorted folder order in both layouts) is drawn from key `char<c>`.
 */
export function syntheticOmniglotFiles(opts: SyntheticOptions = {}): Record<string, Uint8Array> {
  const nChars = opts.characters ?? 12;
  const drawers = opts.drawers ?? 20;
  const per = opts.perAlphabet ?? 5;
  const files: Record<string, Uint8Array> = {};
  for (let c = 0; c < nChars; c++) {
    const id = pad(c + 1, 4);
    const folder =
      (opts.layout ?? 'flat') === 'flat'
        ? `images_background/character${id}`
        : `images_background/Alphabet_${String.fromCharCode(65 + Math.floor(c / per))}/character${pad((c % per) + 1, 2)}`;
    for (let d = 0; d < drawers; d++) {
      files[`${folder}/${id}_${pad(d + 1, 2)}.png`] = encodeGrayPng(glyph(`char${c}`, d), SIDE, SIDE, 1);
    }
  }
  return files;
}

/** Writes `files` under `root` (creating folders). */
export function writeFiles(root: string, files: Record<string, Uint8Array>): void {
  for (const [path, bytes] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, bytes);
  }
}

/** A zip of `files` with folder entries and stored (uncompressed) members, like the real archives. */
export function zipFiles(files: Record<string, Uint8Array>): Uint8Array {
  const tree: Record<string, Uint8Array> = {};
  for (const path of Object.keys(files)) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) tree[parts.slice(0, i).join('/') + '/'] = new Uint8Array(0);
  }
  for (const [path, bytes] of Object.entries(files)) tree[path] = bytes;
  return zipSync(
    Object.fromEntries(Object.entries(tree).map(([p, b]) => [p, [b, { level: 0 }]])) as Parameters<typeof zipSync>[0],
  );
}

/** One synthetic run's ground truth: `answers[i]` = 0-based class of test item i. */
export interface SyntheticRun {
  name: string;
  answers: number[];
}

/**
 * Synthetic one-shot runs in the official layout: `runs` runs of `ways` classes, training
 * image = drawer 0 of each class's character, test items = drawer 1 of a random permutation of
 * the classes. Returns the files and the answers.
 */
export function syntheticOneShotRuns(runs = 3, ways = 5): { files: Record<string, Uint8Array>; truth: SyntheticRun[] } {
  const files: Record<string, Uint8Array> = {};
  const truth: SyntheticRun[] = [];
  for (let r = 0; r < runs; r++) {
    const name = `run${pad(r + 1, 2)}`;
    const perm = Array.from(createRng(5).fork('runs', r).permutation(ways));
    const lines: string[] = [];
    for (let c = 0; c < ways; c++) {
      files[`${name}/training/class${pad(c + 1, 2)}.png`] = encodeGrayPng(glyph(`run${r}/${c}`, 0), SIDE, SIDE, 1);
    }
    perm.forEach((c, i) => {
      const item = `${name}/test/item${pad(i + 1, 2)}.png`;
      files[item] = encodeGrayPng(glyph(`run${r}/${c}`, 1), SIDE, SIDE, 1);
      lines.push(`${item} ${name}/training/class${pad(c + 1, 2)}.png`);
    });
    files[`${name}/class_labels.txt`] = new TextEncoder().encode(lines.join('\n') + '\n');
    truth.push({ name, answers: perm });
  }
  return { files, truth };
}
