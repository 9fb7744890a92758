// The instantiated SM89 FP8 GEMMs, one translation unit each
// (fp8_gemm_<out>_<acc>_<a>_<b>_<config>.cu). "promoted" adds each main-loop step's
// partial sums into a separate float32 accumulator (CUTLASS's staged accumulation for
// Ada FP8); "fast" keeps the tensor cores' own accumulation for all of K.
#pragma once

#include "common/scaled_mm_args.h"

#define GN_SM89_FP8_PAIRS(X, out, acc, cfg) \
  X(out, acc, e4m3, e4m3, cfg)              \
  X(out, acc, e4m3, e5m2, cfg)              \
  X(out, acc, e5m2, e4m3, cfg)

#define GN_SM89_FP8_OUT(X, out, cfg)          \
  GN_SM89_FP8_PAIRS(X, out, promoted, cfg) \
  GN_SM89_FP8_PAIRS(X, out, fast, cfg)

#define GN_SM89_FP8_INSTANCES(X)               \
  GN_SM89_FP8_OUT(X, bf16, tile_128x128x64) \
  GN_SM89_FP8_OUT(X, fp16, tile_128x128x64) \
  GN_SM89_FP8_OUT(X, fp32, tile_128x128x64)

#define GN_SM89_FP8_NAME(out, acc, a, b, cfg) fp8_mm_##out##_##acc##_##a##_##b##_##cfg

namespace gn_kernels::sm89 {

#define GN_DECLARE(out, acc, a, b, cfg) \
  void GN_SM89_FP8_NAME(out, acc, a, b, cfg)(const ScaledMmArgs& args);
GN_SM89_FP8_INSTANCES(GN_DECLARE)
#undef GN_DECLARE

}  // namespace gn_kernels::sm89
