import { BackendUnavailableError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, resolveBackendChoice } from './init.js';

const notInstalled = async (specifier: string): Promise<never> => {
  const error = new Error(`Cannot find package '${specifier}'`) as Error & { code: string };
  error.code = 'ERR_MODULE_NOT_FOUND';
  throw error;
};

describe('resolveBackendChoice', () => {
  it('prefers the explicit choice, then IWLAB_BACKEND, then auto', () => {
    expect(resolveBackendChoice('cpu', { IWLAB_BACKEND: 'wasm' })).toBe('cpu');
    expect(resolveBackendChoice(undefined, { IWLAB_BACKEND: 'wasm' })).toBe('wasm');
    expect(resolveBackendChoice(undefined, { IWLAB_BACKEND: ' ' })).toBe('auto');
    expect(resolveBackendChoice(undefined, {})).toBe('auto');
  });

  it('rejects an unknown name, saying where it came from and what is allowed', () => {
    expect(() => resolveBackendChoice(undefined, { IWLAB_BACKEND: 'gpu' })).toThrow(SpecError);
    expect(() => resolveBackendChoice(undefined, { IWLAB_BACKEND: 'gpu' })).toThrow(
      /field IWLAB_BACKEND: unknown backend "gpu"; use one of auto, tensorflow, webgpu, wasm, cpu/,
    );
    expect(() => resolveBackendChoice('webgl')).toThrow(/field backend/);
  });
});

describe('initBackend', () => {
  it('auto falls through the missing optional backends to wasm and says what it tried', async () => {
    const info = await initBackend('auto', { importModule: notInstalled });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.requested).toBe('auto');
    expect(info.tried.map((t) => t.name)).toEqual(['tensorflow', 'webgpu']);
    expect(info.tried[0]?.error).toMatch(
      /tfjs-node-gpu is not installed.*tfjs-node is not installed/,
    );
    expect(info.tried[1]?.error).toMatch(/webgpu is not installed.*npm i webgpu/);
    expect(info.reason).toMatch(/wasm/);
    expect(info.details?.simd).toBe(true);
    expect(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).arraySync())).toEqual([2, 3]);
  });

  it('auto with the real module loader starts a backend without throwing', async () => {
    const info = await initBackend('auto', { env: {} });
    expect(['tensorflow', 'webgpu', 'wasm']).toContain(info.name);
    expect(tf.getBackend()).toBe(info.name);
  });

  it('reads IWLAB_BACKEND when no choice is given', async () => {
    const info = await initBackend(undefined, { env: { IWLAB_BACKEND: 'cpu' } });
    expect(info).toMatchObject({ name: 'cpu', requested: 'cpu', tried: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('auto skips webgpu when Dawn finds no adapter', async () => {
    const importModule = async (specifier: string): Promise<unknown> => {
      if (specifier === 'webgpu') {
        return { create: () => ({ requestAdapter: async () => null }), globals: {} };
      }
      return notInstalled(specifier);
    };
    const info = await initBackend('auto', { importModule });
    expect(info.name).toBe('wasm');
    expect(info.tried[1]?.error).toMatch(/no GPU adapter/);
  });

  it('a named backend that cannot run is an error saying why and how to get it', async () => {
    const attempt = initBackend('tensorflow', { importModule: notInstalled });
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(initBackend('tensorflow', { importModule: notInstalled })).rejects.toThrow(
      /"tensorflow" backend cannot run here: .*not installed.*npm i @tensorflow\/tfjs-node/,
    );
    await expect(
      initBackend(undefined, { importModule: notInstalled, env: { IWLAB_BACKEND: 'webgpu' } }),
    ).rejects.toThrow(/field IWLAB_BACKEND: .*npm i webgpu @tensorflow\/tfjs-backend-webgpu/);
  });

  it('reports a package that is installed but broken, not as missing', async () => {
    const broken = async (): Promise<never> => {
      throw new Error('libtensorflow.so: cannot open shared object file');
    };
    await expect(initBackend('tensorflow', { importModule: broken })).rejects.toThrow(
      /installed but failed to load: libtensorflow\.so/,
    );
  });

  it('reads a missing package as missing also when the loader gives no error code (vite-node)', async () => {
    const viteStyle = async (specifier: string): Promise<never> => {
      throw new Error(`Could not resolve '${specifier}'`);
    };
    await expect(initBackend('webgpu', { importModule: viteStyle })).rejects.toThrow(
      /webgpu is not installed/,
    );
  });
});
