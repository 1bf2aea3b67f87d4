// Correctness fixes for @tensorflow/tfjs-backend-webgpu 4.22.0, registered for the webgpu backend
// only (the probe installs them whenever webgpu starts; they are not speed-ups, so the
// `fastKernels` option does not turn them off).
import * as tf from '@tensorflow/tfjs-core';

/**
 * Cast from int32 or bool to float32. The stock kernel reuses the input's buffer and only
 * relabels it float32 ("no encoding loss"), so the buffer still holds integers. Kernels that read
 * a buffer through a typed getter convert on the fly, but those that index it directly write the
 * integer bits out as floats: Transpose fails to compile ("type mismatch ... expected 'f32', got
 * 'i32'"), Dawn only logs that, and the result is zeros or denormals. A sum over a middle axis of
 * a cast mask (masked mean pooling) transposes first, so it came out as zeros. Adding 0 through a
 * getter-reading kernel writes a real float32 buffer.
 */
function castWithFloatStorage(stock: tf.KernelConfig): tf.KernelConfig {
  return replacing(stock, (args) => {
    const out = stock.kernelFunc(args) as tf.TensorInfo;
    const x = args.inputs.x as tf.TensorInfo;
    const sharesIntegerBuffer =
      out.dataId === x.dataId && out.dtype === 'float32' && x.dtype !== 'float32';
    if (!sharesIntegerBuffer) return out;
    const relabelled = tf.engine().makeTensorFromTensorInfo(out);
    const zero = tf.scalar(0, 'float32');
    const converted = tf.add(relabelled, zero);
    tf.dispose([relabelled, zero]);
    return converted;
  });
}

/** A stock kernel's hooks carried over to its replacement. */
function replacing(stock: tf.KernelConfig, kernelFunc: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: stock.kernelName,
    backendName: 'webgpu',
    ...(stock.setupFunc === undefined ? {} : { setupFunc: stock.setupFunc }),
    ...(stock.disposeFunc === undefined ? {} : { disposeFunc: stock.disposeFunc }),
    kernelFunc,
  };
}

// The WGSL that PadV2 and StridedSlice generate indexes shapes as `shape[i]`, which compiles only
// for ranks up to 4: ranks 5 and 6 are structs in tfjs-webgpu ("cannot index type 'vec6'"), the
// shader is rejected, and the output is whatever the buffer held. Other kernels (slice, transpose,
// tile, concat, gather, broadcasting) handle those ranks, so these two are rebuilt from them.
const FIRST_STRUCT_RANK = 5;

/** PadV2 at rank 5 or 6: one concat per padded axis, with constant blocks on either side. */
function padWithoutHighRankShader(stock: tf.KernelConfig): tf.KernelConfig {
  return replacing(stock, (args) => {
    const x = args.inputs.x;
    const { paddings, constantValue } = args.attrs as {
      paddings: [number, number][];
      constantValue: number;
    };
    if (!(x instanceof tf.Tensor) || x.rank < FIRST_STRUCT_RANK || x.size === 0) {
      return stock.kernelFunc(args) as tf.TensorInfo;
    }
    return tf.tidy(() => {
      let out: tf.Tensor = x;
      paddings.forEach(([before, after], axis) => {
        const block = (size: number) =>
          tf.fill(
            out.shape.map((d, i) => (i === axis ? size : d)),
            constantValue,
            x.dtype,
          );
        const parts = [
          ...(before > 0 ? [block(before)] : []),
          out,
          ...(after > 0 ? [block(after)] : []),
        ];
        if (parts.length > 1) out = tf.concat(parts, axis);
      });
      // A kernel must not hand back its input tensor itself.
      return out === x ? tf.clone(x) : out;
    });
  });
}

/**
 * StridedSlice at rank 5 or 6 when it is neither a plain slice nor a reshape: one gather per
 * axis that is strided or cut, then the reshape that drops or adds the masked axes.
 */
function stridedSliceWithoutHighRankShader(stock: tf.KernelConfig): tf.KernelConfig {
  return replacing(stock, (args) => {
    const x = args.inputs.x;
    const a = args.attrs as Record<string, number | number[]>;
    if (!(x instanceof tf.Tensor) || x.rank < FIRST_STRUCT_RANK) {
      return stock.kernelFunc(args) as tf.TensorInfo;
    }
    const info = tf.slice_util.sliceInfo(
      x.shape,
      a.begin as number[],
      a.end as number[],
      a.strides as number[],
      a.beginMask as number,
      a.endMask as number,
      a.ellipsisMask as number,
      a.newAxisMask as number,
      a.shrinkAxisMask as number,
    );
    // Per axis of x (shrunk axes have size 1 here; the reshape drops them). tfjs's own strided
    // slice programs index x with finalShapeSparse, which leaves shrunk axes out, so with a
    // shrunk axis before a strided one they read the wrong elements (the cpu backend too).
    const sizes = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
    const empty = sizes.some((d) => d <= 0);
    if (info.isIdentity || info.sliceDim0 || info.isSimpleSlice || empty) {
      return stock.kernelFunc(args) as tf.TensorInfo;
    }
    return tf.tidy(() => {
      let out: tf.Tensor = x;
      sizes.forEach((size, axis) => {
        const begin = info.begin[axis] as number;
        const stride = info.strides[axis] as number;
        if (begin === 0 && stride === 1 && size === x.shape[axis]) return;
        const indices = Array.from({ length: size }, (_, k) => begin + k * stride);
        out = tf.gather(out, tf.tensor1d(indices, 'int32'), axis);
      });
      return tf.reshape(out, info.finalShape);
    });
  });
}

const FIXES: readonly [string, (stock: tf.KernelConfig) => tf.KernelConfig][] = [
  [tf.Cast, castWithFloatStorage],
  [tf.PadV2, padWithoutHighRankShader],
  [tf.StridedSlice, stridedSliceWithoutHighRankShader],
];

const installed = new Set<string>();

/**
 * Registers the fixes above for the webgpu backend (once per process; tfjs keeps kernels per
 * process). Returns the names of the kernels replaced, for BackendInfo.details.
 */
export function installWebgpuFixes(): string[] {
  for (const [name, fix] of FIXES) {
    if (installed.has(name)) continue;
    const stock = tf.getKernel(name, 'webgpu');
    if (stock === undefined) continue;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel(fix(stock));
    installed.add(name);
  }
  return [...installed];
}
