import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

const BIN = join(__dirname, '..', '..', 'bin', 'metarl.mjs');

/** Runs the `metarl` command line in a child process. */
export function metarl(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 2, one line on stderr naming `field` and `value`, no stack trace. */
export function expectUserError(r: ReturnType<typeof metarl>, ...fragments: string[]) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('metarl: backend'));
  expect(lines).toHaveLength(1);
  for (const f of fragments) expect(lines[0]).toContain(f);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
