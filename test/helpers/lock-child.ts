/**
 * A process that tries to take a directory's lock at a given moment, for the test of processes
 * starting together: prints "ready", waits for "go <time>" on stdin, spins until that time, tries,
 * and prints "got" (then holds the lock for a while) or "refused <message>".
 */
import { acquireLock } from '../../src/run-lock.ts';

const dir = process.argv[2]!;
process.stdout.write('ready\n');
process.stdin.once('data', (d) => {
  const at = Number(String(d).trim().split(' ')[1]);
  while (Date.now() < at) {
    // spin, so that every process tries within a millisecond or so
  }
  try {
    const release = acquireLock(dir, 'out', 'trained');
    process.stdout.write('got\n');
    setTimeout(() => {
      release();
      process.exit(0);
    }, 800);
  } catch (e) {
    process.stdout.write(`refused ${(e as Error).message}\n`);
    process.exit(0);
  }
});
