// The SM90a FP8 GEMM instances: E4M3 and E5M2 operands, float32 accumulation,
// promoted every 128 of K or kept in the tensor cores (fast), through the scaled
// GEMM of scaled_gemm.cuh.
#pragma once

#include "fp8_gemm_instances.h"
#include "scaled_gemm.cuh"

namespace gn_kernels::sm90a::variant {
using e4m3 = cutlass::float_e4m3_t;
using e5m2 = cutlass::float_e5m2_t;
constexpr bool promoted = false;
constexpr bool fast = true;
}  // namespace gn_kernels::sm90a::variant

// Defines one entry of GN_SM90A_FP8_INSTANCES (see fp8_gemm_instances.h).
#define GN_SM90A_FP8_DEFINE(out, acc, a, b, cfg)                                                 \
  namespace gn_kernels::sm90a {                                                                   \
  void GN_SM90A_FP8_NAME(out, acc, a, b, cfg)(const ScaledMmArgs& args) {                         \
    scaled_mm_impl<variant::a, variant::b, variant::out, variant::acc, config::cfg>(              \
        args, "cutlass_row_scaled_fp8_mm");                                                       \
  }                                                                                               \
  }
