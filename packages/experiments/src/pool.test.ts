import { describe, expect, it } from 'vitest';
import { childEnvironment } from './pool.js';

describe('childEnvironment', () => {
  it('splits the cores between the sweep children for the native kernels', () => {
    expect(childEnvironment(2, { PATH: '/bin' }, 2)).toEqual({
      PATH: '/bin',
      OMP_NUM_THREADS: '1',
    });
    expect(childEnvironment(4, {}, 16).OMP_NUM_THREADS).toBe('4');
    expect(childEnvironment(3, {}, 8).OMP_NUM_THREADS).toBe('2');
  });

  it('gives every child at least one thread', () => {
    expect(childEnvironment(8, {}, 2).OMP_NUM_THREADS).toBe('1');
  });

  it("keeps the user's own OMP_NUM_THREADS", () => {
    expect(childEnvironment(2, { OMP_NUM_THREADS: '3' }, 2).OMP_NUM_THREADS).toBe('3');
    expect(childEnvironment(2, { OMP_NUM_THREADS: '' }, 2).OMP_NUM_THREADS).toBe('1');
  });
});
