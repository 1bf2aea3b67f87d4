import { afterEach, describe, expect, it } from 'vitest';
import { nativeKernelsInUse, useNativeKernels } from './fast-kernels.js';
import type { NativeKernels } from './internal/kernels/native.js';
import { setUpNativeKernels } from './native.js';

function fakeOneDnn() {
  const state = { threads: 4 };
  const dnn: NativeKernels = {
    version: '9.9.9',
    isa: 'fake_isa',
    conv2dForward: () => 'fake',
    conv2dBackwardData: () => 'fake',
    conv2dBackwardWeights: () => 'fake',
    matmul: () => {},
    sumRows: () => {},
    maxPoolGrad: () => {},
    channelBinary: () => {},
    channelAffine: () => {},
    threads: () => state.threads,
    setThreads: (n) => {
      state.threads = n;
    },
  };
  const importModule = async (specifier: string) => {
    expect(specifier).toBe('@iwlab/onednn');
    return { loadOneDnn: () => ({ available: true, oneDnn: dnn }) };
  };
  return { dnn, state, importModule };
}

const notInstalled = async (specifier: string) => {
  throw Object.assign(new Error(`Cannot find package '${specifier}'`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
};

afterEach(() => useNativeKernels(undefined));

describe('setUpNativeKernels', () => {
  it('uses the add-on when it loads, on one thread unless told otherwise', async () => {
    const { dnn, state, importModule } = fakeOneDnn();
    const said = await setUpNativeKernels({}, {}, importModule);
    expect(said).toBe('oneDNN 9.9.9 (fake_isa, 1 threads)');
    expect(state.threads).toBe(1);
    expect(nativeKernelsInUse()).toBe(dnn);
  });

  it('takes threads from the option, or leaves OMP_NUM_THREADS to oneDNN', async () => {
    const a = fakeOneDnn();
    await setUpNativeKernels({ threads: 3 }, {}, a.importModule);
    expect(a.state.threads).toBe(3);
    const b = fakeOneDnn();
    await setUpNativeKernels({}, { OMP_NUM_THREADS: '2' }, b.importModule);
    expect(b.state.threads).toBe(4);
  });

  it('says why it is off, and leaves the wasm kernels in place', async () => {
    const { importModule } = fakeOneDnn();
    expect(await setUpNativeKernels({ nativeKernels: false }, {}, importModule)).toMatch(
      /^off \(nativeKernels: false\)/,
    );
    expect(await setUpNativeKernels({}, { IWLAB_NATIVE_KERNELS: '0' }, importModule)).toMatch(
      /^off \(IWLAB_NATIVE_KERNELS=0\)/,
    );
    expect(await setUpNativeKernels({}, {}, notInstalled)).toMatch(
      /^off: @iwlab\/onednn is not installed/,
    );
    const unbuilt = async () => ({
      loadOneDnn: () => ({ available: false, reason: 'the native add-on was not built' }),
    });
    expect(await setUpNativeKernels({}, {}, unbuilt)).toBe('off: the native add-on was not built');
    const broken = async () => {
      throw new Error('undefined symbol: dnnl_version');
    };
    expect(await setUpNativeKernels({}, {}, broken)).toMatch(/failed to load: undefined symbol/);
    expect(nativeKernelsInUse()).toBeUndefined();
  });

  it('turns earlier native kernels off when asked to', async () => {
    const { importModule } = fakeOneDnn();
    await setUpNativeKernels({}, {}, importModule);
    expect(nativeKernelsInUse()).toBeDefined();
    await setUpNativeKernels({ nativeKernels: false }, {}, importModule);
    expect(nativeKernelsInUse()).toBeUndefined();
  });
});
