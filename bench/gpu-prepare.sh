#!/usr/bin/env bash
# Packs what the GPU machine needs, after `npm ci && npm run build`: runs ../shared/tools/gpu-bundle,
# then repacks its .gpu/nm.tar.xz without the workspace's dev-only and report-only packages
# (linters, bundlers, TypeScript, turbo, SQLite, plotting, tfjs-data; tfjs-layers stays:
# @iwlab/backend loads it for its gradients), which a bench run never loads. The shared bundle
# alone packs all of node_modules (about 69 MB with node), over the device tool's 64 MiB limit for
# the repo plus .gpu/. Then call the device tool's run with carry [".gpu"], timeout ~420 s, and
#   OUT=$OUT BUDGET=280 bash .gpu/run.sh bash bench/gpu-session.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
"$root/../shared/tools/gpu-bundle"
# NVIDIA's Vulkan driver (libGLX_nvidia.so.0, named by its ICD json) starts no GPU without glvnd's
# libEGL.so.1: the loader reports "Could not get 'vkCreateInstance'" and Dawn finds no adapter. On
# an H200 (session 9) libglvnd0 and libglx0 alone did not help and adding libegl1 did. The bundle's
# run.sh unpacks every .deb in .gpu/debs.
( cd .gpu/debs && apt-get download libglvnd0 libglx0 libegl1 >/dev/null 2>&1 ) ||
  echo "could not download libglvnd0 libglx0 libegl1; webgpu will need the GL fallback" >&2
dists=$(git ls-files -o --directory --exclude-standard --ignored | grep -E '(^|/)dist/$' | grep -v node_modules || true)
drop=(@biomejs @turbo turbo typescript better-sqlite3 @rolldown rolldown 'lightningcss*' 'vega*' 'd3*'
  @esbuild esbuild prettier vite vitest @vitest @changesets @manypkg @types @babel tar tsx
  @tensorflow/tfjs-data @tensorflow/tfjs-backend-wasm @iwlab/onednn)
excludes=(--exclude='*.map' --exclude='*/webgpu/dist/darwin-*' --exclude='*/webgpu/dist/win32-*'
  --exclude='*/webgpu/dist/linux-arm64' --exclude='*/.cache' --exclude='*.d.ts' --exclude='*.md')
for d in "${drop[@]}"; do excludes+=(--exclude="node_modules/$d"); done
tar -cf - "${excludes[@]}" node_modules $dists | xz -T2 -6 > .gpu/nm.tar.xz
# EGL through glvnd, for the fallback when Dawn's Vulkan path finds no adapter: Dawn's OpenGL ES
# backend on NVIDIA's EGL (gpu-session.sh unpacks these only then). libegl-dev: Dawn opens libEGL.so.
mkdir -p .gpu/gl
( cd .gpu/gl && apt-get download libegl1 libegl-dev libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1 ) ||
  echo "could not download the EGL packages; the GL fallback will be skipped" >&2
du -sh .gpu
