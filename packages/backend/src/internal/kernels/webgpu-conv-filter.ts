// The filter gradient of an NHWC convolution as one split-K GEMM on webgpu.
//
// dW[ky, kx, ci, co] = Σ_{b, oy, ox} x[b, oy·sh - padTop + ky, ox·sw - padLeft + kx, ci] · dy[b, oy, ox, co]
//
// is a matrix product A^T·B with M = kh·kw·Cin rows, N = Cout columns and a reduction over
// R = B·Ho·Wo, where A (an im2col of x) is read in place, never built. tfjs-backend-webgpu 4.22's own
// kernel gives each of the M·N outputs one thread that loops over all of R: for the first layer of
// the B&L CNN at batch 128 that is 1,728 threads each summing 115,200 products in sequence, a few
// dozen workgroups on a GPU with over a hundred multiprocessors. Here each workgroup computes a
// 32x32 tile of dW over one slice of R, with both operands staged through workgroup memory, and
// enough slices ("split K") to give the GPU ~1,024 workgroups. The slices' partial sums go to an
// [M·N, S] buffer that one Sum over its last axis adds up.
import * as tf from '@tensorflow/tfjs-core';
import { convInfo, type Pad, type Rounding, type WebgpuProgramBackend } from './geometry.js';

const TILE = 32;
/** Rows of the reduction staged per step (and the granularity of a slice). */
const TILE_K = 16;
/** Workgroups to aim for: several per multiprocessor on the GPUs this targets. */
const TARGET_WORKGROUPS = 1024;
/** The least reduction rows one slice gets, so a slice's loop amortizes its writes. */
const MIN_SLICE = 256;

// Uniforms, in the order runWebGPUProgram receives their values.
const UNIFORMS = [
  'padTop',
  'padLeft',
  'strideH',
  'strideW',
  'filterW',
  'inH',
  'inW',
  'inC',
  'outH',
  'outW',
  'rows',
  'cols',
  'reduceSize',
  'tilesPerSlice',
  'slices',
] as const;

class Conv2DFilterGradSplitKProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms = UNIFORMS.map((name) => `${name} : i32,`).join(' ');
  // 128 invocations: WebGPU compatibility mode's limit, so llvmpipe (CI) runs the same shader.
  readonly workgroupSize: [number, number, number] = [8, 16, 1];
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  readonly shaderKey = 'iwlabConv2DFilterGradSplitK';

  constructor(rows: number, cols: number, slices: number) {
    this.outputShape = [rows * cols, slices];
    this.dispatch = [Math.ceil(cols / TILE), Math.ceil(rows / TILE), slices];
  }

  getUserCode(): string {
    // Thread (tx, ty) of the 8x16 workgroup owns rows 2·ty + {0,1} and columns 4·tx + {0..3} of
    // the 32x32 tile. Each step stages TILE_K reduction rows of both operands: a thread stages
    // column j of each at rows k0 + 4i (i = 0..3), so its im2col row m = row0 + j (filter tap and
    // input channel) and its dy column are decoded once, outside the loops. The loop's trip count
    // is a uniform, so the barriers sit in uniform control flow; the slice's start only enters
    // addresses.
    return `
      var<workgroup> tileA : array<array<f32, ${TILE}>, ${TILE_K}>;
      var<workgroup> tileB : array<array<f32, ${TILE}>, ${TILE_K}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let flat = ty * 8 + tx;
        let col0 = i32(workgroupId.x) * ${TILE};
        let row0 = i32(workgroupId.y) * ${TILE};
        let slice = i32(workgroupId.z);
        let sliceStart = slice * uniforms.tilesPerSlice * ${TILE_K};
        let j = flat % ${TILE};
        let k0 = flat / ${TILE};
        let m = row0 + j;
        let n = col0 + j;
        let mValid = m < uniforms.rows;
        let nValid = n < uniforms.cols;
        let ci = m % uniforms.inC;
        let yOffset = m / (uniforms.inC * uniforms.filterW) - uniforms.padTop;
        let xOffset = (m / uniforms.inC) % uniforms.filterW - uniforms.padLeft;
        var acc : array<array<f32, 4>, 2>;
        for (var t = 0; t < uniforms.tilesPerSlice; t = t + 1) {
          let r0 = sliceStart + t * ${TILE_K} + k0;
          for (var i = 0; i < 4; i = i + 1) {
            let r = r0 + i * 4;
            var a = 0.0;
            var b = 0.0;
            if (r < uniforms.reduceSize) {
              // im2col(x)[r, m], read in place: 0 outside the image.
              let ox = r % uniforms.outW;
              let rest = r / uniforms.outW;
              let oy = rest % uniforms.outH;
              let batch = rest / uniforms.outH;
              let iy = oy * uniforms.strideH + yOffset;
              let ix = ox * uniforms.strideW + xOffset;
              if (mValid && iy >= 0 && iy < uniforms.inH && ix >= 0 && ix < uniforms.inW) {
                a = x[((batch * uniforms.inH + iy) * uniforms.inW + ix) * uniforms.inC + ci];
              }
              if (nValid) {
                b = dy[r * uniforms.cols + n];
              }
            }
            tileA[k0 + i * 4][j] = a;
            tileB[k0 + i * 4][j] = b;
          }
          workgroupBarrier();
          for (var k = 0; k < ${TILE_K}; k = k + 1) {
            let a0 = tileA[k][ty * 2];
            let a1 = tileA[k][ty * 2 + 1];
            for (var c = 0; c < 4; c = c + 1) {
              let bv = tileB[k][tx * 4 + c];
              acc[0][c] = fma(a0, bv, acc[0][c]);
              acc[1][c] = fma(a1, bv, acc[1][c]);
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < 2; i = i + 1) {
          let row = row0 + ty * 2 + i;
          for (var c = 0; c < 4; c = c + 1) {
            let col = col0 + tx * 4 + c;
            if (row < uniforms.rows && col < uniforms.cols) {
              result[(row * uniforms.cols + col) * uniforms.slices + slice] = acc[i][c];
            }
          }
        }
      }
    `;
  }
}

