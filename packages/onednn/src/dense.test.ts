import { describe, expect, it } from 'vitest';
import { loadOneDnn, type Pool2dGeometry } from './index.js';

const load = loadOneDnn();
const run = load.available || process.env.IWLAB_ONEDNN_REQUIRED === '1';
if (!run && !load.available) console.warn(`@iwlab/onednn dense tests skipped: ${load.reason}`);

function dnn() {
  if (!load.available) throw new Error(`oneDNN unavailable: ${load.reason}`);
  return load.oneDnn;
}

function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

describe.runIf(run)('matmul against the definition', () => {
  it.each([
    [false, false, false, false],
    [true, false, false, false],
    [false, true, false, false],
    [true, true, false, false],
    [false, false, false, true],
    [false, true, true, false],
  ])('transposeA=%s transposeB=%s broadcastA=%s broadcastB=%s', (ta, tb, ba, bb) => {
    const [batch, m, n, k] = [3, 5, 4, 7];
    const a = randoms((ba ? 1 : batch) * m * k, 1);
    const b = randoms((bb ? 1 : batch) * k * n, 2);
    const out = new Float32Array(batch * m * n).fill(Number.NaN);
    dnn().matmul(
      { batch, m, n, k, transposeA: ta, transposeB: tb, broadcastA: ba, broadcastB: bb },
      a,
      b,
      out,
    );
    for (let i = 0; i < batch; i++) {
      const aAt = ba ? 0 : i * m * k;
      const bAt = bb ? 0 : i * k * n;
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < n; c++) {
          let sum = 0;
          for (let j = 0; j < k; j++) {
            const av = a[aAt + (ta ? j * m + r : r * k + j)] ?? Number.NaN;
            const bv = b[bAt + (tb ? c * k + j : j * n + c)] ?? Number.NaN;
            sum += av * bv;
          }
          expect(out[i * m * n + r * n + c]).toBeCloseTo(sum, 5);
        }
      }
    }
  });

  it('rejects operands whose length does not match the shape', () => {
    const s = { batch: 1, m: 2, n: 2, k: 2 };
    expect(() =>
      dnn().matmul(s, new Float32Array(3), new Float32Array(4), new Float32Array(4)),
    ).toThrow(/a has 3 values, the geometry needs 4/);
    expect(() =>
      dnn().matmul({ ...s, k: 0 }, new Float32Array(0), new Float32Array(0), new Float32Array(4)),
    ).toThrow(/matmul: k must be an integer/);
  });
});

describe.runIf(run)('sumRows', () => {
  it('sums every column over the rows', () => {
    const x = Float32Array.from([1, 2, 3, 10, 20, 30, -1, 0.5, 7]);
    const out = new Float32Array(3);
    dnn().sumRows(x, 3, 3, out);
    expect([...out]).toEqual([10, 22.5, 40]);
  });

  it('stays accurate over many rows (blocked float sums, double totals)', () => {
    const rows = 200_003;
    const x = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      x[2 * r] = 0.1;
      x[2 * r + 1] = r % 2 === 0 ? 1 : -1;
    }
    const out = new Float32Array(2);
    dnn().sumRows(x, rows, 2, out);
    expect(Math.abs((out[0] ?? 0) - rows * 0.1) / (rows * 0.1)).toBeLessThan(1e-6);
    expect(out[1]).toBe(1);
  });
});

