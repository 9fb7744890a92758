// The instantiated SM80 INT4 GEMMs, one translation unit each (int4_gemm_<out>_<config>.cu):
// S4 x S4 with int32 accumulation, stored exact as int32 or scaled into bfloat16, float16
// or float32.
#pragma once

#include "common/scaled_mm_args.h"

#define GN_SM80_INT4_INSTANCES(X) \
  X(int32, tile_128x256x128)      \
  X(bf16, tile_128x256x128)       \
  X(fp16, tile_128x256x128)       \
  X(fp32, tile_128x256x128)

#define GN_SM80_INT4_NAME(out, cfg) int4_mm_##out##_##cfg

namespace gn_kernels::sm80 {

#define GN_DECLARE(out, cfg) void GN_SM80_INT4_NAME(out, cfg)(const ScaledMmArgs& args);
GN_SM80_INT4_INSTANCES(GN_DECLARE)
#undef GN_DECLARE

}  // namespace gn_kernels::sm80
