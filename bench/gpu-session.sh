#!/usr/bin/env bash
# The whole GPU measurement for one device call (issue #3's GPU target: webgpu >= 0.25x PyTorch
# CUDA at batch 128 for both CNNs). Prepare here: npm ci && npm run build && bash bench/gpu-prepare.sh
# Then on the device, with carry [".gpu"]:  bash .gpu/run.sh bash bench/gpu-session.sh
# Results go to $OUT (the device tool's folder) or ./gpu-results. Every step is capped so that the
# whole script ends within BUDGET seconds, whatever hangs.
#
# Steps: a webgpu probe (with loader diagnostics if it fails); the bench against the PyTorch peer on
# CUDA; the bench with tfjs's stock kernels (what @iwlab/backend's webgpu changes bring); the
# anatomy of a step (bench/webgpu-anatomy.ts: GPU time per kernel through timestamp queries, Dawn
# option, filter-gradient tile (32 against the default 64), loss (tfjs's formula against the
# one-kernel cross-entropy) and kernel variants); a CPU profile of the JS side; the zoo's models
# at batch 16.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
# BATCH, STEPS, WARMUP and ASTEPS (anatomy steps) only for a dry run on a machine without a GPU (IWLAB_WEBGPU_ALLOW_SOFTWARE=1).
# ROUNDS: how many times the bench against the peer runs (for the spread); STOCK_STEPS: timed
# steps of the stock-kernel bench (0 skips it; it is 5-20x slower).
batch=${BATCH:-128}
steps=${STEPS:-200}
warmup=${WARMUP:-300}
rounds=${ROUNDS:-1}
stock_steps=${STOCK_STEPS:-$steps}
deadline=$((SECONDS + ${BUDGET:-300}))
mkdir -p "$out"
log() { echo "== $* (t=${SECONDS}s)" | tee -a "$out/session.log"; }
# Dawn warns on stderr about every Vulkan loader it could not open; that is noise here.
quiet() { grep -v -e '^Warning' -e "Couldn't load Vulkan" -e 'BackendVk.cpp' -e '^ *at operator' | tee -a "$out/session.log"; }
# timeout for one step: its own cap, or what is left of the budget if less.
capped() {
  local cap=$1 left=$((deadline - SECONDS))
  shift
  if ((left < 10)); then log "skipped (budget spent): $*"; return 1; fi
  timeout $((cap < left ? cap : left)) "$@"
}
export IWLAB_PYTHON=${IWLAB_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}
# Timestamp queries for per-kernel GPU times; and the options that take Dawn's validation and
# the shaders' bounds checks off the hot path.
TS='enable-dawn-features=allow_unsafe_apis'
FAST='enable-dawn-features=allow_unsafe_apis,skip_validation,disable_robustness'

log "machine"
{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv; } 2>&1 | tee -a "$out/session.log"
"$IWLAB_PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tee -a "$out/session.log"

log "probe"
probe='import("@iwlab/backend").then(async (m) => console.log(JSON.stringify(await m.initBackend("webgpu"))))'
if ! capped 60 node --input-type=module -e "$probe" 2>&1 | quiet; then
  log "webgpu did not start through Vulkan; loader diagnostics"
  { ls -la /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d
    ldconfig -p | grep -i -e vulkan -e libEGL -e nvidia | head -20
    env | grep -i -e VK_ -e EGL; } 2>&1 | tee -a "$out/session.log"
  VK_LOADER_DEBUG=error,warn capped 60 node --input-type=module -e "$probe" 2>&1 | tail -40 | tee -a "$out/session.log"
  # Fallback: the GL packages. They also bring the libEGL.so.1 NVIDIA's Vulkan driver needs (so on
  # session 9's H200, before gpu-prepare.sh put libegl1 in .gpu/debs, this retry got Vulkan); else
  # Dawn's OpenGL ES backend on NVIDIA's EGL (compatibility mode; slower, but a GPU), which the
  # probe takes only where software adapters are allowed. It reports the adapter it got.
  if ls .gpu/gl/*.deb >/dev/null 2>&1; then
    log "retrying through EGL / OpenGL ES"
    for f in .gpu/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
    egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
    export IWLAB_WEBGPU_ALLOW_SOFTWARE=1
    capped 60 node --input-type=module -e "$probe" 2>&1 | quiet | tee "$out/probe-gl.txt" || exit 1
    # A software rasterizer (Mesa) instead of the GPU would give meaningless figures.
    if grep -q '"adapter.software":true' "$out/probe-gl.txt"; then log "only a software adapter"; exit 1; fi
  else
    exit 1
  fi
fi

# Both sides warm up alike; iwlab's dispatch cache needs a few hundred steps to fill.
for round in $(seq 1 "$rounds"); do
  log "bench: webgpu (default Dawn options) against the PyTorch peer, round $round of $rounds"
  capped 150 node bench/dist/run.js --backend webgpu --batch "$batch" --steps "$steps" --warmup "$warmup" \
    --no-sweep --out "$out/bench-default-$round.json" 2>&1 | quiet
done
if ((stock_steps > 0)); then
  log "bench: webgpu with tfjs's stock kernels (no dispatch cache, tfjs's filter gradient)"
  capped 120 node bench/dist/run.js --backend webgpu --batch "$batch" --steps "$stock_steps" --warmup "$warmup" \
    --no-sweep --no-peer --stock-kernels --out "$out/bench-stock.json" 2>&1 | quiet
fi

# First the default against tfjs's direct input gradient (the default before session 9).
for variant in "TS" "TS --flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=true" "FAST" \
  "TS --flag IWLAB_WEBGPU_FILTER_TILE=32" "TS --loss tfjs" "TS --op-kernels" "TS --submit-batch 64"; do
  read -r opts extra <<<"$variant"
  log "anatomy: $variant"
  IWLAB_DAWN_OPTIONS=${!opts} capped 90 node bench/dist/webgpu-anatomy.js --batch "$batch" \
    --steps "${ASTEPS:-100}" --warmup "$warmup" ${extra:-} 2>&1 | quiet
done

log "CPU profile of the JS side"
capped 60 node --cpu-prof --cpu-prof-dir="$out" --cpu-prof-name=webgpu-step.cpuprofile \
  bench/dist/webgpu-anatomy.js --batch "$batch" --steps "${ASTEPS:-100}" --warmup "$warmup" \
  --profile-steps 0 2>&1 | quiet >/dev/null

# Last, as budget allows: the zoo's models (tfjs-layers, what `iwlab reproduce` trains) at the
# paper's batch 16, where the CPU's share of a step decides the rate.
log "anatomy: the zoo's models at batch 16"
IWLAB_DAWN_OPTIONS=$TS capped 90 node bench/dist/webgpu-anatomy.js --nets zoo-small,zoo-bl \
  --batch 16 --steps "${ASTEPS:-100}" --warmup "$warmup" 2>&1 | quiet
log "done"
