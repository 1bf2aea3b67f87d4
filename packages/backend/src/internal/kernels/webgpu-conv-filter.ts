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
import { convInfo, type Pad, type Rounding } from './geometry.js';

/** The parts of tfjs-backend-webgpu's backend a custom program needs. */
export interface WebgpuProgramBackend {
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

export function isWebgpuProgramBackend(backend: unknown): backend is WebgpuProgramBackend {
  return typeof (backend as Partial<WebgpuProgramBackend> | null)?.runWebGPUProgram === 'function';
}

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
    // the 32x32 tile. Each step stages TILE_K reduction rows of both operands (4 values of each
    // per thread). The loop's trip count is a uniform, so the barriers sit in uniform control
    // flow; the slice's start only enters addresses.
    return `
      var<workgroup> tileA : array<array<f32, ${TILE}>, ${TILE_K}>;
      var<workgroup> tileB : array<array<f32, ${TILE}>, ${TILE_K}>;

      // im2col(x)[r, m], read in place: 0 outside the image and past the reduction.
      fn loadA(r : i32, m : i32) -> f32 {
        if (r >= uniforms.reduceSize || m >= uniforms.rows) { return 0.0; }
        let ox = r % uniforms.outW;
        let oy = (r / uniforms.outW) % uniforms.outH;
        let b = r / (uniforms.outW * uniforms.outH);
        let ci = m % uniforms.inC;
        let kx = (m / uniforms.inC) % uniforms.filterW;
        let ky = m / (uniforms.inC * uniforms.filterW);
        let iy = oy * uniforms.strideH - uniforms.padTop + ky;
        let ix = ox * uniforms.strideW - uniforms.padLeft + kx;
        if (iy < 0 || iy >= uniforms.inH || ix < 0 || ix >= uniforms.inW) { return 0.0; }
        return x[((b * uniforms.inH + iy) * uniforms.inW + ix) * uniforms.inC + ci];
      }

      fn loadB(r : i32, n : i32) -> f32 {
        if (r >= uniforms.reduceSize || n >= uniforms.cols) { return 0.0; }
        return dy[r * uniforms.cols + n];
      }

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let flat = ty * 8 + tx;
        let col0 = i32(workgroupId.x) * ${TILE};
        let row0 = i32(workgroupId.y) * ${TILE};
        let slice = i32(workgroupId.z);
        let sliceStart = slice * uniforms.tilesPerSlice * ${TILE_K};
        var acc : array<array<f32, 4>, 2>;
        for (var t = 0; t < uniforms.tilesPerSlice; t = t + 1) {
          let r0 = sliceStart + t * ${TILE_K};
          for (var i = 0; i < 4; i = i + 1) {
            let e = flat + i * 128;
            let k = e / ${TILE};
            let j = e % ${TILE};
            tileA[k][j] = loadA(r0 + k, row0 + j);
            tileB[k][j] = loadB(r0 + k, col0 + j);
          }
          workgroupBarrier();
          for (var k = 0; k < ${TILE_K}; k = k + 1) {
            let a0 = tileA[k][ty * 2];
            let a1 = tileA[k][ty * 2 + 1];
            for (var j = 0; j < 4; j = j + 1) {
              let bv = tileB[k][tx * 4 + j];
              acc[0][j] = fma(a0, bv, acc[0][j]);
              acc[1][j] = fma(a1, bv, acc[1][j]);
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < 2; i = i + 1) {
          let row = row0 + ty * 2 + i;
          for (var j = 0; j < 4; j = j + 1) {
            let col = col0 + tx * 4 + j;
            if (row < uniforms.rows && col < uniforms.cols) {
              result[(row * uniforms.cols + col) * uniforms.slices + slice] = acc[i][j];
            }
          }
        }
      }
    `;
  }
}

/** How many slices to split a reduction of `reduceSize` rows into, for a grid of `tiles` tiles. */
export function sliceCount(tiles: number, reduceSize: number): number {
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
