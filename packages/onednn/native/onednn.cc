// Node-API binding to oneDNN's convolution primitives, for tensors that live in JS memory (the
// wasm backend's heap, or any Float32Array): NHWC activations, HWIO filters, as TensorFlow.js
// stores them. The JS side (src/) validates shapes; this file trusts the geometry it is given.
//
// Why plans are cached: creating a oneDNN primitive JIT-compiles code (milliseconds), while a
// training step runs the same few convolution shapes thousands of times.
// Why blocked layouts: oneDNN's fastest CPU kernels use channel-blocked layouts (nChw16c). With
// the reorders to and from NHWC included they still won on a 64x30x30x64 → 64 layer (forward
// 38.5 vs 70.7 ms, input gradient 40.8 vs 46.3, filter gradient 44.4 vs 75.9, one thread),
// except when a side has very few channels (the RGB input layer), where NHWC is kept.
#include <napi.h>
#include <omp.h>
#include <pthread.h>

#include <csignal>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <list>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum Op : int32_t { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

// Index of each geometry field in the Int32Array the JS side passes (src/internal/native.ts).
enum Field : int {
  kBatch, kInH, kInW, kInC, kOutH, kOutW, kOutC, kFilterH, kFilterW, kStrideH, kStrideW,
  kDilationH, kDilationW, kPadTop, kPadBottom, kPadLeft, kPadRight, kFieldCount
};

// Below this many channels on a side, blocking that side pads it to 16 and wastes most of the work.
constexpr int kMinChannelsToBlock = 8;

// oneDNN 2.x's JIT GEMM kernels (dnnl_sgemm, and the gemm-based convolutions it picks for layers
// with few channels) point the stack pointer into a heap workspace while they run (oneDNN issue
// #4845, fixed in 3.11; Debian 12 ships 2.6.3): a signal handled meanwhile writes its frame over
// the heap, which later aborts in malloc or silently corrupts data. Node handles signals in
// ordinary runs: SIGINT in sweep workers (how a sweep stops them), SIGWINCH when stdout is a
// terminal, SIGPROF under the CPU profiler. So every call into oneDNN runs with asynchronous
// signals blocked on the calling thread; a signal that arrives meanwhile is delivered when the
// call returns. OpenMP's worker threads are first started inside such a call, so they inherit the
// blocked mask. Fault signals stay unblocked: a fault while they are blocked kills the process
// without running the handler (V8's, Node's) that would report it.
class SignalsDeferred {
 public:
  SignalsDeferred() {
    sigset_t asynchronous;
    sigfillset(&asynchronous);
    for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) {
      sigdelset(&asynchronous, fault);
    }
    pthread_sigmask(SIG_BLOCK, &asynchronous, &saved_);
  }
  ~SignalsDeferred() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalsDeferred(const SignalsDeferred&) = delete;
  SignalsDeferred& operator=(const SignalsDeferred&) = delete;

 private:
  sigset_t saved_;
};

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  static dnnl::stream stream(Engine());
  return stream;
}

// One side of a primitive: the user's layout, the primitive's layout, and, when they differ, a
// buffer in the primitive's layout plus the reorder into or out of it.
struct Side {
  memory user;     // data handle set per call
  memory inner;    // == user when no reorder is needed
  dnnl::reorder to_inner;
  dnnl::reorder to_user;
  bool reordered = false;

  void Init(const memory::desc& user_md, const memory::desc& inner_md, bool is_output) {
    user = memory(user_md, Engine(), DNNL_MEMORY_NONE);
    if (inner_md == user_md) {
      inner = user;
      return;
    }
    reordered = true;
    inner = memory(inner_md, Engine());
    if (is_output) {
      to_user = dnnl::reorder(inner, user);
    } else {
      to_inner = dnnl::reorder(user, inner);
    }
  }
  void Bind(float* data) { user.set_data_handle(data); }
  void In() {
    if (reordered) to_inner.execute(Stream(), user, inner);
  }
  void Out() {
    if (reordered) to_user.execute(Stream(), inner, user);
  }
};

