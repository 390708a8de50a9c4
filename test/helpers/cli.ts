import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

const BIN = join(__dirname, '..', '..', 'bin', 'metarl.mjs');

/** Runs the `metarl` command line in a child process. */
export function metarl(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the `metarl` command line in this process, for checks of user errors and other quick answers
 * (a child process costs about a second): what the command prints, and the exit code it would end
 * with (2 and the CLI's one line for a user error). Any other failure is thrown. The message style
 * (CLI flag names) is put back afterwards; what a command loads stays loaded (the backend, and the
 * envs an `--env-module` registers: give those to {@link metarl}).
 */
export async function metarlHere(...args: string[]): Promise<ReturnType<typeof metarl>> {
  if (args.some((a) => a.startsWith('--env-module'))) throw new Error('metarlHere: an --env-module registers envs for the rest of the process; run it with metarl()');
  const { main, userErrorLine } = await import('../../scripts/cli.ts');
  const { cliOptionStyle, setOptionStyle } = await import('../../src/config.ts');
  const style = cliOptionStyle() ? 'cli' : 'code';
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  let code: number;
  try {
    await main(args);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    const line = userErrorLine(e, args);
    if (line === undefined) throw e;
    out.stderr += line;
    code = 2;
  } finally {
    setOptionStyle(style);
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = exitCode;
  }
  return { code, ...out };
}

/** A user error: exit 2, one line on stderr naming `field` and `value`, no stack trace. */
export function expectUserError(r: ReturnType<typeof metarl>, ...fragments: string[]) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('metarl: backend'));
  expect(lines).toHaveLength(1);
  for (const f of fragments) expect(lines[0]).toContain(f);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
