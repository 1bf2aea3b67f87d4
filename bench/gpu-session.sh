#!/usr/bin/env bash
# The whole GPU measurement for one device call (issue #3's GPU target: webgpu >= 0.25x PyTorch
# CUDA at batch 128 for both CNNs). Prepare here: npm ci && npm run build && ../shared/tools/gpu-bundle
# Then on the device, with carry [".gpu"]:  bash .gpu/run.sh bash bench/gpu-session.sh
# Results go to $OUT (the device tool's folder) or ./gpu-results. Each step has its own time limit
# so one hang cannot eat the device budget.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
# BATCH and STEPS only for a dry run on a machine without a GPU (IWLAB_WEBGPU_ALLOW_SOFTWARE=1).
batch=${BATCH:-128}
steps=${STEPS:-20}
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/session.log"; }

log "machine"
{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; } 2>&1 | tee -a "$out/session.log"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tee -a "$out/session.log"

# Stock tfjs-webgpu kernels, then with iwlab's op-based gradient rewrites on top; the PyTorch peer
# runs in the same invocation (CUDA when it has it) and the ratio is printed.
log "webgpu, stock kernels"
timeout 200 node bench/dist/run.js --backend webgpu --batch "$batch" --steps "$steps" --no-sweep \
  --out "$out/webgpu-stock.json" 2>&1 | grep -v '^Warning' | tee -a "$out/session.log"
log "webgpu, with the op-based gradient rewrites"
timeout 200 node bench/dist/run.js --backend webgpu --batch "$batch" --steps "$steps" --no-sweep --op-kernels \
  --no-peer --out "$out/webgpu-op-kernels.json" 2>&1 | grep -v '^Warning' | tee -a "$out/session.log"
log "done"
