// The instantiated SM90a FP8 GEMMs: output dtype x accumulation x operand pair x
// configuration, one translation unit each (fp8_gemm_<out>_<acc>_<a>_<b>_<config>.cu)
// so that MAX_JOBS compiles them in parallel; each takes about a minute on one core.
// The configurations of the shape table exist for E4M3 x E4M3 into bfloat16 and
// float16, the inference and forward-pass GEMMs; the other variants (float32 out,
// the E5M2 gradient GEMMs of training) have the default alone, but for the float32
// decode instances that split K (heuristics/sm90a_fp8.py: split_k).
#pragma once

#include "common/scaled_mm_args.h"

#define GN_SM90A_FP8_TUNED(X, out)                    \
  X(out, promoted, e4m3, e4m3, swap_pingpong_64x16)   \
  X(out, promoted, e4m3, e4m3, pingpong_64x128_c1)    \
  X(out, promoted, e4m3, e4m3, coop_128x128_streamk)  \
  X(out, promoted, e4m3, e4m3, coop_128x128_c2)       \
  X(out, promoted, e4m3, e4m3, coop_128x192_c2)       \
  X(out, fast, e4m3, e4m3, swap_pingpong_64x16)       \
  X(out, fast, e4m3, e4m3, pingpong_64x128_c1)        \
  X(out, fast, e4m3, e4m3, coop_128x256_c2)           \
  X(out, fast, e4m3, e4m3, pingpong_128x128_c2)

// Split-K decode GEMMs keep each K slice's product in float32 for split_k_sum.h to add up.
#define GN_SM90A_FP8_SPLIT_K(X)                         \
  X(fp32, promoted, e4m3, e4m3, swap_pingpong_64x16)    \
  X(fp32, fast, e4m3, e4m3, swap_pingpong_64x16)

#define GN_SM90A_FP8_DEFAULT(X, out, acc, a, b) X(out, acc, a, b, coop_128x128_c2)

#define GN_SM90A_FP8_GRADIENTS(X, out, acc)      \
  GN_SM90A_FP8_DEFAULT(X, out, acc, e5m2, e4m3)  \
  GN_SM90A_FP8_DEFAULT(X, out, acc, e4m3, e5m2)

#define GN_SM90A_FP8_INSTANCES(X)                     \
  GN_SM90A_FP8_TUNED(X, bf16)                         \
  GN_SM90A_FP8_TUNED(X, fp16)                         \
  GN_SM90A_FP8_SPLIT_K(X)                             \
  GN_SM90A_FP8_DEFAULT(X, fp32, promoted, e4m3, e4m3) \
  GN_SM90A_FP8_DEFAULT(X, fp32, fast, e4m3, e4m3)     \
  GN_SM90A_FP8_GRADIENTS(X, bf16, promoted)           \
  GN_SM90A_FP8_GRADIENTS(X, bf16, fast)               \
  GN_SM90A_FP8_GRADIENTS(X, fp16, promoted)           \
  GN_SM90A_FP8_GRADIENTS(X, fp16, fast)               \
  GN_SM90A_FP8_GRADIENTS(X, fp32, promoted)           \
  GN_SM90A_FP8_GRADIENTS(X, fp32, fast)

#define GN_SM90A_FP8_NAME(out, acc, a, b, cfg) scaled_fp8_mm_##out##_##acc##_##a##_##b##_##cfg

namespace gn_kernels::sm90a {

#define GN_DECLARE(out, acc, a, b, cfg) \
  void GN_SM90A_FP8_NAME(out, acc, a, b, cfg)(const ScaledMmArgs& args);
GN_SM90A_FP8_INSTANCES(GN_DECLARE)
#undef GN_DECLARE

}  // namespace gn_kernels::sm90a
