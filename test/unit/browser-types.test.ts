/**
 * `metarl/browser` type-checks in a page's project, which has the DOM's types but not Node's: none
 * of the modules it reaches, even through a type-only import, may name a Node built-in (a page
 * with `"types": []` failed with 24 errors in metarl's own files before).
 *
 * And metarl type-checks where it is installed as a package: every type declaration its entry
 * points read comes with an installed dependency, none from a devDependency (which `npm install
 * metarl` leaves out: `@types/matter-js`, `@types/pngjs` and `@types/seedrandom` were, and a
 * user's `tsc` failed in metarl's files).
 */
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

// With a bundler's `browser` condition too, as a page's tsconfig may set it (`customConditions`): `#tfjs`
// is then ./src/tfjs-page.ts, tfjs-core without what only @tensorflow/tfjs exports (`tf.version`).
it.each([['default', [] as string[]], ['browser', ['browser']]])('agents/browser.ts type-checks without Node types (%s conditions)', (_name, conditions) => {
  const program = ts.createProgram([join(ROOT, 'agents', 'browser.ts')], {
    customConditions: conditions,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName.replace(`${ROOT}/`, '')}(${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1})` : '';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
  expect(problems).toEqual([]);
  // It did reach the learner and the envs (the check is not vacuous).
  const files = program.getSourceFiles().map((f) => f.fileName);
  expect(files.some((f) => f.endsWith('agents/maml-trpo.ts'))).toBe(true);
  expect(files.some((f) => f.endsWith('envs/half-cheetah.ts'))).toBe(true);
  expect(files.some((f) => f.endsWith(conditions.includes('browser') ? 'src/tfjs-page.ts' : 'src/tfjs-default.ts'))).toBe(true);
}, 60_000);

/** The package (`node_modules/x` or `node_modules/@s/x`, as package-lock.json names it) a file belongs to, or null for metarl's own. */
function packageOf(file: string): string | null {
  const parts = relative(ROOT, file).split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const name = parts[at + 1]!.startsWith('@') ? parts.slice(at + 1, at + 3) : [parts[at + 1]!];
  return [...parts.slice(0, at + 1), ...name].join('/');
}

it('the types metarl\'s entry points read all come with its dependencies, none with a devDependency', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  const entries = Object.values(pkg.exports).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, f));
  expect(entries.length).toBeGreaterThanOrEqual(4);
  const program = ts.createProgram(entries, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: ['node'],
  });
  // TypeScript's own lib files (the user's compiler gives them) aside.
  const read = program.getSourceFiles().filter((f) => !program.isSourceFileDefaultLibrary(f));
  const packages = new Set(read.map((f) => packageOf(f.fileName)).filter((p) => p !== null));
  const devOnly = [...packages].filter((p) => lock.packages[p] === undefined || lock.packages[p]!.dev === true);
  expect(devOnly).toEqual([]);
  // The check reads the packages' own declarations (it is not vacuous).
  for (const p of ['node_modules/@types/matter-js', 'node_modules/@types/seedrandom', 'node_modules/@tensorflow/tfjs-core']) expect(packages.has(p), p).toBe(true);
}, 60_000);

/** metarl's entry points (package.json's exports) compiled as a user's project with `flags` would: the program and its problems. */
function checkEntries(flags: ts.CompilerOptions): { program: ts.Program; problems: string[] } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  const entries = Object.values(pkg.exports).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, f));
  const program = ts.createProgram(entries, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: ['node'],
    ...flags,
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? relative(ROOT, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  return { program, problems };
}

it('metarl\'s entry points type-check in a project that is not strict too', () => {
  expect(checkEntries({ strict: false }).problems).toEqual([]);
}, 60_000);

it("metarl's entry points type-check in a project with the stricter checks many projects add", () => {
  // metarl ships its TypeScript sources, which the user's compiler checks with the user's flags
  // (skipLibCheck covers .d.ts files only).
  const { program, problems } = checkEntries({
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noPropertyAccessFromIndexSignature: true,
    noImplicitReturns: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    noUnusedParameters: true,
    verbatimModuleSyntax: true,
    // Vite's TypeScript starter sets it (found by a browser-page trial: 38 errors in metarl's files).
    erasableSyntaxOnly: true,
  });
  expect(problems).toEqual([]);
  expect(program.getSourceFiles().some((f) => f.fileName.endsWith('src/returns.ts'))).toBe(true);
}, 60_000);
