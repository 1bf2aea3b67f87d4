// The filter gradient of an NHWC convolution as one split-K GEMM on webgpu.
//
// dW[ky, kx, ci, co] = Σ_{b, oy, ox} x[b, oy·sh - padTop + ky, ox·sw - padLeft + kx, ci] · dy[b, oy, ox, co]
//
// is a matrix product A^T·B with M = kh·kw·Cin rows, N = Cout columns and a reduction over
// R = B·Ho·Wo, where A (an im2col of x) is read in place, never built. tfjs-backend-webgpu 4.22's own
// kernel gives each of the M·N outputs one thread that loops over all of R: for the first layer of
// the B&L CNN at batch 128 that is 1,728 threads each summing 115,200 products in sequence, a few
// dozen workgroups on a GPU with over a hundred multiprocessors. Here each workgroup computes a
// square tile of dW (64x64 by default) over one slice of R, with both operands staged through
// workgroup memory, and enough slices ("split K") to give the GPU ~1,024 workgroups. The slices'
// partial sums go to an [M·N, S] buffer that one Sum over its last axis adds up.
//
// A 64x64 tile gives each thread 4x8 outputs instead of 2x4: twice the multiply-adds per
// workgroup-memory read, a quarter of the workgroups per slice (more slices make up for it). It
// also pads small gradients more (27x32 for a 3-channel input and 32 filters fills a fifth of a
// 64x64 tile), so by default each gradient takes the 64x64 tile unless that pads it by over a
// quarter more than 32x32 would. The tfjs flag IWLAB_WEBGPU_FILTER_TILE forces 32 or 64 (0: that
// choice). On llvmpipe the five B&L layers at batch 8 took ~800 ms with 64x64 against ~1,240 ms
// with 32x32; on a GPU neither is measured yet (bench/gpu-session.sh runs both). Both are checked
// against the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { convInfo, type Pad, type Rounding, type WebgpuProgramBackend } from './geometry.js';

/** The tfjs flag that picks the tile edge. */
export const FILTER_TILE_FLAG = 'IWLAB_WEBGPU_FILTER_TILE';
const TILES = [32, 64] as const;
type Tile = (typeof TILES)[number];

let flagRegistered = false;

/** Registers IWLAB_WEBGPU_FILTER_TILE with tfjs (default 0: chosen per gradient); idempotent. */
export function registerFilterTileFlag(): void {
  if (flagRegistered) return;
  flagRegistered = true;
  tf.env().registerFlag(FILTER_TILE_FLAG, () => 0);
}

/** The flag's tile, or the larger one unless it pads an M x N gradient by over 25% more. */
function filterTile(rows: number, cols: number): Tile {
  const forced = flagRegistered ? tf.env().getNumber(FILTER_TILE_FLAG) : 0;
  if (forced !== 0) {
    if (!TILES.includes(forced as Tile)) {
      throw new Error(`${FILTER_TILE_FLAG} must be 0 (choose), 32 or 64, got ${forced}`);
    }
    return forced as Tile;
  }
  const padded = (t: number) => Math.ceil(rows / t) * t * Math.ceil(cols / t) * t;
  return padded(64) <= 1.25 * padded(32) ? 64 : 32;
}

/** The workgroup: 8 threads across the tile's columns, 16 down its rows (128 in all). */
const THREADS_X = 8;
const THREADS_Y = 16;
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
  readonly workgroupSize: [number, number, number] = [THREADS_X, THREADS_Y, 1];
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    rows: number,
    cols: number,
    slices: number,
    private readonly tile: Tile,
  ) {
    this.outputShape = [rows * cols, slices];
    this.dispatch = [Math.ceil(cols / tile), Math.ceil(rows / tile), slices];
    this.shaderKey = `iwlabConv2DFilterGradSplitK${tile}`;
  }

  getUserCode(): string {
    // Thread (tx, ty) of the 8x16 workgroup owns RM rows from RM·ty and RN columns from RN·tx of
    // the tile (2x4 of 32x32, 4x8 of 64x64). Each step stages TILE_K reduction rows of both
    // operands: a thread stages column j of each at rows k0 + STEP·i, so its im2col row
    // m = row0 + j (filter tap and input channel) and its dy column are decoded once, outside the
    // loops. The loop's trip count is a uniform, so the barriers sit in uniform control flow; the
    // slice's start only enters addresses.
    const tile = this.tile;
    const rm = tile / THREADS_Y;
    const rn = tile / THREADS_X;
    const step = (THREADS_X * THREADS_Y) / tile;
    const loads = TILE_K / step;
    return `
      var<workgroup> tileA : array<array<f32, ${tile}>, ${TILE_K}>;
      var<workgroup> tileB : array<array<f32, ${tile}>, ${TILE_K}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let flat = ty * ${THREADS_X} + tx;
        let col0 = i32(workgroupId.x) * ${tile};
        let row0 = i32(workgroupId.y) * ${tile};
        let slice = i32(workgroupId.z);
        let sliceStart = slice * uniforms.tilesPerSlice * ${TILE_K};
        let j = flat % ${tile};
        let k0 = flat / ${tile};
        let m = row0 + j;
        let n = col0 + j;
        let mValid = m < uniforms.rows;
        let nValid = n < uniforms.cols;
        let ci = m % uniforms.inC;
        let yOffset = m / (uniforms.inC * uniforms.filterW) - uniforms.padTop;
        let xOffset = (m / uniforms.inC) % uniforms.filterW - uniforms.padLeft;
        var acc : array<array<f32, ${rn}>, ${rm}>;
        for (var t = 0; t < uniforms.tilesPerSlice; t = t + 1) {
          let r0 = sliceStart + t * ${TILE_K} + k0;
          for (var i = 0; i < ${loads}; i = i + 1) {
            let r = r0 + i * ${step};
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
            tileA[k0 + i * ${step}][j] = a;
            tileB[k0 + i * ${step}][j] = b;
          }
          workgroupBarrier();
          for (var k = 0; k < ${TILE_K}; k = k + 1) {
            var av : array<f32, ${rm}>;
            for (var i = 0; i < ${rm}; i = i + 1) { av[i] = tileA[k][ty * ${rm} + i]; }
            for (var c = 0; c < ${rn}; c = c + 1) {
              let bv = tileB[k][tx * ${rn} + c];
              for (var i = 0; i < ${rm}; i = i + 1) { acc[i][c] = fma(av[i], bv, acc[i][c]); }
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < ${rm}; i = i + 1) {
          let row = row0 + ty * ${rm} + i;
          for (var c = 0; c < ${rn}; c = c + 1) {
            let col = col0 + tx * ${rn} + c;
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
  const tile = filterTile(rows, cols);
  const tiles = Math.ceil(rows / tile) * Math.ceil(cols / tile);
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
  const program = new Conv2DFilterGradSplitKProgram(rows, cols, slices, tile);
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
