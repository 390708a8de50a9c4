/**
 * The `metarl` commands written in the README and the experiment logs (`docs/results/`) and the
 * usage text of `metarl --help` stay in step with the flags the parser accepts: every flag a command
 * is written with exists for that command, every `--config` / `--task-file` under `configs/`
 * exists, every `--env` is registered and every `--backend` is known. And `--help` lists every flag
 * of every command, and so does the README's Command line section.
 * Relative links in those files name files (and headings) that exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listEnvs } from '../../envs/index.ts';
import '../../envs/omniglot-register.ts'; // the Omniglot envs, as the CLI registers them (no data is read)
import { BACKENDS, COMMAND_OPTIONS, COMMANDS, FLAG_HELP, USAGE_COMMANDS, flagHelp } from '../../scripts/options.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** `npm run X` scripts that are `metarl X` (read from package.json). */
const NPM_SCRIPTS: Record<string, string> = Object.fromEntries(
  Object.entries(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>)
    .map(([name, cmd]) => [name, /^node bin\/metarl\.mjs (\w+)$/.exec(cmd)?.[1]] as const)
    .filter((e): e is [string, string] => e[1] !== undefined),
);

/** One written command: the file, a short quote to find it by, and its tokens after `metarl`. */
interface Written {
  where: string;
  tokens: string[];
}

/**
 * The `metarl` commands in a markdown text: shell lines of fenced blocks (continuation lines joined,
 * comments dropped) and inline code spans, in both forms `[npx] metarl CMD …` and `npm run CMD -- …`.
 */
export function writtenCommands(text: string, file: string): Written[] {
  const out: Written[] = [];
  const take = (s: string) => {
    const words = s.trim().split(/\s+/);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const npm = w === 'npm' && words[i + 1] === 'run' ? NPM_SCRIPTS[words[i + 2] ?? ''] : undefined;
      if (npm !== undefined) {
        const rest = words[i + 3] === '--' ? words.slice(i + 4) : [];
        out.push({ where: `${file}: ${s.trim().slice(0, 100)}`, tokens: [npm, ...rest] });
        return;
      }
      if (w === 'metarl' && /^[a-z]+$/.test(words[i + 1] ?? '')) {
        out.push({ where: `${file}: ${s.trim().slice(0, 100)}`, tokens: words.slice(i + 1) });
        return;
      }
    }
  };
  let inBlock = false;
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) {
      inBlock = !inBlock;
      pending = '';
      continue;
    }
    if (!inBlock) continue;
    const code = line.replace(/(^|\s)#.*$/, '');
    if (/\\\s*$/.test(code)) {
      pending += `${code.replace(/\\\s*$/, '')} `;
      continue;
    }
    take(pending + code);
    pending = '';
  }
  // Inline code spans outside fenced blocks (a span may wrap onto the next line).
  const prose = text.replace(/^\s*```[\s\S]*?^\s*```/gm, '');
  for (const m of prose.matchAll(/`([^`]+)`/g)) {
    if (/(^|\s)(npx metarl|metarl|npm run) /.test(m[1]!)) take(m[1]!.replace(/\s+/g, ' '));
  }
  return out;
}

/** The envs registered without any `--env-module`. */
const BUILT_IN_ENVS = listEnvs();
/** The env ids each module of `examples/` registers (imported here, as `--env-module` would). */
const EXAMPLE_ENVS = new Map<string, string[]>();
for (const f of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'))) {
  const before = new Set(listEnvs());
  await import(pathToFileURL(join(ROOT, 'examples', f)).href);
  EXAMPLE_ENVS.set(`examples/${f}`, listEnvs().filter((id) => !before.has(id)));
}

/** What is wrong with one written command: an empty list when nothing is. */
export function commandProblems(c: Written): string[] {
  const [cmd, ...args] = c.tokens;
  if (cmd === undefined || !COMMANDS.includes(cmd)) return [`unknown command ${JSON.stringify(cmd)}`];
  const flags = COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS] as Record<string, { type: string }>;
  const problems: string[] = [];
  // Envs the command's `--env-module examples/…` files register are known to it (and only to it).
  const envs = [...BUILT_IN_ENVS];
  args.forEach((a, i) => {
    const file = a === '--env-module' ? args[i + 1] : undefined;
    if (file === undefined || !file.startsWith('examples/')) return;
    if (EXAMPLE_ENVS.has(file)) envs.push(...EXAMPLE_ENVS.get(file)!);
    else problems.push(`--env-module ${file}: no such file`);
  });
  for (let i = 0; i < args.length; i++) {
    const m = /^\[?--([a-z][a-z0-9-]*)(=.*)?[\]),.;:`]*$/.exec(args[i]!);
    if (m === null) continue;
    const name = m[1]!;
    if (name === 'help') continue;
    if (!(name in flags)) {
      problems.push(`--${name} is not a flag of metarl ${cmd}`);
      continue;
    }
    // A literal value (no shell variable, placeholder such as DIR or FILE.json, or alternative) is
    // checked where it can be; files only under configs/ (elsewhere they are the user's own).
    const value = (m[2]?.slice(1) ?? args[i + 1] ?? '').replace(/[\]),;`]+$/, '');
    if (flags[name]!.type !== 'string' || value === '' || /[$[…|<]|^[A-Z][A-Z0-9_]*(\.[a-z]+)?$/.test(value) || value.startsWith('--')) continue;
    if ((name === 'config' || name === 'task-file') && value.startsWith('configs/') && !existsSync(join(ROOT, value))) problems.push(`--${name} ${value}: no such file`);
    if (name === 'env' && !envs.includes(value)) problems.push(`--env ${value}: not a registered env`);
    if (name === 'backend' && !BACKENDS.includes(value)) problems.push(`--backend ${value}: not a backend`);
  }
  return problems;
}

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs', 'results')).filter((f) => f.endsWith('.md')).map((f) => `docs/results/${f}`)];

describe('commands written in the docs', () => {
  for (const file of DOCS) {
    it(`${file}: every metarl command uses flags, files and ids that exist`, () => {
      const written = writtenCommands(readFileSync(join(ROOT, file), 'utf8'), file);
      expect(written.length).toBeGreaterThan(10);
      const problems = written.flatMap((c) => commandProblems(c).map((p) => `${c.where}\n    ${p}`));
      expect(problems).toEqual([]);
    });
  }

  it('the checker finds commands in both forms and reports what is wrong with them', () => {
    const text = [
      'Run `npx metarl train --env Navigation2D-v0 --itterations 5` or',
      '`npm run evaluate -- --run runs/x --tasks 40`.',
      '',
      '```sh',
      'npx metarl compare --env Nav2D --runs maml=$M \\',
      '  --out runs/c --backend wasm   # --bogus in a comment is ignored',
      'npx metarl train --config configs/no-such-file.json --seed $N --backend gpu',
      'npx metarl frobnicate --run x',
      'npx metarl train --env-module examples/navigation-ring.ts --env NavigationRing-v0',
      'npx metarl train --env NavigationRing-v0',
      'npx metarl train --env-module examples/no-such-env.ts --env Navigation2D-v0',
      '```',
    ].join('\n');
    const written = writtenCommands(text, 't.md');
    expect(written.map((c) => c.tokens[0])).toEqual(['compare', 'train', 'frobnicate', 'train', 'train', 'train', 'train', 'evaluate']);
    expect(written.map(commandProblems)).toEqual([
      ['--env Nav2D: not a registered env'],
      ['--config configs/no-such-file.json: no such file', '--backend gpu: not a backend'],
      ['unknown command "frobnicate"'],
      [],
      ['--env NavigationRing-v0: not a registered env'],
      ['--env-module examples/no-such-env.ts: no such file'],
      ['--itterations is not a flag of metarl train'],
      [],
    ]);
  });
});