struct Plan {
  dnnl::primitive primitive;
  Side a, b, out;      // forward: x, w, y; backward data: dy, w, dx; backward weights: x, dy, dw
  memory bias;         // forward with bias only
  bool has_bias = false;
  int arg_a = 0, arg_b = 0, arg_out = 0;
  std::string impl;
};

struct Dims {
  memory::dims src, weights, dst, strides, dilations, pad_l, pad_r;
};

Dims ToDims(const int32_t* g) {
  return Dims{
      {g[kBatch], g[kInC], g[kInH], g[kInW]},
      {g[kOutC], g[kInC], g[kFilterH], g[kFilterW]},
      {g[kBatch], g[kOutC], g[kOutH], g[kOutW]},
      {g[kStrideH], g[kStrideW]},
      // oneDNN counts dilation from 0 (TensorFlow's 1 is oneDNN's 0).
      {g[kDilationH] - 1, g[kDilationW] - 1},
      {g[kPadTop], g[kPadLeft]},
      {g[kPadBottom], g[kPadRight]},
  };
}

memory::desc Any(const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); }

std::unique_ptr<Plan> MakePlan(Op op, const int32_t* g, bool with_bias, bool relu) {
  const Dims d = ToDims(g);
  const memory::desc user_src(d.src, dt::f32, tag::nhwc);
  const memory::desc user_wei(d.weights, dt::f32, tag::hwio);
  const memory::desc user_dst(d.dst, dt::f32, tag::nhwc);
  const bool block = g[kInC] >= kMinChannelsToBlock && g[kOutC] >= kMinChannelsToBlock;
  const memory::desc src_md = block ? Any(d.src) : user_src;
  const memory::desc wei_md = block ? Any(d.weights) : user_wei;
  const memory::desc dst_md = block ? Any(d.dst) : user_dst;
  const auto algo = dnnl::algorithm::convolution_direct;

  auto plan = std::make_unique<Plan>();
  const dnnl::convolution_forward::desc hint_desc(dnnl::prop_kind::forward_training, algo, src_md,
                                                  wei_md, dst_md, d.strides, d.dilations, d.pad_l,
                                                  d.pad_r);
  const dnnl::convolution_forward::primitive_desc hint(hint_desc, Engine());

  if (op == kForward) {
    dnnl::primitive_attr attr;
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    const memory::desc bias_md({g[kOutC]}, dt::f32, tag::x);
    const auto desc = with_bias
        ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, src_md, wei_md,
                                          bias_md, dst_md, d.strides, d.dilations, d.pad_l,
                                          d.pad_r)
        : hint_desc;
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, Engine());
    plan->a.Init(user_src, pd.src_desc(), false);
    plan->b.Init(user_wei, pd.weights_desc(), false);
    plan->out.Init(user_dst, pd.dst_desc(), true);
    if (with_bias) {
      plan->bias = memory(bias_md, Engine(), DNNL_MEMORY_NONE);
      plan->has_bias = true;
    }
    plan->primitive = dnnl::convolution_forward(pd);
    plan->arg_a = DNNL_ARG_SRC;
    plan->arg_b = DNNL_ARG_WEIGHTS;
    plan->arg_out = DNNL_ARG_DST;
    plan->impl = pd.impl_info_str();
  } else if (op == kBackwardData) {
    const dnnl::convolution_backward_data::desc desc(algo, src_md, wei_md, dst_md, d.strides,
                                                     d.dilations, d.pad_l, d.pad_r);
    const dnnl::convolution_backward_data::primitive_desc pd(desc, Engine(), hint);
    plan->a.Init(user_dst, pd.diff_dst_desc(), false);
    plan->b.Init(user_wei, pd.weights_desc(), false);
    plan->out.Init(user_src, pd.diff_src_desc(), true);
    plan->primitive = dnnl::convolution_backward_data(pd);
    plan->arg_a = DNNL_ARG_DIFF_DST;
    plan->arg_b = DNNL_ARG_WEIGHTS;
    plan->arg_out = DNNL_ARG_DIFF_SRC;
    plan->impl = pd.impl_info_str();
  } else {
    const dnnl::convolution_backward_weights::desc desc(algo, src_md, wei_md, dst_md, d.strides,
                                                        d.dilations, d.pad_l, d.pad_r);
    const dnnl::convolution_backward_weights::primitive_desc pd(desc, Engine(), hint);
    plan->a.Init(user_src, pd.src_desc(), false);
    plan->b.Init(user_dst, pd.diff_dst_desc(), false);
    plan->out.Init(user_wei, pd.diff_weights_desc(), true);
    plan->primitive = dnnl::convolution_backward_weights(pd);
    plan->arg_a = DNNL_ARG_SRC;
    plan->arg_b = DNNL_ARG_DIFF_DST;
    plan->arg_out = DNNL_ARG_DIFF_WEIGHTS;
    plan->impl = pd.impl_info_str();
  }
  return plan;
}

