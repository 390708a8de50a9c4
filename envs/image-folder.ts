/**
 * Image folders on disk or in a zip: listing, PNG decoding and area-average resizing.
 * Node-only (node:fs, pngjs); used by the Omniglot loaders in ./omniglot-files.ts.
 *
 * - {@link listFiles}: every file of a directory tree or a zip archive (path or bytes), as
 *   `/`-separated paths relative to the root, sorted by code units, each read lazily.
 * - {@link groupByFolder}: one class per folder that directly holds matching files (so
 *   `root/characterNNNN/*.png` and `root/<Alphabet>/characterNN/*.png` both work).
 * - {@link decodePngLuminance}: PNG → luminance in [0, 1] (1 = white), composited over white.
 *   Non-interlaced grayscale PNGs of 1/2/4/8 bits (Omniglot's 1-bit images) take a fast path
 *   (fflate inflate + scanline unfiltering, ≈ 30× faster than pngjs); anything else goes
 *   through pngjs.
 * - {@link areaResize}: exact area-average downsampling (fractional pixel overlaps).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, unzlibSync } from 'fflate';
import { PNG } from 'pngjs';

/** One file of a directory tree or zip archive. */
export interface FileEntry {
  /** Path relative to the root, `/`-separated. */
  readonly path: string;
  /** The file's bytes (read from disk on each call for directories; a view into the archive for zips). */
  read(): Uint8Array;
}

/** Thrown for unreadable sources and malformed images; `source` names the offending file. */
export class ImageFolderError extends Error {
  readonly source: string;

  /**
   * @param message what is wrong.
   * @param source the file or folder at fault (appended to the message).
   */
  constructor(
    message: string,
    source: string,
  ) {
    super(`${message}: ${source}`);
    this.source = source;
    this.name = 'ImageFolderError';
  }
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Skips macOS resource forks and hidden files, which zips made on a Mac carry. */
function isJunk(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.') || part === '__MACOSX');
}

/**
 * Every file under `source`, sorted by path.
 * @param source a directory, a `.zip` file, or the bytes of a zip archive.
 * @param filter keeps a file if it returns true for its relative path (applied before
 *   decompressing zip entries).
 */
export function listFiles(source: string | Uint8Array, filter: (path: string) => boolean = () => true): FileEntry[] {
  if (typeof source !== 'string') return listZip(source, filter, '<zip bytes>');
  let isDir: boolean;
  try {
    isDir = statSync(source).isDirectory();
  } catch (e) {
    throw new ImageFolderError(`cannot read ${(e as Error).message.split(':')[0]}`, source);
  }
  if (!isDir) return listZip(readFileSync(source), filter, source);
  const out: FileEntry[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      if (isJunk(r)) continue;
      const full = join(dir, d.name);
      if (d.isDirectory()) walk(full, r);
      else if (d.isFile() && filter(r)) out.push({ path: r, read: () => readFileSync(full) });
    }
  };
  walk(source, '');
  return out.sort((a, b) => byCodeUnits(a.path, b.path));
}

function listZip(bytes: Uint8Array, filter: (path: string) => boolean, name: string): FileEntry[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (f) => !f.name.endsWith('/') && !isJunk(f.name) && filter(f.name) });
  } catch (e) {
    throw new ImageFolderError(`not a readable zip archive (${(e as Error).message})`, name);
  }
  return Object.keys(entries)
    .sort(byCodeUnits)
    .map((path) => {
      const data = entries[path]!;
      return { path, read: () => data };
    });
}

/** Files grouped by the folder that directly holds them. */
export interface FolderGroup {
  /** The folder's path relative to the root (`''` for files at the root). */
  readonly name: string;
  /** Its files, sorted by path. */
  readonly files: FileEntry[];
}

/** Groups files by parent folder; groups sorted by folder path. */
export function groupByFolder(files: readonly FileEntry[]): FolderGroup[] {
  const groups = new Map<string, FileEntry[]>();
  for (const f of files) {
    const i = f.path.lastIndexOf('/');
    const dir = i < 0 ? '' : f.path.slice(0, i);
    let g = groups.get(dir);
    if (!g) groups.set(dir, (g = []));
    g.push(f);
  }
  return [...groups.keys()].sort(byCodeUnits).map((name) => ({
    name,
    files: groups.get(name)!.slice().sort((a, b) => byCodeUnits(a.path, b.path)),
  }));
}

/** A decoded single-channel image, row-major `[height, width]`. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * Decodes a PNG to luminance in [0, 1] (0 = black, 1 = white); colour is reduced with
 * Rec. 601 weights and transparency is composited over white.
 * @throws ImageFolderError for data that is not a PNG (`name` is used in the message).
 */
export function decodePngLuminance(bytes: Uint8Array, name = '<png>'): GrayImage {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new ImageFolderError('not a PNG file', name);
  }
  return decodeGrayFast(bytes) ?? decodeWithPngjs(bytes, name);
}

