/**
 * How often processes that start at the same moment each take a run directory's lock: per round,
 * `--procs` processes, loaded and waiting, are given the same millisecond (50 ms ahead) to call
 * acquireLock at, on one directory holding a
 * lock of a process that is gone (`--lock stale`), an empty lock file (`empty`) or none (`none`);
 * one that takes it holds it for 0.8 s. Prints, per round, how many took it, and the rounds in which
 * not exactly one did, another failed otherwise, or files were left once all had ended (which must be 0).
 *
 *   npx tsx scripts/lock-race.ts [--rounds 10] [--procs 6] [--lock stale|empty|none]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, acquireLock } from '../src/run-lock.ts';
import { scriptArgs } from './args.ts';

// --child DIR: one contender (the script starts them itself).
const o = scriptArgs('lock-race', { rounds: 10, procs: 6, lock: ['stale', 'empty', 'none'], child: '' });

if (o.child !== '') {
  // One contender: says it is ready, waits (blocked, not spinning) for the moment, spins to it, tries.
  process.stdout.write('ready\n');
  process.stdin.once('data', (d: Buffer) => {
    const at = Number(String(d).trim());
    while (Date.now() < at) {
      // spin, so that every process tries within a millisecond or so
    }
    try {
      const release = acquireLock(o.child, 'out', 'trained');
      process.stdout.write('got\n');
      setTimeout(() => {
        release();
        process.exit(0);
      }, 800);
    } catch (e) {
      process.stdout.write(`refused: ${(e as Error).message.split(' (')[0]}\n`);
      process.exit(0);
    }
  });
} else {
  const { rounds, procs, lock } = o;
  let bad = 0;
  for (let r = 0; r < rounds; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'metarl-lockrace-'));
    if (lock !== 'none') writeFileSync(join(dir, LOCK_FILE), lock === 'stale' ? '999999\n' : '');
    // This file, as it runs: the TypeScript through tsx, or its compiled build (scripts/build.mjs), which needs no loader.
    const self = [...(import.meta.filename.endsWith('.ts') ? ['--import', 'tsx'] : []), import.meta.filename];
    const children = Array.from({ length: procs }, () => spawn(process.execPath, [...self, '--child', dir]));
    const results = children.map((c) => {
      let s = '';
      const ready = new Promise<void>((res) => c.stdout.on('data', (d: Buffer) => {
        s += d.toString();
        if (s.startsWith('ready\n')) res();
      }));
      c.stderr.on('data', (d: Buffer) => (s += d.toString()));
      return { ready, done: new Promise<string>((res) => c.on('exit', () => res(s.replace(/^ready\n/, '').trim()))) };
    });
    // Every one loaded and waiting: the same moment, 50 ms from now, for all.
    await Promise.all(results.map((r) => r.ready));
    const at = Date.now() + 50;
    for (const c of children) c.stdin.write(`${at}\n`);
    const outputs = await Promise.all(results.map((r) => r.done));
    const got = outputs.filter((x) => x === 'got').length;
    // The others must be refused as such, and nothing may be left once all have ended.
    const odd = outputs.filter((x) => x !== 'got' && x !== 'refused: out: is being trained');
    const left = readdirSync(dir);
    if (got !== 1 || odd.length > 0 || left.length > 0) bad++;
    console.log(`round ${r + 1}: ${got} of ${procs} took the lock${odd.length > 0 ? `; others said: ${odd.join(' | ')}` : ''}${left.length > 0 ? `; left behind: ${left.join(', ')}` : ''}`);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`rounds in which not exactly one took it (or one failed otherwise, or files were left): ${bad} of ${rounds}`);
}
