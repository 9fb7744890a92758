// The instantiated SM90a INT8 GEMMs, one translation unit each
// (int8_gemm_<out>_<config>.cu): S8 x S8 with int32 accumulation, into bfloat16,
// float16 or float32 through the scale and bias epilogue, or stored as exact int32.
#pragma once

#include "common/scaled_mm_args.h"

#define GN_SM90A_INT8_SCALED(X, out) \
  X(out, swap_pingpong_64x16)        \
  X(out, pingpong_64x128_c1)         \
  X(out, coop_128x256_c2)

#define GN_SM90A_INT8_INSTANCES(X) \
  GN_SM90A_INT8_SCALED(X, bf16)    \
  GN_SM90A_INT8_SCALED(X, fp16)    \
  X(fp32, coop_128x128_c2)         \
  X(int32, swap_pingpong_64x16)    \
  X(int32, coop_128x256_c2)

#define GN_SM90A_INT8_NAME(out, cfg) int8_mm_##out##_##cfg

namespace gn_kernels::sm90a {

#define GN_DECLARE(out, cfg) void GN_SM90A_INT8_NAME(out, cfg)(const ScaledMmArgs& args);
GN_SM90A_INT8_INSTANCES(GN_DECLARE)
#undef GN_DECLARE

}  // namespace gn_kernels::sm90a
