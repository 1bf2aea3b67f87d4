import { describe, expect, it } from 'vitest';
import { type Conv2dGeometry, loadOneDnn } from './index.js';

// CI installs oneDNN and sets IWLAB_ONEDNN_REQUIRED=1, so a broken build fails there instead of
// skipping; elsewhere the suite skips with the reason.
const load = loadOneDnn();
const required = process.env.IWLAB_ONEDNN_REQUIRED === '1';
if (!load.available && !required) {
  console.warn(`@iwlab/onednn tests skipped: ${load.reason}`);
}
const run = load.available || required;

function geometry(
  batch: number,
  size: number,
  inC: number,
  outC: number,
  filter: number,
  stride: number,
  pad: 'same' | 'valid',
  dilation = 1,
): Conv2dGeometry {
  const span = (filter - 1) * dilation + 1;
  const out = pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
  const total = pad === 'same' ? Math.max(0, (out - 1) * stride + span - size) : 0;
  const before = Math.floor(total / 2);
  return {
    batchSize: batch,
    inHeight: size,
    inWidth: size,
    inChannels: inC,
    outHeight: out,
    outWidth: out,
    outChannels: outC,
    filterHeight: filter,
    filterWidth: filter,
    strideHeight: stride,
    strideWidth: stride,
    dilationHeight: dilation,
    dilationWidth: dilation,
    padInfo: { top: before, bottom: total - before, left: before, right: total - before },
  };
}

// Deterministic values in [-1, 1) without a dependency: a linear congruential stream.
function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

// The definition of a convolution, looped: every (output, filter tap) pair whose input position
// falls inside the image contributes. `visit` receives flat NHWC / HWIO / NHWC indices.
function eachTap(g: Conv2dGeometry, visit: (xi: number, wi: number, yi: number) => void) {
  for (let b = 0; b < g.batchSize; b++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++)
        for (let fh = 0; fh < g.filterHeight; fh++) {
          const ih = oh * g.strideHeight - g.padInfo.top + fh * g.dilationHeight;
          if (ih < 0 || ih >= g.inHeight) continue;
          for (let fw = 0; fw < g.filterWidth; fw++) {
            const iw = ow * g.strideWidth - g.padInfo.left + fw * g.dilationWidth;
            if (iw < 0 || iw >= g.inWidth) continue;
            for (let ci = 0; ci < g.inChannels; ci++)
              for (let co = 0; co < g.outChannels; co++) {
                const xi = ((b * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + ci;
                const wi = ((fh * g.filterWidth + fw) * g.inChannels + ci) * g.outChannels + co;
                const yi = ((b * g.outHeight + oh) * g.outWidth + ow) * g.outChannels + co;
                visit(xi, wi, yi);
              }
          }
        }
}

function sizes(g: Conv2dGeometry) {
  return {
    input: g.batchSize * g.inHeight * g.inWidth * g.inChannels,
    output: g.batchSize * g.outHeight * g.outWidth * g.outChannels,
    filter: g.filterHeight * g.filterWidth * g.inChannels * g.outChannels,
  };
}

function expectClose(actual: Float32Array, expected: Float64Array) {
  const scale = Math.max(1, ...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)) / scale);
  }
  expect(worst).toBeLessThanOrEqual(1e-5);
}

const CASES: [string, Conv2dGeometry][] = [
  ['RGB input, valid (kept NHWC)', geometry(2, 9, 3, 8, 3, 1, 'valid')],
  ['same, stride 1, blocked', geometry(2, 8, 16, 24, 3, 1, 'same')],
  ['same, stride 2, odd size', geometry(3, 7, 8, 16, 3, 2, 'same')],
  ['valid, stride 2', geometry(2, 10, 16, 16, 3, 2, 'valid')],
  ['1x1, stride 2 (ResNet shortcut)', geometry(2, 8, 16, 32, 1, 2, 'same')],
  ['dilation 2', geometry(1, 9, 4, 5, 3, 1, 'valid', 2)],
];