// A small LRU of plans: a run uses a handful of shapes, but a last partial batch or an evaluation
// batch size adds more, and each plan holds reorder buffers the size of its tensors.
class PlanCache {
 public:
  static constexpr size_t kCapacity = 64;

  Plan& Get(Op op, const int32_t* g, bool with_bias, bool relu) {
    std::string key(reinterpret_cast<const char*>(g), sizeof(int32_t) * kFieldCount);
    key.push_back(static_cast<char>(op));
    key.push_back(with_bias ? 'b' : '-');
    key.push_back(relu ? 'r' : '-');
    auto found = index_.find(key);
    if (found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);
      return *found->second->second;
    }
    order_.emplace_front(key, MakePlan(op, g, with_bias, relu));
    index_[key] = order_.begin();
    if (order_.size() > kCapacity) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return *order_.front().second;
  }
  size_t Size() const { return order_.size(); }
  void Clear() {
    index_.clear();
    order_.clear();
  }

 private:
  using Entry = std::pair<std::string, std::unique_ptr<Plan>>;
  std::list<Entry> order_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

PlanCache& Cache() {
  static PlanCache cache;
  return cache;
}

float* Floats(const Napi::Value& value) {
  auto array = value.As<Napi::Float32Array>();
  return array.Data();
}

// conv2d(op, geometry: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array,
//        bias: Float32Array | null, relu: boolean) -> implementation name
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const SignalsDeferred deferred;
    const Op op = static_cast<Op>(info[0].As<Napi::Number>().Int32Value());
    const int32_t* g = info[1].As<Napi::Int32Array>().Data();
    const bool with_bias = info[5].IsTypedArray();
    const bool relu = info[6].ToBoolean();
    Plan& plan = Cache().Get(op, g, with_bias, relu);
    plan.a.Bind(Floats(info[2]));
    plan.b.Bind(Floats(info[3]));
    plan.out.Bind(Floats(info[4]));
    plan.a.In();
    plan.b.In();
    std::unordered_map<int, memory> args{
        {plan.arg_a, plan.a.inner}, {plan.arg_b, plan.b.inner}, {plan.arg_out, plan.out.inner}};
    if (plan.has_bias) {
      plan.bias.set_data_handle(Floats(info[5]));
      args.emplace(DNNL_ARG_BIAS, plan.bias);
    }
    plan.primitive.execute(Stream(), args);
    plan.out.Out();
    Stream().wait();
    return Napi::String::New(env, plan.impl);
  } catch (const dnnl::error& e) {
    std::ostringstream message;
    message << "oneDNN: " << e.what() << " (status " << static_cast<int>(e.status) << ")";
    Napi::Error::New(env, message.str()).ThrowAsJavaScriptException();
    return env.Undefined();
  } catch (const std::exception& e) {
    Napi::Error::New(env, e.what()).ThrowAsJavaScriptException();
    return env.Undefined();
  }
}