/** The usage block of the README's "Command line" section, indented as `USAGE_COMMANDS` is. */
function readmeUsage(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## Command line\n\n```text\n([\s\S]*?)```/.exec(readme);
  if (block === null) throw new Error('README.md: no ```text block under "## Command line"');
  return `usage:\n${block[1]!.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`;
}

for (const [name, text] of [['metarl --help', USAGE_COMMANDS], ["the README's Command line section", readmeUsage()]] as const) {
  describe(name, () => {
    const usage = text.split('\n');
    for (const cmd of COMMANDS) {
      it(`lists ${cmd} with exactly the flags it accepts`, () => {
        const start = usage.findIndex((l) => l.startsWith(`  metarl ${cmd} `));
        expect(start, `no usage line for ${cmd}`).toBeGreaterThan(0);
        let end = start + 1;
        while (end < usage.length && /^ {4,}/.test(usage[end]!)) end++;
        const listed = new Set([...usage.slice(start, end).join(' ').matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
        expect([...listed].sort()).toEqual(Object.keys(COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS]).sort());
      });
    }
  });
}

describe('metarl CMD --help', () => {
  it('describes every flag of every command, and describes no flag that does not exist', () => {
    const undescribed = COMMANDS.flatMap((cmd) =>
      Object.keys(COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS]).filter((f) => !flagHelp(cmd, f)).map((f) => `${cmd} --${f}`),
    );
    expect(undescribed).toEqual([]);
    const stale = Object.keys(FLAG_HELP).filter((key) => {
      const [cmd, flag] = key.includes('.') ? key.split('.') : [undefined, key];
      const tables = cmd === undefined ? Object.values(COMMAND_OPTIONS) : [COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS] ?? {}];
      return !tables.some((t) => flag! in t);
    });
    expect(stale).toEqual([]);
  });
});

/** GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchors(text: string): Set<string> {
  return new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replace(/ /g, '-')));
}

describe('links in the docs', () => {
  for (const file of DOCS) {
    it(`${file}: every relative link names a file of the repository (and a heading of it)`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const broken: string[] = [];
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z]+:/.test(link)) continue;
        const [path, anchor] = link.split('#');
        const target = path ? join(ROOT, dirname(file), path) : join(ROOT, file);
        if (!existsSync(target)) broken.push(link);
        else if (anchor && !headingAnchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${link} (no such heading)`);
      }
      expect(broken).toEqual([]);
    });
  }
});
