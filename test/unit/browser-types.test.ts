/**
 * `metarl/browser` type-checks in a page's project, which has the DOM's types but not Node's: none
 * of the modules it reaches, even through a type-only import, may name a Node built-in (a page
 * with `"types": []` failed with 24 errors in metarl's own files before).
 */
import { join } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

it('agents/browser.ts type-checks without Node types', () => {
  const program = ts.createProgram([join(ROOT, 'agents', 'browser.ts')], {
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
}, 60_000);
