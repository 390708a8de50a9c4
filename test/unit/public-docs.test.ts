/**
 * Every public declaration of the library (`src/`, `envs/`, `agents/`) has a doc comment: each
 * exported function, class, constant, type and interface, and each public method or getter of an
 * exported class. A method that implements a documented interface member (e.g. `MetaEnv.setTask`)
 * or overrides a documented base method takes its doc from there, as editors show it.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const LIBRARY_DIRS = ['src', 'envs', 'agents'];

function libraryFiles(): string[] {
  return LIBRARY_DIRS.flatMap((d) =>
    (readdirSync(join(ROOT, d), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => join(ROOT, d, f)),
  );
}

function isExported(node: ts.Node): boolean {
  return (ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function isPublicMember(m: ts.ClassElement): boolean {
  if (!(ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m))) return false;
  if (m.name.kind === ts.SyntaxKind.PrivateIdentifier) return false;
  const mods = ts.getModifiers(m) ?? [];
  return !mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword);
}

/** Name of a top-level statement (every declared name for `export const a = …, b = …`). */
function statementName(st: ts.Statement, sf: ts.SourceFile): string {
  if (ts.isVariableStatement(st)) return st.declarationList.declarations.map((d) => d.name.getText(sf)).join(', ');
  const named = st as ts.Statement & { name?: ts.Node };
  return named.name ? named.name.getText(sf) : ts.SyntaxKind[st.kind];
}

/**
 * `file: name` for every public declaration of `files` without a doc comment. Exported
 * statements need their own comment; class members may inherit one (checked with the type checker).
 */
function undocumented(files: readonly string[], sources?: ReadonlyMap<string, string>): string[] {
  const host = ts.createCompilerHost({});
  if (sources) {
    const read = host.readFile.bind(host);
    host.readFile = (f) => sources.get(f) ?? read(f);
    const get = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang, ...rest) =>
      sources.has(f) ? ts.createSourceFile(f, sources.get(f)!, lang, true) : get(f, lang, ...rest);
  }
  const program = ts.createProgram(
    [...files],
    {
      allowImportingTsExtensions: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
    },
    host,
  );
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file)!;
    const where = relative(ROOT, file);
    for (const st of sf.statements) {
      if (!isExported(st)) continue;
      if (ts.getJSDocCommentsAndTags(st).length === 0) missing.push(`${where}: ${statementName(st, sf)}`);
      if (!ts.isClassDeclaration(st)) continue;
      for (const m of st.members) {
        // A public constructor that takes arguments says what they are: in its doc comment, or in one on each parameter.
        const paramsDocumented = (c: ts.ConstructorDeclaration) => c.parameters.every((p) => ts.getJSDocCommentsAndTags(p).some((d) => ts.isJSDoc(d)));
        if (ts.isConstructorDeclaration(m) && m.parameters.length > 0 && !(ts.getModifiers(m) ?? []).some((x) => x.kind === ts.SyntaxKind.PrivateKeyword) && ts.getJSDocCommentsAndTags(m).length === 0 && !paramsDocumented(m)) {
          missing.push(`${where}: ${st.name?.text ?? '<class>'} constructor`);
        }
        if (!isPublicMember(m)) continue;
        const sym = checker.getSymbolAtLocation(m.name!);
        if (!sym || sym.getDocumentationComment(checker).length === 0) {
          missing.push(`${where}: ${st.name?.text ?? '<class>'}.${m.name!.getText(sf)}`);
        }
      }
    }
  }
  return missing;
}

describe('public API docs', () => {
  it('every exported declaration, public class method and public constructor with arguments of src/, envs/ and agents/ has a doc comment', () => {
    const files = libraryFiles();
    expect(files.length).toBeGreaterThan(40);
    expect(undocumented(files)).toEqual([]);
  }, 60_000);

  it('reports a function, a constant, a class method and a constructor without one, and accepts an inherited doc', () => {
    const file = join(ROOT, 'src', '__docs_probe__.ts');
    const source = [
      '/** Documented. */',
      'export function documented(): void {}',
      'export function bare(): void {}',
      'export const BARE = 1;',
      '/** Something with a documented method. */',
      'export interface Shape {',
      '  /** Area in m². */',
      '  area(): number;',
      '}',
      '/** A square. */',
      'export class Square implements Shape {',
      '  area(): number { return 1; }',
      '  perimeter(): number { return 4; }',
      '  private hidden(): number { return 0; }',
      '}',
      '/** A circle. */',
      'export class Circle {',
      '  constructor(readonly r: number) {}',
      '}',
      '/** A point. */',
      'export class Point {',
      '  /** @param x metres east */',
      '  constructor(readonly x: number) {}',
      '}',
      '/** A segment. */',
      'export class Segment {',
      '  constructor(',
      '    /** Start, metres east. */',
      '    readonly a: number,',
      '    /** End, metres east. */',
      '    readonly b: number,',
      '  ) {}',
      '}',
      '/** A box. */',
      'export class Box {',
      '  constructor(',
      '    /** Width. */',
      '    readonly w: number,',
      '    readonly h: number,',
      '  ) {}',
      '}',
    ].join('\n');
    expect(undocumented([file], new Map([[file, source]]))).toEqual([
      'src/__docs_probe__.ts: bare',
      'src/__docs_probe__.ts: BARE',
      'src/__docs_probe__.ts: Square.perimeter',
      'src/__docs_probe__.ts: Circle constructor',
      'src/__docs_probe__.ts: Box constructor',
    ]);
  }, 60_000);
});
