import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint, loadCheckpoint } from '../../src/checkpoint.ts';
import { CheckpointFormatError, parseCheckpoint, sha256Hex } from '../../src/checkpoint-format.ts';
import { resolveConfig } from '../../src/config.ts';

const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('checkpoint-format (browser-safe checkpoint parsing)', () => {
  it('sha256Hex matches the FIPS 180-4 vectors and node:crypto at every padding boundary', () => {
    const enc = new TextEncoder();
    expect(sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(enc.encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(enc.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 4880]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      expect(sha256Hex(b), `length ${n}`).toBe(nodeSha(b));
    }
  });

  it('parses what saveCheckpoint writes, like loadCheckpoint, and rejects corrupt weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metarl-ckfmt-'));
    const config = resolveConfig('Navigation2D-v0', 'tiny', {});
    const params = [Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(-1, 0.5), Float32Array.of(Math.log(0.7))];
    saveCheckpoint(dir, { iteration: 3, config, obsDim: 2, actDim: 1, shapes: [[3, 2], [2], [1]], rng: { seed: 1, nextIteration: 3 }, versions: {} }, params);
    const model = readFileSync(join(dir, 'checkpoint', 'model.json'), 'utf8');
    const weights = new Uint8Array(readFileSync(join(dir, 'checkpoint', 'weights.bin')));
    const ck = parseCheckpoint(model, weights);
    expect(ck).toEqual(loadCheckpoint(dir));
    expect(ck.params).toEqual(params);

    const bad = weights.slice();
    bad[5]! ^= 1;
    expect(() => parseCheckpoint(model, bad)).toThrow(CheckpointFormatError);
    expect(() => parseCheckpoint(model, bad)).toThrow(/checksum mismatch/);
    expect(() => parseCheckpoint(model, weights.subarray(4))).toThrow(/has 32 bytes, expected 36/);
    expect(() => parseCheckpoint('{', weights)).toThrow(/not valid JSON/);
    // From plain JavaScript: the fetched ArrayBuffer itself is named as the wrong argument, not as a corrupt file (found by a browser-page trial).
    expect(() => parseCheckpoint(model, weights.buffer as never)).toThrow('parseCheckpoint: weights must be the bytes of weights.bin as a Uint8Array (new Uint8Array(await response.arrayBuffer())), got an ArrayBuffer');
    expect(() => parseCheckpoint(model, 'x' as never)).toThrow(/weights must be the bytes of weights.bin as a Uint8Array .*, got string$/);
    expect(() => parseCheckpoint(JSON.stringify({ ...JSON.parse(model), formatVersion: 2 }), weights)).toThrow(/unknown format/);
    // A config that is not an object, and a NaN with the checksum made to match (found by a bad-input trial: a TypeError, and a stack).
    expect(() => parseCheckpoint(JSON.stringify({ ...JSON.parse(model), config: null }), weights)).toThrow('model.json: config must be an object naming its env, got null');
    const nan = weights.slice();
    new DataView(nan.buffer).setFloat32(8, Number.NaN, true);
    expect(() => parseCheckpoint(JSON.stringify({ ...JSON.parse(model), weightsSha256: sha256Hex(nan) }), nan)).toThrow('weights.bin: value 2 is NaN, not a finite number (corrupt or modified)');
    // Unaligned bytes inside a larger buffer decode the same.
    const big = new Uint8Array(weights.length + 1);
    big.set(weights, 1);
    expect(parseCheckpoint(model, big.subarray(1)).params).toEqual(params);
    // A Node Buffer that is a view into a larger memory, as small files read with readFileSync sit
    // in Node's shared pool (a user's parseCheckpoint(model, readFileSync(...)) decoded another part
    // of the pool): a Buffer's slice() is a view, not a copy.
    const read = readFileSync(join(dir, 'checkpoint', 'weights.bin'));
    const larger = Buffer.alloc(read.length + 16);
    read.copy(larger, 8);
    const view = larger.subarray(8, 8 + read.length);
    expect(view.byteOffset).toBe(8);
    expect(parseCheckpoint(model, view).params).toEqual(params);
    expect(parseCheckpoint(model, read).params).toEqual(params);
  });
});
