import { BackendUnavailableError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend, resolveBackendChoice } from './init.js';
import { isSoftwareAdapter } from './internal/probes.js';

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

// A stand-in for Dawn's `webgpu` module: `adapters` maps a create() option string ('' for none)
// to what requestAdapter gives. tfjs-backend-webgpu is "not installed", so a probe that gets past
// the adapter checks stops there, which tells the two outcomes apart without a GPU.
interface FakeAdapter {
  info: Record<string, unknown>;
  limits: Record<string, number>;
  devices: unknown[];
  requestDevice(descriptor?: unknown): Promise<unknown>;
}
function fakeAdapter(info: Record<string, unknown>): FakeAdapter {
  const adapter: FakeAdapter = {
    info,
    limits: { maxStorageBuffersPerShaderStage: 16, maxComputeWorkgroupSizeY: 1024 },
    devices: [],
    requestDevice: async (descriptor) => {
      adapter.devices.push(descriptor);
      return {};
    },
  };
  return adapter;
}
function fakeDawn(adapters: Record<string, FakeAdapter | null>) {
  const requests: { create: string; options: unknown }[] = [];
  const importModule = async (specifier: string): Promise<unknown> => {
    if (specifier !== 'webgpu') return notInstalled(specifier);
    return {
      create: (options: string[]) => ({
        requestAdapter: async (requestOptions?: unknown) => {
          requests.push({ create: options.join(','), options: requestOptions });
          return adapters[options.join(',')] ?? null;
        },
      }),
      globals: {},
    };
  };
  return { importModule, requests };
}

