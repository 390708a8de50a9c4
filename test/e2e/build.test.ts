/**
 * The compiled build (scripts/build.mjs): what it writes, when bin/metarl.mjs takes it as up to date
 * (bin/build-state.mjs), that a command runs it then and the TypeScript otherwise, and that both
 * give the same numbers.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAMP, buildIsFresh } from '../../bin/build-state.mjs';
import { build } from '../../scripts/build.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const made: string[] = [];
const tmp = () => {
  made.push(mkdtempSync(join(tmpdir(), 'metarl-build-')));
  return made.at(-1)!;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
// The build is what these tests run unless they ask for the TypeScript (a METARL_FROM_SOURCE set where the suite runs would hide it).
const fromSource = process.env.METARL_FROM_SOURCE;
beforeAll(() => {
  delete process.env.METARL_FROM_SOURCE;
});
afterAll(() => {
  if (fromSource !== undefined) process.env.METARL_FROM_SOURCE = fromSource;
});

/** A package root with a few sources in the build's folders, and what the build reads besides them. */
function tree(): string {
  const root = tmp();
  for (const d of ['src', 'envs', 'agents', 'scripts', 'bin']) mkdirSync(join(root, d));
  for (const f of ['package.json', 'tsconfig.json', 'scripts/build.mjs', 'bin/build-state.mjs']) cpSync(join(ROOT, f), join(root, f));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  writeFileSync(join(root, 'src', 'tfjs.ts'), 'export const backend: string = "stand-in";\n');
  writeFileSync(join(root, 'src', 'b.ts'), 'export const two: number = 2;\nexport type Unused = { a: 1 };\n');
  writeFileSync(
    join(root, 'src', 'a.ts'),
    [
      "import { two, type Unused } from './b.ts';",
      "import * as tf from '#tfjs';",
      "export { two } from './b.ts';",
      'export const viaTfjs = tf.backend;',
      'export const unused: Unused | null = null;',
      // Defined class fields (tsconfig's target ES2022, as tsx compiles): a field the subclass declares is reset after super().
      'class Base { f?: number; constructor() { this.f = 5; } }',
      'class Derived extends Base { declare g: number; override f?: number; }',
      'export const field = new Derived().f;',
      'export const four = two * 2;',
      // Only imports are rewritten, not a string that reads like one.
      `export const says = "import it from './b.ts'";`,
    ].join('\n'),
  );
  mkdirSync(join(root, 'agents', 'deep'));
  writeFileSync(join(root, 'agents', 'deep', 'c.ts'), "export const load = () => import('../../src/b.ts');\nexport { four } from '../../src/a.ts';\n");
  writeFileSync(join(root, 'envs', 'types.d.ts'), 'export type T = number;\n');
  return root;
}