/** Grayscale, non-interlaced, 1/2/4/8-bit, no tRNS; returns null for anything else. */
function decodeGrayFast(bytes: Uint8Array): GrayImage | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  const idat: Uint8Array[] = [];
  let idatLength = 0;
  while (pos + 8 <= bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    const start = pos + 8;
    if (start + len + 4 > bytes.length) return null;
    if (type === 'IHDR') {
      width = view.getUint32(start);
      height = view.getUint32(start + 4);
      depth = bytes[start + 8]!;
      const colorType = bytes[start + 9]!;
      const interlace = bytes[start + 12]!;
      if (colorType !== 0 || interlace !== 0 || ![1, 2, 4, 8].includes(depth)) return null;
    } else if (type === 'tRNS') {
      return null;
    } else if (type === 'IDAT') {
      idat.push(bytes.subarray(start, start + len));
      idatLength += len;
    } else if (type === 'IEND') {
      break;
    }
    pos = start + len + 4;
  }
  if (width === 0 || height === 0 || idat.length === 0) return null;
  let compressed: Uint8Array;
  if (idat.length === 1) compressed = idat[0]!;
  else {
    compressed = new Uint8Array(idatLength);
    let o = 0;
    for (const c of idat) {
      compressed.set(c, o);
      o += c.length;
    }
  }
  const stride = Math.ceil((width * depth) / 8);
  let raw: Uint8Array;
  try {
    // Giving fflate the exact output size avoids its buffer-doubling, which dominated decoding.
    raw = unzlibSync(compressed, { out: new Uint8Array(height * (stride + 1)) });
  } catch {
    return null; // let pngjs produce the error message
  }
  if (raw.length < height * (stride + 1)) return null;
  // Unfilter (bytes per pixel = 1 for these formats), then unpack the samples.
  const line = new Uint8Array(stride);
  const prev = new Uint8Array(stride);
  const data = new Float32Array(width * height);
  const maxVal = (1 << depth) - 1;
  const lut = new Float32Array(maxVal + 1);
  for (let v = 0; v <= maxVal; v++) lut[v] = v / maxVal;
  for (let y = 0; y < height; y++) {
    const off = y * (stride + 1) + 1;
    const filter = raw[off - 1]!;
    if (filter === 0) {
      for (let i = 0; i < stride; i++) line[i] = raw[off + i]!;
    } else if (filter === 1) {
      let a = 0;
      for (let i = 0; i < stride; i++) line[i] = a = (raw[off + i]! + a) & 255;
    } else if (filter === 2) {
      for (let i = 0; i < stride; i++) line[i] = (raw[off + i]! + prev[i]!) & 255;
    } else if (filter === 3) {
      let a = 0;
      for (let i = 0; i < stride; i++) line[i] = a = (raw[off + i]! + ((a + prev[i]!) >> 1)) & 255;
    } else if (filter === 4) {
      let a = 0;
      let c = 0;
      for (let i = 0; i < stride; i++) {
        const b = prev[i]!;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        line[i] = a = (raw[off + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
        c = b;
      }
    } else {
      return null;
    }
    const row = y * width;
    if (depth === 8) {
      for (let x = 0; x < width; x++) data[row + x] = lut[line[x]!]!;
    } else {
      let x = 0;
      for (let i = 0; i < stride && x < width; i++) {
        const byte = line[i]!;
        for (let shift = 8 - depth; shift >= 0 && x < width; shift -= depth) data[row + x++] = lut[(byte >> shift) & maxVal]!;
      }
    }
    prev.set(line);
  }
  return { width, height, data };
}

function decodeWithPngjs(bytes: Uint8Array, name: string): GrayImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new ImageFolderError(`cannot decode PNG (${(e as Error).message})`, name);
  }
  const { width, height } = png;
  const rgba = png.data;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const lum = (0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255;
    const alpha = rgba[4 * i + 3]! / 255;
    data[i] = lum * alpha + (1 - alpha);
  }
  return { width, height, data };
}

/** For each output index, the source indices it overlaps and the overlap fractions (summing to 1). */
function areaWeights(inSize: number, outSize: number): { idx: Int32Array; w: Float64Array; start: Int32Array } {
  const scale = inSize / outSize;
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(outSize + 1);
  for (let o = 0; o < outSize; o++) {
    start[o] = idx.length;
    const lo = o * scale;
    const hi = (o + 1) * scale;
    for (let i = Math.floor(lo); i < Math.min(inSize, Math.ceil(hi)); i++) {
      const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
      if (overlap > 1e-12) {
        idx.push(i);
        w.push(overlap / scale);
      }
    }
  }
  start[outSize] = idx.length;
  return { idx: Int32Array.from(idx), w: Float64Array.from(w), start };
}

let resizeTmp = new Float64Array(0);
const weightCache = new Map<string, ReturnType<typeof areaWeights>>();
function cachedWeights(inSize: number, outSize: number): ReturnType<typeof areaWeights> {
  const key = `${inSize}>${outSize}`;
  let v = weightCache.get(key);
  if (!v) weightCache.set(key, (v = areaWeights(inSize, outSize)));
  return v;
}

/**
 * Area-average resize of a row-major `[height, width]` image to `[outHeight, outWidth]`:
 * each output pixel is the mean of the source over its footprint, source pixels weighted by
 * the fraction of them it covers (so 105 → 28 averages 3.75 × 3.75-pixel squares exactly).
 * Separable, float64 accumulation.
 */
export function areaResize(
  src: Float32Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  if (src.length !== width * height) {
    throw new RangeError(`areaResize: src has ${src.length} values, expected ${width}×${height}`);
  }
  const wx = cachedWeights(width, outWidth);
  const wy = cachedWeights(height, outHeight);
  // Horizontal pass: [height, outWidth].
  if (resizeTmp.length < height * outWidth) resizeTmp = new Float64Array(height * outWidth);
  const tmp = resizeTmp;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let o = 0; o < outWidth; o++) {
      let s = 0;
      for (let k = wx.start[o]!; k < wx.start[o + 1]!; k++) s += wx.w[k]! * src[row + wx.idx[k]!]!;
      tmp[y * outWidth + o] = s;
    }
  }
  const out = new Float32Array(outHeight * outWidth);
  for (let o = 0; o < outHeight; o++) {
    for (let x = 0; x < outWidth; x++) {
      let s = 0;
      for (let k = wy.start[o]!; k < wy.start[o + 1]!; k++) s += wy.w[k]! * tmp[wy.idx[k]! * outWidth + x]!;
      out[o * outWidth + x] = s;
    }
  }
  return out;
}
