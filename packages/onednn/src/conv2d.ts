// Typed, checked entry points to the add-on's convolutions. The add-on trusts its geometry (a
// wrong length would read or write out of bounds), so every size is checked here first.

/**
 * The shape of one 2-D convolution, NHWC activations and HWIO filters. TensorFlow.js's
 * `backend_util.Conv2DInfo` has these fields, so a kernel can pass its conv info as is.
 */
export interface Conv2dGeometry {
  readonly batchSize: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padInfo: {
    readonly top: number;
    readonly bottom: number;
    readonly left: number;
    readonly right: number;
  };
}

/** The add-on's `Op` enum. */
export const ConvOp = { Forward: 0, BackwardData: 1, BackwardWeights: 2 } as const;

/** Packs a geometry in the order native/onednn.cc reads it (its `Field` enum). */
export function packGeometry(g: Conv2dGeometry): Int32Array {
  const values: [string, number][] = [
    ['batchSize', g.batchSize],
    ['inHeight', g.inHeight],
    ['inWidth', g.inWidth],
    ['inChannels', g.inChannels],
    ['outHeight', g.outHeight],
    ['outWidth', g.outWidth],
    ['outChannels', g.outChannels],
    ['filterHeight', g.filterHeight],
    ['filterWidth', g.filterWidth],
    ['strideHeight', g.strideHeight],
    ['strideWidth', g.strideWidth],
    ['dilationHeight', g.dilationHeight],
    ['dilationWidth', g.dilationWidth],
    ['padInfo.top', g.padInfo.top],
    ['padInfo.bottom', g.padInfo.bottom],
    ['padInfo.left', g.padInfo.left],
    ['padInfo.right', g.padInfo.right],
  ];
  for (const [field, value] of values) {
    const min = field.startsWith('padInfo') ? 0 : 1;
    if (!Number.isInteger(value) || value < min || value > 2 ** 30) {
      throw new RangeError(`conv2d geometry: ${field} must be an integer ≥ ${min}, got ${value}`);
    }
  }
  checkOutputSize(
    'outHeight',
    g.outHeight,
    g.inHeight,
    g.filterHeight,
    g.dilationHeight,
    g.strideHeight,
    g.padInfo.top + g.padInfo.bottom,
  );
  checkOutputSize(
    'outWidth',
    g.outWidth,
    g.inWidth,
    g.filterWidth,
    g.dilationWidth,
    g.strideWidth,
    g.padInfo.left + g.padInfo.right,
  );
  return Int32Array.from(values, ([, value]) => value);
}

function checkOutputSize(
  field: string,
  out: number,
  size: number,
  filter: number,
  dilation: number,
  stride: number,
  padding: number,
) {
  const span = (filter - 1) * dilation + 1;
  const expected = Math.floor((size + padding - span) / stride) + 1;
  if (out !== expected) {
    throw new RangeError(
      `conv2d geometry: ${field} is ${out}, but input ${size}, filter ${filter}, dilation ` +
        `${dilation}, stride ${stride} and padding ${padding} give ${expected}`,
    );
  }
}

export function checkLength(name: string, array: Float32Array, expected: number): void {
  if (!(array instanceof Float32Array)) {
    throw new TypeError(`conv2d: ${name} must be a Float32Array`);
  }
  if (array.length !== expected) {
    throw new RangeError(
      `conv2d: ${name} has ${array.length} values, the geometry needs ${expected}`,
    );
  }
}

export const sizes = (g: Conv2dGeometry) => ({
  input: g.batchSize * g.inHeight * g.inWidth * g.inChannels,
  output: g.batchSize * g.outHeight * g.outWidth * g.outChannels,
  filter: g.filterHeight * g.filterWidth * g.inChannels * g.outChannels,
});