describe('scripts/build.mjs', () => {
  it('compiles each source beside it, with its imports pointing at the compiled files, and the code runs', async () => {
    const root = tree();
    expect((await build(root)).files).toBe(4); // not the .d.ts, nor scripts/build.mjs
    const a = readFileSync(join(root, 'src', 'a.js'), 'utf8');
    expect(a).toContain('from "./b.js"');
    expect(a).toContain('from "./tfjs.js"');
    expect(a).not.toMatch(/\.ts"/);
    expect(a).toMatch(/\/\/# sourceMappingURL=data:application\/json;base64,/);
    const c = readFileSync(join(root, 'agents', 'deep', 'c.js'), 'utf8');
    expect(c).toContain('import("../../src/b.js")');
    expect(c).toContain('from "../../src/a.js"');
    const mod = await import(pathToFileURL(join(root, 'agents', 'deep', 'c.js')).href);
    expect(mod.four).toBe(4);
    expect((await mod.load()).two).toBe(2);
    const am = await import(pathToFileURL(join(root, 'src', 'a.js')).href);
    expect(am.viaTfjs).toBe('stand-in');
    expect(am.field).toBeUndefined(); // assigned fields (useDefineForClassFields false, as for TypeScript's older targets) would keep 5
    expect(am.says).toBe("import it from './b.ts'");
    // Run through a symbolic link, the script still builds (and says so).
    const link = join(root, 'link.mjs');
    symlinkSync(join(root, 'scripts', 'build.mjs'), link);
    const r = spawnSync(process.execPath, [link, '--strict'], { encoding: 'utf8' });
    expect([r.status, r.stdout]).toEqual([0, expect.stringMatching(/^metarl: compiled 4 TypeScript files to JavaScript in \d+\.\d s\n$/)]);
  });

  it('is up to date only for exactly the sources it compiled, and the files it wrote', async () => {
    const root = tree();
    expect(buildIsFresh(root)).toBe(false); // never built
    await build(root);
    expect(buildIsFresh(root)).toBe(true);
    expect(buildIsFresh(relative(process.cwd(), root))).toBe(true); // a relative path too
    const a = join(root, 'src', 'a.ts');
    utimesSync(a, new Date(), new Date(Date.now() + 5000)); // edited (a new time)
    expect(buildIsFresh(root)).toBe(false);
    await build(root);
    expect(buildIsFresh(root)).toBe(true);
    writeFileSync(join(root, 'envs', 'new.ts'), 'export const n = 1;\n'); // a source added
    expect(buildIsFresh(root)).toBe(false);
    await build(root);
    rmSync(join(root, 'envs', 'new.ts')); // and removed
    expect(buildIsFresh(root)).toBe(false);
    await build(root);
    rmSync(join(root, 'src', 'b.js')); // a compiled file gone
    expect(buildIsFresh(root)).toBe(false);
    await build(root);
    writeFileSync(join(root, 'src', 'b.js'), 'export const two = 3;\n'); // or changed
    expect(buildIsFresh(root)).toBe(false);
    await build(root);
    // What decides how the files compile: tsconfig.json, the build script.
    writeFileSync(join(root, 'tsconfig.json'), readFileSync(join(root, 'tsconfig.json'), 'utf8').replace('"ES2022"', '"ES2020"'));
    expect(buildIsFresh(root)).toBe(false);
    await build(root);
    writeFileSync(join(root, 'scripts', 'build.mjs'), `${readFileSync(join(root, 'scripts', 'build.mjs'), 'utf8')}\n// changed\n`);
    expect(buildIsFresh(root)).toBe(false);
    await build(root);
    expect(buildIsFresh(root)).toBe(true);
    // A source removed: a rebuild removes its compiled file too (an import left pointing at it fails, as it does from the TypeScript),
    // and no other: a .js of one's own stays.
    rmSync(join(root, 'agents', 'deep', 'c.ts'));
    writeFileSync(join(root, 'agents', 'own.js'), 'export const own = 1;\n');
    await build(root);
    expect(existsSync(join(root, 'agents', 'deep', 'c.js'))).toBe(false);
    expect(existsSync(join(root, 'src', 'a.js'))).toBe(true);
    expect(existsSync(join(root, 'agents', 'own.js'))).toBe(true);
    const stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
    writeFileSync(join(root, STAMP), JSON.stringify({ ...stamp, format: stamp.format + 1 })); // another build format
    expect(buildIsFresh(root)).toBe(false);
    writeFileSync(join(root, STAMP), '{"format":'); // cut short
    expect(buildIsFresh(root)).toBe(false);
  });

  it('a command runs the build while it is up to date, the TypeScript once a source changes, and with METARL_FROM_SOURCE=1', async () => {
    // A copy of the package (its node_modules linked), so that a source can change without touching the tests' own.
    const root = tmp();
    for (const d of ['bin', 'src', 'envs', 'agents', 'scripts']) cpSync(join(ROOT, d), join(root, d), { recursive: true });
    for (const f of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(root, f));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    const version = (env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'metarl.mjs'), '--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      return /running (.*)\)$/m.exec(r.stdout)?.[1];
    };
    await build(root);
    expect(version()).toBe('the compiled build');
    expect(version({ METARL_FROM_SOURCE: '1' })).toBe('the TypeScript sources');
    // An edit takes effect at once, through tsx, until the next build.
    const options = join(root, 'scripts', 'options.ts');
    writeFileSync(options, `${readFileSync(options, 'utf8')}\n// edited\n`);
    expect(version()).toBe('the TypeScript sources');
    await build(root);
    expect(version()).toBe('the compiled build');
  }, 60_000);

  it('worker pools started from the TypeScript run the compiled worker module when asked to and the build is up to date', async () => {
    expect(buildIsFresh(ROOT)).toBe(true); // test/global-setup.ts built it
    const { workerEntry } = await import('../../src/worker-pool.ts');
    const ts = new URL('../../agents/maml-worker.ts', import.meta.url);
    expect(workerEntry(ts, true).href).toBe(new URL('../../agents/maml-worker.js', import.meta.url).href);
    expect(workerEntry(ts, false)).toBe(ts);
    expect(workerEntry(ts)).toBe(ts);
    process.env.METARL_FROM_SOURCE = '1';
    try {
      expect(workerEntry(ts, true)).toBe(ts);
    } finally {
      delete process.env.METARL_FROM_SOURCE;
    }
  });

  it('the build and the TypeScript train to the same weights, with worker threads', () => {
    expect(buildIsFresh(ROOT)).toBe(true); // test/global-setup.ts built it
    const dir = tmp();
    const train = (out: string, env: Record<string, string>) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'metarl.mjs'), 'train', '--preset', 'tiny', '--iterations', '2', '--workers', '2', '--out', out], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(join(out, 'checkpoint', 'weights.bin'));
    };
    expect(train(join(dir, 'built'), {}).equals(train(join(dir, 'source'), { METARL_FROM_SOURCE: '1' }))).toBe(true);
  }, 120_000);
});