const NVIDIA = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' };
const LAVAPIPE = { vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' };
const GL_LLVMPIPE = {
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
};

describe('webgpu adapters: hardware, software, none', () => {
  const eglPlatform = process.env.EGL_PLATFORM;
  afterEach(() => {
    if (eglPlatform === undefined) delete process.env.EGL_PLATFORM;
    else process.env.EGL_PLATFORM = eglPlatform;
  });

  it('tells software adapters from hardware ones by the fallback flag or the driver name', () => {
    expect(isSoftwareAdapter(NVIDIA)).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'intel', architecture: 'gen-12lp' })).toBe(false);
    expect(isSoftwareAdapter(undefined)).toBe(false);
    expect(isSoftwareAdapter(LAVAPIPE)).toBe(true);
    expect(isSoftwareAdapter(GL_LLVMPIPE)).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', description: 'SwiftShader Device' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'x', isFallbackAdapter: true })).toBe(true);
    // Dawn's null backend (IWLAB_DAWN_OPTIONS=backend=null) executes nothing.
    expect(isSoftwareAdapter({ vendor: '', device: 'null-backend' })).toBe(true);
  });

  it('auto takes a hardware adapter (here it then stops at the missing tfjs-backend-webgpu)', async () => {
    const { importModule } = fakeDawn({ '': fakeAdapter(NVIDIA) });
    const info = await initBackend('auto', { importModule });
    expect(info.name).toBe('wasm');
    expect(info.tried[1]?.error).toMatch(/^@tensorflow\/tfjs-backend-webgpu is not installed/);
  });

  it('auto skips a software adapter, even when software adapters are allowed', async () => {
    const { importModule, requests } = fakeDawn({
      '': fakeAdapter(LAVAPIPE),
      'backend=opengles': fakeAdapter(GL_LLVMPIPE),
    });
    const info = await initBackend('auto', {
      importModule,
      allowSoftwareAdapter: true,
      env: { IWLAB_WEBGPU_ALLOW_SOFTWARE: '1' },
    });
    expect(info.name).toBe('wasm');
    expect(info.tried.map((t) => t.name)).toEqual(['tensorflow', 'webgpu']);
    expect(info.tried[1]?.error).toMatch(
      /no hardware GPU adapter, only the software \(CPU\) adapter "mesa, llvmpipe .*", which trains far slower than wasm/,
    );
    expect(requests.map((r) => r.create)).toEqual(['']);
  });

  it('webgpu by name on a software adapter is an error saying how to allow it', async () => {
    const { importModule } = fakeDawn({ '': fakeAdapter(LAVAPIPE) });
    const attempt = initBackend('webgpu', { importModule, env: {} });
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(initBackend('webgpu', { importModule, env: {} })).rejects.toThrow(
      /"webgpu" backend cannot run here: Dawn found no hardware GPU adapter.*IWLAB_WEBGPU_ALLOW_SOFTWARE=1 or the option allowSoftwareAdapter: true/,
    );
  });

  it('webgpu by name with no adapter at all keeps saying so, and how to allow a software one', async () => {
    const { importModule, requests } = fakeDawn({ 'backend=opengles': fakeAdapter(GL_LLVMPIPE) });
    await expect(initBackend('webgpu', { importModule, env: {} })).rejects.toThrow(
      /Dawn found no GPU adapter on this machine\..*npm i webgpu.*IWLAB_WEBGPU_ALLOW_SOFTWARE=1/,
    );
    // Not allowed: the OpenGL ES search (and its EGL_PLATFORM setting) does not even run.
    expect(requests.map((r) => r.create)).toEqual(['']);
  });

  it('allowed by option or IWLAB_WEBGPU_ALLOW_SOFTWARE, a software adapter from the default search is used', async () => {
    for (const options of [
      { allowSoftwareAdapter: true, env: {} },
      { env: { IWLAB_WEBGPU_ALLOW_SOFTWARE: '1' } },
      { env: { IWLAB_WEBGPU_ALLOW_SOFTWARE: 'true' } },
    ]) {
      const { importModule, requests } = fakeDawn({ '': fakeAdapter(LAVAPIPE) });
      await expect(initBackend('webgpu', { importModule, ...options })).rejects.toThrow(
        /tfjs-backend-webgpu is not installed/,
      );
      expect(requests.map((r) => r.create)).toEqual(['']);
    }
    // The option wins over the environment.
    const { importModule } = fakeDawn({ '': fakeAdapter(LAVAPIPE) });
    await expect(
      initBackend('webgpu', {
        importModule,
        allowSoftwareAdapter: false,
        env: { IWLAB_WEBGPU_ALLOW_SOFTWARE: '1' },
      }),
    ).rejects.toThrow(/no hardware GPU adapter/);
  });

  it('allowed, with no Vulkan adapter, it asks for llvmpipe over OpenGL ES in compatibility mode', async () => {
    delete process.env.EGL_PLATFORM;
    const gl = fakeAdapter(GL_LLVMPIPE);
    const { importModule, requests } = fakeDawn({ 'backend=opengles': gl });
    await expect(
      initBackend('webgpu', { importModule, allowSoftwareAdapter: true, env: {} }),
    ).rejects.toThrow(/tfjs-backend-webgpu is not installed/);
    expect(requests).toEqual([
      { create: '', options: undefined },
      { create: 'backend=opengles', options: { featureLevel: 'compatibility' } },
    ]);
    expect(process.env.EGL_PLATFORM).toBe('surfaceless');

    // tfjs asks navigator.gpu for an adapter without a feature level and raises only the size
    // limits: what it is given asks for compatibility mode and the adapter's binding limits.
    const gpu = (globalThis as unknown as { navigator: { gpu: FakeAdapterSource } }).navigator.gpu;
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    expect(requests[2]).toEqual({
      create: 'backend=opengles',
      options: { powerPreference: 'high-performance', featureLevel: 'compatibility' },
    });
    await adapter?.requestDevice({ requiredLimits: { maxBufferSize: 1024 } });
    expect(gl.devices).toEqual([
      {
        requiredLimits: {
          maxStorageBuffersPerShaderStage: 16,
          maxComputeWorkgroupSizeY: 1024,
          maxBufferSize: 1024,
        },
      },
    ]);
  });

  it('leaves an EGL_PLATFORM the user set alone', async () => {
    process.env.EGL_PLATFORM = 'x11';
    const { importModule } = fakeDawn({ 'backend=opengles': fakeAdapter(GL_LLVMPIPE) });
    await expect(
      initBackend('webgpu', { importModule, allowSoftwareAdapter: true, env: {} }),
    ).rejects.toThrow(/tfjs-backend-webgpu is not installed/);
    expect(process.env.EGL_PLATFORM).toBe('x11');
  });

  it('allowed, with no adapter of any kind, says where it looked and what to install', async () => {
    delete process.env.EGL_PLATFORM;
    const { importModule } = fakeDawn({});
    await expect(
      initBackend('webgpu', { importModule, allowSoftwareAdapter: true, env: {} }),
    ).rejects.toThrow(
      /no software adapter either \(searched Vulkan and, with EGL_PLATFORM=surfaceless, OpenGL ES\).*libegl-dev libegl-mesa0 libgl1-mesa-dri/,
    );
    process.env.EGL_PLATFORM = 'device';
    await expect(
      initBackend('webgpu', { importModule, allowSoftwareAdapter: true, env: {} }),
    ).rejects.toThrow(/with EGL_PLATFORM=device, OpenGL ES/);
  });

  it('rejects an IWLAB_WEBGPU_ALLOW_SOFTWARE it cannot read, naming it', async () => {
    const { importModule } = fakeDawn({});
    await expect(
      initBackend('webgpu', { importModule, env: { IWLAB_WEBGPU_ALLOW_SOFTWARE: 'yes' } }),
    ).rejects.toThrow(/field IWLAB_WEBGPU_ALLOW_SOFTWARE: .*"yes"; use 1 or true/);
  });
});

interface FakeAdapterSource {
  requestAdapter(options?: unknown): Promise<FakeAdapter | null>;
}
