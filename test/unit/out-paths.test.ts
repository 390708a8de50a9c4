/** `makeDir` and `notWritableProblem`: making the folders commands write to, and asking first. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { firstMissingDir, makeDir, notWritableProblem, removeMade, writeFileWhole } from '../../src/out-paths.ts';

const root = mkdtempSync(join(tmpdir(), 'metarl-outpaths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// /proc answers "no such file" to mkdir in it although /proc exists (Linux only).
const procRefuses = process.platform === 'linux' && existsSync('/proc/self');

describe('makeDir', () => {
  it('makes the missing folders, takes one already there, and refuses a file', () => {
    const deep = join(root, 'a', 'b', 'c');
    makeDir(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDir(deep);
    makeDir(join(root, 'a'));
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    expect(() => makeDir(file)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDir(join(file, 'below'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it.runIf(procRefuses)('throws for a folder the kernel will not make, where Node\'s recursive mkdir loops for ever (found by a bad-input trial)', () => {
    // In a child with a time limit: the fault it guards against is a synchronous loop that would
    // hang this worker. The child runs the compiled module (test/global-setup.ts builds it).
    const url = pathToFileURL(join(import.meta.dirname, '../../src/out-paths.js')).href;
    const code = `const { makeDir } = await import(${JSON.stringify(url)});
      try { makeDir('/proc/metarl-x/y'); console.log('made'); } catch (e) { console.log('threw', e.code); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    expect(r.signal).toBeNull();
    expect(r.stdout.trim()).toBe('threw ENOENT');
  });
});

describe('notWritableProblem', () => {
  it('is null for a folder that takes files, and leaves nothing behind', () => {
    const dir = join(root, 'probe');
    makeDir(dir);
    expect(notWritableProblem(dir)).toBeNull();
    expect(notWritableProblem(join(dir, 'not', 'yet'))).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(procRefuses)('names a folder whose file system refuses new files whatever its permission bits say', () => {
    expect(notWritableProblem('/proc/metarl-run')).toMatch(/^cannot be written: \/proc (is not writable|refuses new files) \(E[A-Z]+\)$/);
  });
});

describe('removeMade', () => {
  it('removes its files and the folders it made while they are empty, keeping what another process put there', () => {
    const base = join(root, 'made');
    makeDir(base);
    const out = join(base, 'exp', 'a', 'run');
    const made = firstMissingDir(out);
    expect(made).toBe(join(base, 'exp'));
    makeDir(out);
    writeFileSync(join(out, 'config.json'), '{}');
    writeFileSync(join(base, 'exp', 'theirs.txt'), 'x');
    removeMade(out, made, [join(out, 'config.json')]);
    expect(readdirSync(join(base, 'exp'))).toEqual(['theirs.txt']);
    // With nothing else there, all it made goes, and nothing above it.
    makeDir(out);
    rmSync(join(base, 'exp', 'theirs.txt'));
    removeMade(out, made, []);
    expect(existsSync(join(base, 'exp'))).toBe(false);
    expect(existsSync(base)).toBe(true);
    // A folder that was there (made null) keeps everything but the files named.
    makeDir(out);
    writeFileSync(join(out, 'a.txt'), 'x');
    writeFileSync(join(out, 'b.txt'), 'x');
    removeMade(out, null, [join(out, 'a.txt')]);
    expect(readdirSync(out)).toEqual(['b.txt']);
  });
});

describe('writeFileWhole', () => {
  it('writes text or bytes whole, and on failure leaves no temporary file and names the file', () => {
    const dir = join(root, 'whole');
    makeDir(dir);
    writeFileWhole(join(dir, 'a.txt'), 'text');
    writeFileWhole(join(dir, 'b.png'), Uint8Array.of(1, 2, 3));
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'b.png']);
    // A folder (not empty) where the file is to go: the rename fails.
    const blocked = join(dir, 'blocked');
    makeDir(join(blocked, 'inside'));
    expect(() => writeFileWhole(blocked, 'x')).toThrow(blocked);
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'b.png', 'blocked']);
  });
});
