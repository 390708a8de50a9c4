import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/rng.ts';

const draw = (r: { uniform(): number }, n: number) => Array.from({ length: n }, () => r.uniform());

describe('Rng streams', () => {
  it('same seed and coordinates give the same numbers', () => {
    expect(draw(createRng(5).fork('env', 3, 1, 2), 5)).toEqual(draw(createRng(5).fork('env', 3, 1, 2), 5));
  });

  it('a fork does not depend on how much of the parent was consumed', () => {
    const a = createRng(5);
    const b = createRng(5);
    draw(b, 100);
    b.normal();
    expect(draw(a.fork('tasks', 7), 4)).toEqual(draw(b.fork('tasks', 7), 4));
  });

  it('different coordinates, seeds or nesting give different streams', () => {
    const base = draw(createRng(5).fork('env', 1, 2), 3);
    expect(draw(createRng(5).fork('env', 2, 1), 3)).not.toEqual(base);
    expect(draw(createRng(6).fork('env', 1, 2), 3)).not.toEqual(base);
    expect(draw(createRng(5).fork('env', 1).fork(2), 3)).toEqual(base); // fork(a).fork(b) ≡ fork(a, b)
    expect(draw(createRng(5).fork('env', 12), 3)).not.toEqual(base);
  });

  it('uniform, int, normal and permutation have the right ranges and moments', () => {
    const r = createRng(1);
    const u = draw(r, 20000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((a, b) => a + b) / u.length).toBeCloseTo(0.5, 1);
    const z = Array.from({ length: 20000 }, () => r.normal());
    const m = z.reduce((a, b) => a + b) / z.length;
    const v = z.reduce((a, b) => a + (b - m) ** 2, 0) / z.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    const ints = Array.from({ length: 1000 }, () => r.int(3));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2]));
    expect([...r.permutation(10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects bad seeds and coordinates with the value in the message', () => {
    expect(() => createRng(-1)).toThrow(/-1/);
    expect(() => createRng(1.5)).toThrow(/1.5/);
    expect(() => createRng(1).fork(0.5)).toThrow(/0.5/);
  });
});