/** How many slices to split a reduction of `reduceSize` rows into, for a grid of `tiles` tiles. */
function sliceCount(tiles: number, reduceSize: number): number {
  const wanted = Math.ceil(TARGET_WORKGROUPS / tiles);
  const most = Math.max(1, Math.floor(reduceSize / MIN_SLICE));
  return Math.max(1, Math.min(wanted, most));
}

/**
 * dW of `y = conv2d(x, filter, strides, pad)` (NHWC, float32, no dilation) on the webgpu backend.
 * Returns a Tensor (fast kernels may); the partial-sum buffer is disposed here.
 */
export function conv2dFilterGradientSplitK(
  backend: WebgpuProgramBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  filterShape: readonly [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
  const [kh, kw, inC, outC] = filterShape;
  const rows = kh * kw * inC;
  const cols = outC;
  const reduceSize = info.batchSize * info.outHeight * info.outWidth;
  const tiles = Math.ceil(rows / TILE) * Math.ceil(cols / TILE);
  const slices = sliceCount(tiles, reduceSize);
  const tilesPerSlice = Math.ceil(reduceSize / slices / TILE_K);
  const values: Record<(typeof UNIFORMS)[number], number> = {
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    filterW: kw,
    inH: info.inHeight,
    inW: info.inWidth,
    inC,
    outH: info.outHeight,
    outW: info.outWidth,
    rows,
    cols,
    reduceSize,
    tilesPerSlice,
    slices,
  };
  const program = new Conv2DFilterGradSplitKProgram(rows, cols, slices);
  const partial = tf.engine().makeTensorFromTensorInfo(
    backend.runWebGPUProgram(
      program,
      [x, dy],
      'float32',
      UNIFORMS.map((name) => ({ type: 'int32', data: [values[name]] })),
    ),
  );
  const grad = tf.tidy(() =>
    tf.reshape(slices === 1 ? partial : tf.sum(partial, 1), [kh, kw, inC, outC]),
  ) as tf.Tensor4D;
  partial.dispose();
  return grad;
}