describe.runIf(run)('maxPoolGrad against the definition', () => {
  // Each dy to the first maximum of its window (row-major), windows clipped to the image.
  function reference(g: Pool2dGeometry, x: Float32Array, dy: Float32Array): Float32Array {
    const dx = new Float32Array(x.length);
    const ch = g.inChannels;
    for (let b = 0; b < g.batchSize; b++)
      for (let oh = 0; oh < g.outHeight; oh++)
        for (let ow = 0; ow < g.outWidth; ow++)
          for (let c = 0; c < ch; c++) {
            let best = Number.NEGATIVE_INFINITY;
            let where = -1;
            for (let fh = 0; fh < g.filterHeight; fh++) {
              const h = oh * g.strideHeight - g.padInfo.top + fh;
              if (h < 0 || h >= g.inHeight) continue;
              for (let fw = 0; fw < g.filterWidth; fw++) {
                const w = ow * g.strideWidth - g.padInfo.left + fw;
                if (w < 0 || w >= g.inWidth) continue;
                const at = ((b * g.inHeight + h) * g.inWidth + w) * ch + c;
                if ((x[at] ?? Number.NaN) > best) {
                  best = x[at] ?? Number.NaN;
                  where = at;
                }
              }
            }
            const d = dy[((b * g.outHeight + oh) * g.outWidth + ow) * ch + c] ?? 0;
            if (where >= 0) dx[where] = (dx[where] ?? 0) + d;
          }
    return dx;
  }

  it.each([
    ['2x2 stride 2', 6, 2, 2, 0, 3],
    ['3x3 stride 2, same padding (overlapping windows)', 7, 3, 2, 1, 4],
    ['3x3 stride 1', 5, 3, 1, 0, 2],
  ])('%s, with ReLU ties', (_, size, filter, stride, pad, outSize) => {
    const g: Pool2dGeometry = {
      batchSize: 2,
      inHeight: size,
      inWidth: size,
      inChannels: 3,
      outHeight: outSize,
      outWidth: outSize,
      filterHeight: filter,
      filterWidth: filter,
      strideHeight: stride,
      strideWidth: stride,
      padInfo: { top: pad, left: pad },
    };
    // Half the values clipped to 0, as after a ReLU: ties must go to the first zero.
    const x = randoms(2 * size * size * 3, 3).map((v) => Math.max(0, v));
    const dy = randoms(2 * outSize * outSize * 3, 4);
    const dx = new Float32Array(x.length).fill(Number.NaN);
    dnn().maxPoolGrad(g, x, dy, dx);
    expect([...dx]).toEqual([...reference(g, x, dy)]);
  });
});

describe.runIf(run)('per-channel element-wise ops', () => {
  const rows = 7;
  const channels = 5;
  const full = randoms(rows * channels, 21);
  const perChannel = randoms(channels, 22);
  const at = (i: number) => perChannel[i % channels] ?? Number.NaN;

  it.each([
    ['add', false, (x: number, c: number) => x + c],
    ['sub', false, (x: number, c: number) => x - c],
    ['sub', true, (x: number, c: number) => c - x],
    ['mul', false, (x: number, c: number) => x * c],
  ] as const)('%s (per-channel operand first: %s)', (op, first, f) => {
    const out = new Float32Array(full.length).fill(Number.NaN);
    dnn().channelBinary(op, full, perChannel, out, { perChannelFirst: first });
    expect([...out]).toEqual([...full].map((x, i) => Math.fround(f(x, at(i)))));
  });

  it('affine: (x − center) · scale + shift per channel, accurate for a large center', () => {
    const shift = randoms(channels, 23);
    const center = randoms(channels, 24).map((v) => 1000 + v);
    const x = full.map((v, i) => (center[i % channels] ?? 0) + v);
    const out = new Float32Array(full.length);
    dnn().channelAffine(x, center, perChannel, shift, out);
    for (const [i, v] of x.entries()) {
      const c = center[i % channels] ?? Number.NaN;
      expect(out[i]).toBeCloseTo((v - c) * at(i) + (shift[i % channels] ?? Number.NaN), 4);
    }
  });

  it('rejects data that is not whole rows of channels, or an unknown op', () => {
    const out = new Float32Array(full.length);
    expect(() => dnn().channelBinary('mul', full, new Float32Array(6), out)).toThrow(
      /35 values are not whole rows of 6 channels/,
    );
    expect(() => dnn().channelBinary('div' as 'mul', full, perChannel, out)).toThrow(
      /unknown op "div"/,
    );
    expect(() =>
      dnn().channelAffine(full, perChannel, perChannel, new Float32Array(4), out),
    ).toThrow(/shift has 4 values/);
  });
});
