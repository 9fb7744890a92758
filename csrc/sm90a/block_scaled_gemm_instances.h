// The instantiated SM90a block-scaled FP8 GEMMs, one translation unit each
// (block_scaled_gemm_<out>_<config>.cu).
#pragma once

#include "common/scaled_mm_args.h"

#define GN_SM90A_BLOCK_SCALED_TUNED(X, out) \
  X(out, pingpong_64x128_c1)                \
  X(out, coop_128x128_streamk)              \
  X(out, coop_128x128_c2)

#define GN_SM90A_BLOCK_SCALED_INSTANCES(X) \
  GN_SM90A_BLOCK_SCALED_TUNED(X, bf16)     \
  GN_SM90A_BLOCK_SCALED_TUNED(X, fp16)     \
  X(fp32, coop_128x128_c2)

#define GN_SM90A_BLOCK_SCALED_NAME(out, cfg) block_scaled_fp8_mm_##out##_##cfg

namespace gn_kernels::sm90a {

#define GN_DECLARE(out, cfg) void GN_SM90A_BLOCK_SCALED_NAME(out, cfg)(const ScaledMmArgs& args);
GN_SM90A_BLOCK_SCALED_INSTANCES(GN_DECLARE)
#undef GN_DECLARE

}  // namespace gn_kernels::sm90a