// matmul(a, b, out, batch, m, n, k, transposeA, transposeB, strideA, strideB): out[i] = op(a[i])
// op(b[i]) for i < batch, row-major; a stride of 0 broadcasts that operand over the batch.
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const float* a = Floats(info[0]);
  const float* b = Floats(info[1]);
  float* out = Floats(info[2]);
  const int64_t batch = info[3].As<Napi::Number>().Int64Value();
  const int64_t m = info[4].As<Napi::Number>().Int64Value();
  const int64_t n = info[5].As<Napi::Number>().Int64Value();
  const int64_t k = info[6].As<Napi::Number>().Int64Value();
  const bool ta = info[7].ToBoolean();
  const bool tb = info[8].ToBoolean();
  const int64_t stride_a = info[9].As<Napi::Number>().Int64Value();
  const int64_t stride_b = info[10].As<Napi::Number>().Int64Value();
  const SignalsDeferred deferred;
  for (int64_t i = 0; i < batch; i++) {
    const dnnl_status_t status =
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a + i * stride_a, ta ? m : k,
                   b + i * stride_b, tb ? k : n, 0.0f, out + i * m * n, n);
    if (status != dnnl_success) {
      Napi::Error::New(env, "oneDNN sgemm failed with status " + std::to_string(status))
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  return env.Undefined();
}

// sumRows(x, rows, cols, out): out[c] = sum over r of x[r * cols + c] (bias gradients). Row by
// row, so each pass over `out` is a contiguous, vectorizable add.
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  const float* x = Floats(info[0]);
  const int64_t rows = info[1].As<Napi::Number>().Int64Value();
  const int64_t cols = info[2].As<Napi::Number>().Int64Value();
  float* out = Floats(info[3]);
  std::vector<double> total(static_cast<size_t>(cols), 0.0);
  std::vector<float> partial(static_cast<size_t>(cols), 0.0f);
  // Float partial sums over blocks of rows, added into doubles: fast and accurate enough for
  // millions of rows.
  constexpr int64_t kBlock = 64;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
    std::fill(partial.begin(), partial.end(), 0.0f);
    const int64_t r1 = std::min(rows, r0 + kBlock);
    for (int64_t r = r0; r < r1; r++) {
      const float* row = x + r * cols;
      for (int64_t c = 0; c < cols; c++) partial[c] += row[c];
    }
    for (int64_t c = 0; c < cols; c++) total[c] += partial[c];
  }
  for (int64_t c = 0; c < cols; c++) out[c] = static_cast<float>(total[c]);
  return info.Env().Undefined();
}

// maxPoolGrad(x, dy, dx, g: Int32Array [batch, inH, inW, channels, outH, outW, filterH, filterW,
// strideH, strideW, padTop, padLeft]), NHWC: each dy goes to the first maximum of its window in
// row-major order (as TensorFlow.js's cpu backend does, so ReLU ties give the same result).
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  const float* x = Floats(info[0]);
  const float* dy = Floats(info[1]);
  float* dx = Floats(info[2]);
  const int32_t* g = info[3].As<Napi::Int32Array>().Data();
  const int64_t batch = g[0], in_h = g[1], in_w = g[2], ch = g[3], out_h = g[4], out_w = g[5];
  const int64_t f_h = g[6], f_w = g[7], s_h = g[8], s_w = g[9], pad_top = g[10], pad_left = g[11];
  std::fill(dx, dx + batch * in_h * in_w * ch, 0.0f);
  std::vector<float> best(static_cast<size_t>(ch));
  std::vector<int64_t> where(static_cast<size_t>(ch));
  for (int64_t b = 0; b < batch; b++) {
    const int64_t base = b * in_h * in_w * ch;
    for (int64_t oh = 0; oh < out_h; oh++) {
      const int64_t h0 = oh * s_h - pad_top;
      const int64_t h_from = std::max<int64_t>(0, h0), h_to = std::min(in_h, h0 + f_h);
      for (int64_t ow = 0; ow < out_w; ow++) {
        const int64_t w0 = ow * s_w - pad_left;
        const int64_t w_from = std::max<int64_t>(0, w0), w_to = std::min(in_w, w0 + f_w);
        std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
        std::fill(where.begin(), where.end(), -1);
        for (int64_t h = h_from; h < h_to; h++) {
          for (int64_t w = w_from; w < w_to; w++) {
            const int64_t at = base + (h * in_w + w) * ch;
            for (int64_t c = 0; c < ch; c++) {
              if (x[at + c] > best[c]) {
                best[c] = x[at + c];
                where[c] = at + c;
              }
            }
          }
        }
        const float* d = dy + ((b * out_h + oh) * out_w + ow) * ch;
        for (int64_t c = 0; c < ch; c++) {
          if (where[c] >= 0) dx[where[c]] += d[c];
        }
      }
    }
  }
  return info.Env().Undefined();
}

