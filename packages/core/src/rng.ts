// Seeded randomness for everything iwlab does on the CPU side: shuffles, subsampling, synthetic
// data, and the integer seeds handed to tfjs initializers and dropout. The generator is
// pure-rand's xoroshiro128+ (small, fast, jumpable, with an exportable state for checkpoints).
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { SpecError } from './errors.js';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** Mixes integers into one 32-bit seed (a murmur3-style finalizer), so derived streams differ. */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Fold the high bits of large integers in too, so seeds differing above 2^32 still differ.
    const lo = part | 0;
    const hi = Math.floor(part / 0x1_0000_0000) | 0;
    for (const v of [lo, hi]) {
      h = Math.imul(h ^ v, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

export class Rng {
  readonly #gen: Generator;
  private constructor(gen: Generator) {
    this.#gen = gen;
  }

  /** A generator for `seed` (any safe integer). Same seed, same sequence, on every machine. */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) {
      throw new SpecError(`seed must be a safe integer, got ${seed}`, { field: 'seed' });
    }
    return new Rng(xoroshiro128plus(mixSeed(seed)));
  }

  /** Restores a generator saved with `state()` (checkpoints). */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || !state.every(Number.isInteger)) {
      throw new SpecError('RNG state must be 4 integers as written by Rng.state()', {
        field: 'rngState',
      });
    }
    return new Rng(xoroshiro128plusFromState(state));
  }

  /**
   * An independent stream for (seed, ...keys), e.g. `Rng.derive(seed, epoch)` for the shuffle of
   * one epoch. Stateless: it does not depend on how much of any other stream was consumed.
   */
  static derive(seed: number, ...keys: readonly number[]): Rng {
    return Rng.fromSeed(mixSeed(seed, ...keys));
  }

  state(): number[] {
    return [...this.#gen.getState()];
  }

  clone(): Rng {
    return Rng.fromState(this.state());
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.#gen);
  }

  /** Uniform integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.#gen, from, to);
  }

  /** A 31-bit non-negative integer, for tfjs ops that take a numeric seed. */
  seed(): number {
    return uniformInt(this.#gen, 0, 0x7fff_ffff);
  }

  /** Standard normal (Box-Muller; one value per call, the second is discarded for simplicity of state). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[];
  shuffle<A extends Int32Array | Uint32Array | Float32Array | Float64Array>(items: A): A;
  shuffle(items: { length: number; [i: number]: unknown }): unknown {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** `k` distinct indices of 0..n-1, in random order (partial Fisher-Yates). */
  sampleWithoutReplacement(n: number, k: number): Int32Array {
    if (k > n || k < 0) throw new RangeError(`cannot draw ${k} distinct items from ${n}`);
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    for (let i = 0; i < k; i++) {
      const j = this.int(i, n - 1);
      const tmp = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = tmp;
    }
    return pool.slice(0, k);
  }
}