describe.runIf(run)('oneDNN convolutions against the looped definition', () => {
  const dnn = () => {
    if (!load.available) throw new Error(`oneDNN unavailable: ${load.reason}`);
    return load.oneDnn;
  };

  it('reports its version and instruction set', () => {
    expect(dnn().version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(dnn().isa).not.toBe('');
  });

  it.each(CASES)('forward: %s', (_, g) => {
    const n = sizes(g);
    const x = randoms(n.input, 1);
    const w = randoms(n.filter, 2);
    const expected = new Float64Array(n.output);
    eachTap(g, (xi, wi, yi) => {
      expected[yi] = (expected[yi] ?? 0) + (x[xi] ?? 0) * (w[wi] ?? 0);
    });
    const out = new Float32Array(n.output).fill(Number.NaN);
    dnn().conv2dForward(g, x, w, out);
    expectClose(out, expected);
  });

  it('forward with bias and fused relu', () => {
    const g = geometry(2, 6, 8, 16, 3, 1, 'same');
    const n = sizes(g);
    const x = randoms(n.input, 3);
    const w = randoms(n.filter, 4);
    const bias = randoms(g.outChannels, 5);
    const expected = new Float64Array(n.output);
    eachTap(g, (xi, wi, yi) => {
      expected[yi] = (expected[yi] ?? 0) + (x[xi] ?? 0) * (w[wi] ?? 0);
    });
    for (let i = 0; i < n.output; i++) {
      expected[i] = Math.max(0, (expected[i] ?? 0) + (bias[i % g.outChannels] ?? 0));
    }
    const out = new Float32Array(n.output);
    dnn().conv2dForward(g, x, w, out, { bias, relu: true });
    expectClose(out, expected);
    expect(out.some((v) => v === 0)).toBe(true);
    expect(out.some((v) => v > 0)).toBe(true);
  });

  it.each(CASES)('backward data: %s', (_, g) => {
    const n = sizes(g);
    const dy = randoms(n.output, 6);
    const w = randoms(n.filter, 7);
    const expected = new Float64Array(n.input);
    eachTap(g, (xi, wi, yi) => {
      expected[xi] = (expected[xi] ?? 0) + (dy[yi] ?? 0) * (w[wi] ?? 0);
    });
    const dx = new Float32Array(n.input).fill(Number.NaN);
    dnn().conv2dBackwardData(g, dy, w, dx);
    expectClose(dx, expected);
  });

  it.each(CASES)('backward weights: %s', (_, g) => {
    const n = sizes(g);
    const x = randoms(n.input, 8);
    const dy = randoms(n.output, 9);
    const expected = new Float64Array(n.filter);
    eachTap(g, (xi, wi, yi) => {
      expected[wi] = (expected[wi] ?? 0) + (x[xi] ?? 0) * (dy[yi] ?? 0);
    });
    const dw = new Float32Array(n.filter).fill(Number.NaN);
    dnn().conv2dBackwardWeights(g, x, dy, dw);
    expectClose(dw, expected);
  });

  it('gives the same bits on a repeated call, and reuses its compiled plan', () => {
    const g = geometry(2, 8, 16, 16, 3, 1, 'same');
    const n = sizes(g);
    const x = randoms(n.input, 10);
    const dy = randoms(n.output, 11);
    const first = new Float32Array(n.filter);
    const second = new Float32Array(n.filter);
    dnn().conv2dBackwardWeights(g, x, dy, first);
    const plans = dnn().cachedPlans();
    dnn().conv2dBackwardWeights(g, x, dy, second);
    expect(dnn().cachedPlans()).toBe(plans);
    expect(second).toEqual(first);
  });

  it('works on views into a larger buffer (as tensors on the wasm heap are)', () => {
    const g = geometry(1, 5, 8, 8, 3, 1, 'same');
    const n = sizes(g);
    const heap = new Float32Array(n.input + n.filter + n.output + 7);
    heap.set(randoms(n.input, 12), 3);
    heap.set(randoms(n.filter, 13), 3 + n.input);
    const x = heap.subarray(3, 3 + n.input);
    const w = heap.subarray(3 + n.input, 3 + n.input + n.filter);
    const out = heap.subarray(3 + n.input + n.filter, 3 + n.input + n.filter + n.output);
    const expected = new Float64Array(n.output);
    eachTap(g, (xi, wi, yi) => {
      expected[yi] = (expected[yi] ?? 0) + (x[xi] ?? 0) * (w[wi] ?? 0);
    });
    dnn().conv2dForward(g, x, w, out);
    expectClose(out, expected);
    expect(heap.subarray(0, 3)).toEqual(new Float32Array(3));
    expect(heap.subarray(heap.length - 4)).toEqual(new Float32Array(4));
  });

  it('rejects a wrong length or an inconsistent geometry, naming the field', () => {
    const g = geometry(1, 5, 8, 8, 3, 1, 'same');
    const n = sizes(g);
    const x = new Float32Array(n.input);
    const w = new Float32Array(n.filter);
    expect(() => dnn().conv2dForward(g, x, w, new Float32Array(n.output - 1))).toThrow(
      /out has \d+ values, the geometry needs/,
    );
    expect(() =>
      dnn().conv2dForward({ ...g, outHeight: 4 }, x, w, new Float32Array(n.output)),
    ).toThrow(/outHeight is 4/);
    expect(() =>
      dnn().conv2dForward({ ...g, strideWidth: 0 }, x, w, new Float32Array(n.output)),
    ).toThrow(/strideWidth must be an integer/);
    expect(() => dnn().setThreads(0)).toThrow(/setThreads/);
  });
});

describe('loading', () => {
  it('says why when the add-on is unavailable, and never throws', () => {
    const again = loadOneDnn();
    expect(again).toBe(load);
    if (!again.available) expect(again.reason).toMatch(/libdnnl|add-on/);
  });
});
