import { describe, expect, it } from 'vitest';
import { mixSeed, Rng } from './rng.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = Rng.fromSeed(7);
    const b = Rng.fromSeed(7);
    const c = Rng.fromSeed(8);
    const seqA = Array.from({ length: 5 }, () => a.float());
    expect(Array.from({ length: 5 }, () => b.float())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.float())).not.toEqual(seqA);
  });

  it('restores from its state exactly', () => {
    const a = Rng.fromSeed(1);
    a.float();
    const saved = a.state();
    const next = [a.int(0, 100), a.float()];
    const b = Rng.fromState(saved);
    expect([b.int(0, 100), b.float()]).toEqual(next);
  });

  it('derives streams that do not depend on the parent stream', () => {
    const x = Rng.derive(3, 0).permutation(10);
    const y = Rng.derive(3, 1).permutation(10);
    expect(Rng.derive(3, 0).permutation(10)).toEqual(x);
    expect(y).not.toEqual(x);
    expect([...x].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('draws floats in [0, 1) with a plausible mean, and normals with mean 0 and sd 1', () => {
    const r = Rng.fromSeed(11);
    const u = Array.from({ length: 20000 }, () => r.float());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((s, v) => s + v, 0) / u.length).toBeCloseTo(0.5, 1);
    const n = Array.from({ length: 20000 }, () => r.normal());
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(mean).toBeCloseTo(0, 1);
    expect(sd).toBeCloseTo(1, 1);
  });

  it('samples distinct indices without replacement', () => {
    const s = Rng.fromSeed(2).sampleWithoutReplacement(50, 20);
    expect(new Set(s).size).toBe(20);
    expect(() => Rng.fromSeed(2).sampleWithoutReplacement(3, 4)).toThrow(/cannot draw 4/);
  });

  it('rejects seeds that are not safe integers, naming the field', () => {
    expect(() => Rng.fromSeed(1.5)).toThrow(/seed/);
  });

  it('mixes large seeds apart', () => {
    expect(mixSeed(1)).not.toBe(mixSeed(1 + 2 ** 32));
  });
});
