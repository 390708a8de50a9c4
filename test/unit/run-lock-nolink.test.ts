/**
 * Run locks on a filesystem without hard links (some network and FUSE mounts): linkSync fails with
 * EPERM (node:fs mocked in this file only), and the lock is created exclusively instead.
 */
import { describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, acquireLock, processIdentity } from '../../src/run-lock.ts';

const links = vi.hoisted(() => ({ tried: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    linkSync: () => {
      links.tried++;
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    },
  };
});

describe('run locks without hard links', () => {
  it('are taken, refused to a second call, released, and taken over when stale (found by a review: every train failed with EPERM)', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'metarl-nolink-'));
    const release = acquireLock(dir, '--out', 'trained');
    expect(links.tried).toBeGreaterThan(0);
    expect(fs.readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n${processIdentity(process.pid) ?? ''}\n`);
    expect(() => acquireLock(dir, '--out', 'trained')).toThrow('by another call in this process');
    release();
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.writeFileSync(join(dir, LOCK_FILE), '999999\n'); // a process that is gone
    acquireLock(dir, '--out', 'trained')();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