// channelBinary(op, full, perChannel, out, channels, perChannelFirst): for every row of `channels`
// values, out = full op perChannel (or perChannel op full), op 0 add, 1 subtract, 2 multiply. The
// per-channel operands of batch norm's forward and gradient ops; wasm's broadcasting path was
// 5x slower than its same-shape one.
Napi::Value ChannelBinary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  auto full = info[1].As<Napi::Float32Array>();
  const float* c = Floats(info[2]);
  float* out = Floats(info[3]);
  const int64_t channels = info[4].As<Napi::Number>().Int64Value();
  const bool channel_first = info[5].ToBoolean();
  const float* x = full.Data();
  const int64_t rows = static_cast<int64_t>(full.ElementLength()) / channels;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * channels;
    float* o = out + r * channels;
    if (op == 0) {
      for (int64_t j = 0; j < channels; j++) o[j] = xr[j] + c[j];
    } else if (op == 2) {
      for (int64_t j = 0; j < channels; j++) o[j] = xr[j] * c[j];
    } else if (channel_first) {
      for (int64_t j = 0; j < channels; j++) o[j] = c[j] - xr[j];
    } else {
      for (int64_t j = 0; j < channels; j++) o[j] = xr[j] - c[j];
    }
  }
  return info.Env().Undefined();
}

// channelAffine(x, center, scale, shift, out, channels): out = (x - center) * scale + shift per
// channel: batch norm with its variance folded into the scale. Centering first keeps the result
// accurate when the mean is large against the spread.
Napi::Value ChannelAffine(const Napi::CallbackInfo& info) {
  auto xs = info[0].As<Napi::Float32Array>();
  const float* center = Floats(info[1]);
  const float* scale = Floats(info[2]);
  const float* shift = Floats(info[3]);
  float* out = Floats(info[4]);
  const int64_t channels = info[5].As<Napi::Number>().Int64Value();
  const float* x = xs.Data();
  const int64_t rows = static_cast<int64_t>(xs.ElementLength()) / channels;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * channels;
    float* o = out + r * channels;
    for (int64_t j = 0; j < channels; j++) o[j] = (xr[j] - center[j]) * scale[j] + shift[j];
  }
  return info.Env().Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value Threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

const char* IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("major", v->major);
  out.Set("minor", v->minor);
  out.Set("patch", v->patch);
  out.Set("hash", v->hash);
  out.Set("isa", IsaName(dnnl::get_effective_cpu_isa()));
  return out;
}

Napi::Value CachedPlans(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Cache().Size()));
}

Napi::Value ClearPlans(const Napi::CallbackInfo& info) {
  Cache().Clear();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("sumRows", Napi::Function::New(env, SumRows));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("channelBinary", Napi::Function::New(env, ChannelBinary));
  exports.Set("channelAffine", Napi::Function::New(env, ChannelAffine));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("cachedPlans", Napi::Function::New(env, CachedPlans));
  exports.Set("clearPlans", Napi::Function::New(env, ClearPlans));
  return exports;
}

}  // namespace

NODE_API_MODULE(iwlab_onednn, Init)
